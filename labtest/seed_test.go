package labtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"raftlab/labrpc"
)

// workload draws from the test's random source and makes calls over an
// unreliable network, returning what it saw: the draws and the network's
// trace, times relative to the start.
func workload(h *H) []string {
	var seen []string
	for i := 0; i < 5; i++ {
		seen = append(seen, fmt.Sprint("rand ", h.Rand().Uint64()))
	}
	startEcho(h, "s")
	net := h.Net()
	net.Reliable(false)
	end := dialEcho(h, "c")
	h.ServersStarted()
	start := time.Now()
	for i := 0; i < 40; i++ {
		var reply EchoReply
		ok := end.Call("echo.Echo", &EchoArgs{X: i}, &reply)
		seen = append(seen, fmt.Sprint("call ", i, ok, reply.X, time.Since(start)))
	}
	for _, ev := range net.Trace() {
		seen = append(seen, fmt.Sprint(ev.At.Sub(start), ev.From, ev.To, ev.Method, ev.Call, ev.Outcome, ev.Detail))
	}
	return seen
}

func TestSameSeedSameRun(t *testing.T) {
	if currentSettings().realtime {
		t.Skip("replay needs virtual time")
	}
	var a, b, c []string
	Run(t, func(h *H) { a = workload(h) }, WithSeed(42))
	Run(t, func(h *H) { b = workload(h) }, WithSeed(42))
	Run(t, func(h *H) { c = workload(h) }, WithSeed(43))
	require.NotEmpty(t, a)
	assert.Equal(t, a, b, "the same seed must give the same draws, network decisions and timing")
	assert.NotEqual(t, a, c)
	var dropped int
	for _, l := range a {
		if strings.HasPrefix(l, "call ") && strings.Contains(l, "false") {
			dropped++
		}
	}
	assert.Positive(t, dropped, "an unreliable network should fail some of 40 calls")
}

func TestSeedsDerive(t *testing.T) {
	s := DeriveSeeds(7, 4)
	assert.Equal(t, uint64(7), s[0], "the first seed is the base seed, so -seed S -seeds 1 replays run S")
	assert.Len(t, s, 4)
	assert.Equal(t, s, DeriveSeeds(7, 4))
	assert.Equal(t, s[:2], DeriveSeeds(7, 2))
	seen := map[uint64]bool{}
	for _, x := range s {
		seen[x] = true
	}
	assert.Len(t, seen, 4)
}

// A seed printed by an earlier version must derive the same seeds now, or
// `-seed S -seeds N` no longer replays the runs it printed.
func TestDerivedSeedsKeepTheirValues(t *testing.T) {
	assert.Equal(t, []uint64{7, 4587998608487177958, 1704528721430125490}, DeriveSeeds(7, 3))
	assert.Equal(t, uint64(17911839290282890590), deriveSeed(1, 2))
}

func TestNewRandIndependentOfRand(t *testing.T) {
	var x, y uint64
	Run(t, func(h *H) { x = h.NewRand("clerk").Uint64() }, WithSeed(9))
	Run(t, func(h *H) { h.Rand().Uint64(); y = h.NewRand("clerk").Uint64() }, WithSeed(9))
	assert.Equal(t, x, y)
}

func TestRealtimeModeRuns(t *testing.T) {
	out, took := runHelper(t, "^TestGuardHelperRealtime$", "-realtime")
	assert.Contains(t, out, "REALTIME true")
	assert.Contains(t, out, "--- PASS: TestGuardHelperRealtime")
	assert.GreaterOrEqual(t, took, 300*time.Millisecond, "real time passes in realtime mode")

	out, _ = runHelperEnv(t, []string{"RAFTLAB_REALTIME=1"}, "^TestGuardHelperRealtime$")
	assert.Contains(t, out, "REALTIME true")
}

func TestGuardHelperRealtime(t *testing.T) {
	helperOnly(t)
	Run(t, func(h *H) {
		startEcho(h, "s")
		end := dialEcho(h, "")
		time.Sleep(300 * time.Millisecond)
		var reply EchoReply
		require.True(h.T(), end.Call("echo.Echo", &EchoArgs{X: 3}, &reply))
		h.T().Logf("REALTIME %v", h.Realtime())
	}, LeakGrace(10*time.Millisecond))
}

func TestGuardHelperFailWithLog(t *testing.T) {
	helperOnly(t)
	Run(t, func(h *H) {
		startEcho(h, "s")
		end := dialEcho(h, "client")
		h.Logger("client").Printf(1, "about to call")
		var reply EchoReply
		end.Call("echo.Echo", &EchoArgs{X: 3}, &reply)
		h.Action("partition client away")
		h.Net().Enable("c->s", false)
		end.Call("echo.Missing", &EchoArgs{X: 4}, &reply)
		h.T().Fatalf("checker: wrong value")
	}, WithSeed(1234))
}

func TestFailureWritesTimeline(t *testing.T) {
	dir := t.TempDir()
	out, _ := runHelper(t, "^TestGuardHelperFailWithLog$", "-logdir", dir)
	assert.Contains(t, out, "checker: wrong value")
	assert.Contains(t, out, "go test ./labtest -run '^TestGuardHelperFailWithLog$' -seed 1234")
	path := filepath.Join(dir, "TestGuardHelperFailWithLog-seed1234.log")
	assert.Contains(t, out, path)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	text := string(data)
	assert.True(t, strings.HasPrefix(text, "# labtest timeline of TestGuardHelperFailWithLog: FAIL\n# seed: 1234\n# rerun: go test ./labtest -run '^TestGuardHelperFailWithLog$' -seed 1234"), text)
	// The merged timeline: the client's log, the call in the network trace,
	// the harness's action, in this order.
	iLog := strings.Index(text, "client about to call")
	iCall := strings.Index(text, "client->s echo.Echo #0")
	iAction := strings.Index(text, "partition client away")
	iTeardown := strings.Index(text, "teardown")
	assert.True(t, iLog >= 0 && iCall > iLog && iAction > iCall && iTeardown > iAction,
		"timeline out of order: log %d, call %d, action %d, teardown %d\n%s", iLog, iCall, iAction, iTeardown, text)
}

var _ = labrpc.Delivered

func TestGuardHelperRealtimeLimit(t *testing.T) {
	helperOnly(t)
	Run(t, func(h *H) {
		select {} // never finishes
	}, VirtualTimeLimit(500*time.Millisecond), LeakGrace(10*time.Millisecond))
}

func TestRealtimeLimitIsWallClock(t *testing.T) {
	out, took := runHelper(t, "^TestGuardHelperRealtimeLimit$", "-realtime")
	assert.Contains(t, out, "exceeded its real-time limit (500ms)")
	assert.Contains(t, out, "select (no cases)")
	assert.Contains(t, out, "-realtime\n")
	assert.GreaterOrEqual(t, took, 500*time.Millisecond)
	assert.Less(t, took, 5*time.Second)
}
