package shardctrler

// The suite must fail a controller whose rebalance is flawed, in the test
// that checks the property broken and with a message that names it. Our
// server with one rebalance or another swapped in (setRebalance):
//
//   - mapOrderRebalance, the classic mistake: even and minimal, but it
//     breaks ties between groups in the order Go iterates a map, which
//     differs from server to server, so the servers' configurations
//     diverge;
//   - roundRobinRebalance: deterministic and even, but it deals every
//     shard out afresh, moving shards between groups that stay.
//
// The suite runs on each in a subprocess (the test binary itself), so that
// what a failing run prints is checked too.

import (
	"context"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// mapOrderRebalance hands the shards of no group to the group with the
// fewest, then moves shards from the group with the most to the group
// with the fewest until they are even, taking the first such group the
// map iteration meets.
func mapOrderRebalance(shards []int, groups map[int][]string) []int {
	out := make([]int, len(shards))
	if len(groups) == 0 {
		return out
	}
	owned := map[int][]int{}
	for g := range groups {
		owned[g] = nil
	}
	var free []int
	for s, g := range shards {
		if _, ok := groups[g]; ok {
			owned[g] = append(owned[g], s)
		} else {
			free = append(free, s)
		}
	}
	first := func(better func(a, b int) bool) int {
		best := -1
		for g, ss := range owned {
			if best == -1 || better(len(ss), len(owned[best])) {
				best = g
			}
		}
		return best
	}
	most := func() int { return first(func(a, b int) bool { return a > b }) }
	fewest := func() int { return first(func(a, b int) bool { return a < b }) }
	for _, s := range free {
		g := fewest()
		owned[g] = append(owned[g], s)
	}
	for {
		hi, lo := most(), fewest()
		if len(owned[hi])-len(owned[lo]) <= 1 {
			break
		}
		s := owned[hi][len(owned[hi])-1]
		owned[hi] = owned[hi][:len(owned[hi])-1]
		owned[lo] = append(owned[lo], s)
	}
	for g, ss := range owned {
		for _, s := range ss {
			out[s] = g
		}
	}
	return out
}

// roundRobinRebalance deals shard i to the i-th group, in gid order,
// round and round.
func roundRobinRebalance(shards []int, groups map[int][]string) []int {
	out := make([]int, len(shards))
	if len(groups) == 0 {
		return out
	}
	gids := slices.Sorted(maps.Keys(groups))
	for s := range out {
		out[s] = gids[s%len(gids)]
	}
	return out
}

const flawedHelperEnv = "SHARDCTRLER_FLAWED_HELPER"

func TestHelperMapOrderRebalance(t *testing.T) {
	flawedHelper(t, mapOrderRebalance)
	TestMulti(t)
}

func TestHelperRoundRobinRebalance(t *testing.T) {
	flawedHelper(t, roundRobinRebalance)
	TestBasic(t)
	TestMinimalAgain(t)
}

// flawedHelper skips the test unless it runs in the subprocess, where it
// makes the suite's servers rebalance with f.
func flawedHelper(t *testing.T, f func([]int, map[int][]string) []int) {
	if os.Getenv(flawedHelperEnv) != "1" {
		t.Skip("a deliberately failing test, run in a subprocess by TestFlawedRebalanceFailsTheSuite")
	}
	suiteSetup = setup{rebalance: f}
	t.Cleanup(func() { suiteSetup = setup{} })
}

func TestFlawedRebalanceFailsTheSuite(t *testing.T) {
	if _, ok := any(&ShardCtrler{}).(rebalancer); !ok {
		t.Skip("the server has no setRebalance: the flawed variants are our server's")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run", "^TestHelper", "-test.v", "-logdir", t.TempDir(), "-replay-check=false")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "RAFTLAB_") { // the run's own settings are not the helpers'
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, flawedHelperEnv+"=1")
	out, _ := cmd.CombinedOutput()

	mapOrder := outputOf(string(out), "TestHelperMapOrderRebalance")
	assert.Contains(t, mapOrder, "--- PASS: TestHelperMapOrderRebalance/LeaveJoin", "two groups leave no tie to break: the map order shows in no configuration")
	assert.Contains(t, mapOrder, "--- FAIL: TestHelperMapOrderRebalance/AgreeConfig", "the servers' configurations diverge: the agreement check must fail")
	assert.Contains(t, mapOrder, "determinism: config", "the failure names the property")

	roundRobin := outputOf(string(out), "TestHelperRoundRobinRebalance")
	for _, passes := range []string{"LeaveJoin", "HistoricalQueries", "ConcurrentLeaveJoin"} {
		assert.Contains(t, roundRobin, "--- PASS: TestHelperRoundRobinRebalance/"+passes, "an even, deterministic rebalance passes %s", passes)
	}
	for _, fails := range []string{"MinimalTransfer", "MinimalTransferAfterLeave"} {
		assert.Contains(t, roundRobin, "--- FAIL: TestHelperRoundRobinRebalance/"+fails+" ", "dealing shards afresh moves too many: %s must fail", fails)
	}
	assert.Contains(t, roundRobin, "non-minimal transfer after", "the failure names the property")
	if t.Failed() {
		t.Logf("subprocess output:\n%s", out)
	}
}

// outputOf is the part of a -test.v output from name's "=== RUN" line to
// the next one of a test that is not name or one of its subtests.
func outputOf(out, name string) string {
	const run = "=== RUN   "
	start := strings.Index(out, run+name+"\n")
	if start < 0 {
		return ""
	}
	rest := out[start:]
	for at := len(run); ; {
		next := strings.Index(rest[at:], "\n"+run)
		if next < 0 {
			return rest
		}
		at += next + 1
		if !strings.HasPrefix(rest[at+len(run):], name+"/") {
			return rest[:at]
		}
		at += len(run)
	}
}

func TestOutputOfStopsAtTheNextTest(t *testing.T) {
	out := "=== RUN   TestA\n=== RUN   TestA/x\nA's line\n--- FAIL: TestA\n=== RUN   TestAB\nAB's line\n"
	assert.Equal(t, "=== RUN   TestA\n=== RUN   TestA/x\nA's line\n--- FAIL: TestA\n", outputOf(out, "TestA"))
	assert.Equal(t, "=== RUN   TestAB\nAB's line\n", outputOf(out, "TestAB"))
	assert.Empty(t, outputOf(out, "TestC"))
}
