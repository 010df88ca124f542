package grade

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A failing lab test under -test.v prints the suite's banner, the failure
// and the harness's notes; the message leads with the failure.
func TestFailureMessageLeadsWithWhatWentWrong(t *testing.T) {
	stdout := `=== RUN   TestInitialElection3A
    raft3a_test.go:18: Test: initial election
    probes.go:134: liveness: no leader elected within 5s among connected servers [0 1 2]
    raft3a_test.go:16: labtest: seed 7; replay with:
        go test ./raft -run '^TestInitialElection3A$' -seed 7
--- FAIL: TestInitialElection3A (0.64s)
FAIL
`
	out, msg := classify("TestInitialElection3A", stdout, "", errors.New("exit status 1"), false, time.Minute, nil)
	assert.Equal(t, Fail, out)
	assert.Equal(t, "probes.go:134: liveness: no leader elected within 5s among connected servers [0 1 2]\n"+
		"raft3a_test.go:18: Test: initial election\n"+
		"raft3a_test.go:16: labtest: seed 7; replay with:\n"+
		"go test ./raft -run '^TestInitialElection3A$' -seed 7", msg)
}

func TestClassifyEveryEnding(t *testing.T) {
	exit1 := errors.New("exit status 1")
	for _, c := range []struct {
		name           string
		stdout, stderr string
		err            error
		killed         bool
		want           Outcome
		says           string
	}{
		{"pass", "=== RUN   TestX\n--- PASS: TestX (0.01s)\nPASS\n", "", nil, false, Pass, ""},
		{"skip", "=== RUN   TestX\n    x_test.go:3: no ReadIndex\n--- SKIP: TestX (0.00s)\nPASS\n", "", nil, false, Skip, "no ReadIndex"},
		{"subtest fails", "    --- FAIL: TestX/seed=1 (0.1s)\n--- FAIL: TestX (0.1s)\n", "", exit1, false, Fail, ""},
		{"goroutine panic", "=== RUN   TestX\n", "panic: index out of range\n\ngoroutine 7 [running]:\nraft.(*Raft).ticker()\n", errors.New("exit status 2"), false, Crash, "panic: index out of range"},
		{"runtime fatal", "=== RUN   TestX\n", "fatal error: concurrent map writes\n", errors.New("exit status 2"), false, Crash, "concurrent map writes"},
		{"testing timeout", "=== RUN   TestX\n", "panic: test timed out after 3m0s\n\trunning tests:\n\t\tTestX (3m0s)\n", errors.New("exit status 2"), false, Timeout, "real-time limit of 1m0s"},
		{"killed", "=== RUN   TestX\n", "", errors.New("signal: killed"), true, Timeout, "process group was killed"},
		{"os.Exit(0)", "=== RUN   TestX\n", "", nil, false, Crash, "without a verdict"},
		{"os.Exit(3)", "=== RUN   TestX\n", "bye\n", errors.New("exit status 3"), false, Crash, "exit status 3"},
		{"no such test", "testing: warning: no tests to run\nPASS\n", "", nil, false, Missing, "no test TestX"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, msg := classify("TestX", c.stdout, c.stderr, c.err, c.killed, time.Minute, nil)
			assert.Equal(t, c.want, out)
			assert.Contains(t, msg, c.says)
		})
	}
}

func TestCrashSummaryLineNamesThePanic(t *testing.T) {
	for _, stderr := range []string{
		"panic: planted: applier of server 1\n\ngoroutine 7 [running]:\nkvraft.(*KVServer).applier()\n",
		"fatal error: concurrent map writes\n\ngoroutine 7 [running]:\n",
	} {
		out, msg := classify("TestX", "=== RUN   TestX\n", stderr, errors.New("exit status 2"), false, time.Minute, nil)
		require.Equal(t, Crash, out)
		panicLine, _, _ := strings.Cut(stderr, "\n")
		assert.Equal(t, "the test process crashed: "+panicLine, firstLine(msg),
			"the first line of a crash's message, all that the one-line summaries show, says what crashed")
		assert.Contains(t, msg, "goroutine 7 [running]", "the stack follows the first line")
	}
}

// Under -test.v a test's progress notes (t.Logf) read like its failures;
// the failures the harness recorded in the timeline come first, so that
// the one-line summaries say what went wrong.
func TestFailureMessageLeadsWithTheRecordedFailure(t *testing.T) {
	stdout := `=== RUN   TestPersistVote3C
    raft3c_test.go:549: Test: votes survive a restart
    raft3c_test.go:618:   round 0: 2 leads term 2 with the vote of 1; 0 is down with term <= 1
    raft3c_test.go:618:   round 1: 1 leads term 4 with the vote of 0; 2 is down with term <= 3
    probes.go:110: election safety: servers 1 and 2 both led term 4
        (both sent heartbeats)
    raft3c_test.go:546: labtest: seed 7; replay with:
            go test ./raft -run '^TestPersistVote3C$' -seed 7
--- FAIL: TestPersistVote3C (0.03s)
FAIL
`
	recorded := []string{"election safety: servers 1 and 2 both led term 4", "(both sent heartbeats)"}
	out, msg := classify("TestPersistVote3C", stdout, "", errors.New("exit status 1"), false, time.Minute, recorded)
	require.Equal(t, Fail, out)
	assert.Equal(t, "probes.go:110: election safety: servers 1 and 2 both led term 4\n"+
		"(both sent heartbeats)\n"+
		"raft3c_test.go:618:   round 0: 2 leads term 2 with the vote of 1; 0 is down with term <= 1\n"+
		"raft3c_test.go:618:   round 1: 1 leads term 4 with the vote of 0; 2 is down with term <= 3\n"+
		"raft3c_test.go:549: Test: votes survive a restart\n"+
		"raft3c_test.go:546: labtest: seed 7; replay with:\n"+
		"go test ./raft -run '^TestPersistVote3C$' -seed 7", msg,
		"the recorded failure, with its continuation, leads; the progress notes follow in their order")

	_, msg = classify("TestPersistVote3C", stdout, "", errors.New("exit status 1"), false, time.Minute, nil)
	assert.True(t, strings.HasPrefix(msg, "raft3c_test.go:618:   round 0"), "without a timeline the test's lines keep their order")
}
