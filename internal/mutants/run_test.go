package mutants

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// feed runs lines through an outputParser, one second apart, and finishes the
// outcome as RunSuite does for a binary that exited with code.
func feed(text string, code int) Outcome {
	var p outputParser
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	for i, l := range lines {
		p.line(l, time.Duration(i+1)*time.Second)
	}
	o := p.outcome()
	o.ExitCode = code
	o.Total = time.Duration(len(lines)+1) * time.Second
	p.finishCrash(&o)
	return o
}

func TestParserCountsTopLevelVerdicts(t *testing.T) {
	o := feed(`=== RUN   TestA
--- PASS: TestA (0.01s)
=== RUN   TestChaos
=== RUN   TestChaos/seed=1
    --- FAIL: TestChaos/seed=1 (0.20s)
--- FAIL: TestChaos (0.20s)
=== RUN   TestB
    raft3b_test.go:15: agreement failed
--- FAIL: TestB (0.07s)
=== RUN   TestC
--- SKIP: TestC (0.00s)
FAIL
`, 1)
	assert.True(t, o.Caught())
	assert.Equal(t, []string{"TestChaos", "TestB"}, o.Failed)
	assert.Equal(t, 1, o.Passed)
	assert.Equal(t, 6*time.Second, o.FirstFailure, "the first failure is TestChaos's verdict, on line 6")
	assert.Empty(t, o.Crash)
}

func TestParserPassingRun(t *testing.T) {
	o := feed("=== RUN   TestA\n--- PASS: TestA (0.01s)\nPASS\n", 0)
	assert.False(t, o.Caught())
	assert.Empty(t, o.Failed)
	assert.Zero(t, o.FirstFailure)
}

// A panic in a server goroutine ends the binary in the middle of a test:
// that test is the one that caught the bug.
func TestParserNamesTheTestRunningAtAPanic(t *testing.T) {
	o := feed(`=== RUN   TestA
--- PASS: TestA (0.01s)
=== RUN   TestSnapshotInit3D
panic: runtime error: slice bounds out of range [-9:]

goroutine 7 [running]:
`, 2)
	assert.True(t, o.Caught())
	assert.Equal(t, []string{"TestSnapshotInit3D [panic]"}, o.Failed)
	assert.Equal(t, "panic: runtime error: slice bounds out of range [-9:]", o.Crash)
	assert.Equal(t, o.Total, o.FirstFailure)
}

func TestParserTimeoutAfterAFailure(t *testing.T) {
	o := feed(`=== RUN   TestA
--- FAIL: TestA (1.00s)
=== RUN   TestB
panic: test timed out after 15m0s
	running tests:
		TestB (15m0s)
`, 2)
	assert.Equal(t, []string{"TestA", "TestB [timeout]"}, o.Failed)
	assert.Equal(t, 2*time.Second, o.FirstFailure)
}

// A test's own log may quote a panic; with the binary's closing verdict
// printed, it is not a crash.
func TestParserIgnoresQuotedPanicsOfAFinishedBinary(t *testing.T) {
	o := feed(`=== RUN   TestA
panic: recovered and logged by the harness
--- FAIL: TestA (0.01s)
FAIL
`, 1)
	assert.Equal(t, []string{"TestA"}, o.Failed)
	assert.Empty(t, o.Crash)
}
