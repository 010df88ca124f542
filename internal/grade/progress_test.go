package grade

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func progressTests() []*TestResult {
	mk := func(name string) *TestResult {
		return &TestResult{Lab: "raft", Part: "3A", Name: name, MaxPoints: 1,
			Runs: []RunResult{{Run: 1, Outcome: NotRun}, {Run: 2, Outcome: NotRun}}}
	}
	return []*TestResult{mk("TestA3A"), mk("TestB3A")}
}

// Off a terminal: one plain line per finished run, and for one that did
// not pass its first message, rerun line and folder.
func TestLineProgressPrintsOneLinePerRun(t *testing.T) {
	var b bytes.Buffer
	p := LineProgress(&b)
	tests := progressTests()
	p.Begin(tests, 2)
	tests[0].Runs[0] = RunResult{Run: 1, Seed: 5, Outcome: Pass, Seconds: 0.5}
	p.Finished(tests[0], tests[0].Runs[0])
	tests[1].Runs[0] = RunResult{Run: 1, Seed: 6, Outcome: Fail, Message: "agreement failed\nmore", Rerun: "go test ./raft -run '^TestB3A$' -seed 6", Artifacts: "/a/b"}
	p.Finished(tests[1], tests[1].Runs[0])
	p.End()
	out := b.String()
	assert.NotContains(t, out, "\x1b", "no escape sequences off a terminal")
	assert.Contains(t, out, "grading 2 tests, 4 runs\n")
	assert.Contains(t, out, "PASS    raft/TestA3A [3A] run 1/2 seed 5 0.50s (1/4)\n")
	assert.Contains(t, out, "FAIL    raft/TestB3A [3A] run 1/2 seed 6")
	assert.Contains(t, out, "        agreement failed\n        rerun: go test ./raft -run '^TestB3A$' -seed 6\n        artifacts: /a/b\n")
}

// On a terminal: a table redrawn in place, cut to the terminal's width,
// each failure printed above it, and the table erased at the end for the
// final report.
func TestLiveProgressRedrawsInPlace(t *testing.T) {
	var b bytes.Buffer
	p := LiveProgress(&b, func() (int, int) { return 60, 40 }).(*liveProgress)
	// Only the runs' events redraw here: a timed redraw would write into b
	// while the test reads it, and make the output depend on the clock.
	p.every = time.Hour
	tests := progressTests()
	p.Begin(tests, 2)
	p.Started(tests[0], 1)
	tests[0].Runs[0] = RunResult{Run: 1, Seed: 5, Outcome: Pass, Seconds: 0.5}
	p.Finished(tests[0], tests[0].Runs[0])
	first := b.String()
	assert.Contains(t, first, "raft/TestA3A")
	assert.Contains(t, first, "1/2")
	assert.Contains(t, first, "1/4 runs done, 0 failed")

	p.Started(tests[1], 1)
	tests[1].Runs[0] = RunResult{Run: 1, Seed: 6, Outcome: Crash, Message: "panic: boom", Rerun: "go test ./raft -run '^TestB3A$' -seed 6"}
	p.Finished(tests[1], tests[1].Runs[0])
	second := b.String()[len(first):]
	assert.True(t, strings.HasPrefix(second, "\x1b["), "the old table is erased before the failure is printed")
	assert.Contains(t, second, "raft/TestB3A run 1 (seed 6): panic: boom\n    rerun: go test ./raft -run '^TestB3A$' -seed 6\n")
	assert.Contains(t, second, "2/4 runs done, 1 failed")
	for _, line := range strings.Split(second, "\n") {
		assert.LessOrEqual(t, visibleWidth(line), 60, "no line wraps on a 60-column terminal: %q", line)
	}
	p.End()
	assert.Equal(t, 0, p.drawn, "the table is erased when grading ends")
	assert.True(t, strings.HasSuffix(b.String(), "\x1b[J"))
}

// visibleWidth counts the runes of a line that are not part of an escape
// sequence.
func visibleWidth(s string) int {
	n, esc := 0, false
	for _, r := range s {
		switch {
		case r == '\x1b':
			esc = true
		case esc:
			if r >= '@' && r <= '~' && r != '[' {
				esc = false
			}
		default:
			n++
		}
	}
	return n
}
