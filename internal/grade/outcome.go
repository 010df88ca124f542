package grade

import (
	crand "crypto/rand"
	"encoding/binary"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// FreshSeed draws a base seed when none is given; the results record it,
// so the grading run can be repeated.
func FreshSeed() uint64 {
	var b [8]byte
	if _, err := crand.Read(b[:]); err != nil {
		return uint64(time.Now().UnixNano())
	}
	return binary.LittleEndian.Uint64(b[:])
}

// logLine matches the start of a t.Log/t.Error line under -test.v.
var logLine = regexp.MustCompile(`^\s+\S+\.go:\d+: `)

// classify reads a run's verdict from its exit and output (the process ran
// one test with -test.v). recorded are the failures the harness wrote into
// the run's timelines, which say which of the test's log lines are
// failures rather than its progress notes.
func classify(name, stdout, stderr string, runErr error, killed bool, limit time.Duration, recorded []string) (Outcome, string) {
	all := stdout + "\n" + stderr
	if killed {
		msg := fmt.Sprintf("killed: still running past the real-time limit of %s; its whole process group was killed", limit)
		if p := panicText(all); p != "" {
			msg += "\n" + p
		}
		return Timeout, msg
	}
	if i := strings.Index(all, "panic: test timed out after"); i >= 0 {
		return Timeout, fmt.Sprintf("still running past the real-time limit of %s (the testing package's dump of every goroutine is in stderr.txt)\n%s", limit, firstLines(all[i:], 6))
	}
	failed := strings.Contains(stdout, "--- FAIL: "+name+" (")
	panicked := panicText(all)
	switch {
	case failed && panicked != "":
		return Fail, testLog(stdout, recorded) + "\n" + panicked
	case failed:
		return Fail, testLog(stdout, recorded)
	case panicked != "":
		// The panic line goes on the first line: the run's one-line
		// summaries (the terminal, JUnit's message) show only that.
		return Crash, "the test process crashed: " + panicked
	case runErr != nil:
		return Crash, fmt.Sprintf("the test process ended (%v) without a verdict\n%s", runErr, lastLines(strings.TrimSpace(all), 12))
	case strings.Contains(stdout, "--- PASS: "+name+" ("):
		return Pass, ""
	case strings.Contains(stdout, "--- SKIP: "+name+" ("):
		return Skip, testLog(stdout, recorded)
	case strings.Contains(all, "testing: warning: no tests to run"):
		return Missing, fmt.Sprintf("the test binary has no test %s", name)
	}
	return Crash, "the test process exited 0 without a verdict (did the code call os.Exit?)\n" + lastLines(strings.TrimSpace(all), 12)
}

// panicText returns the panic line of a crash and the lines after it that
// say where (the goroutine's first frames).
func panicText(out string) string {
	for _, marker := range []string{"\npanic: ", "\nfatal error: "} {
		if i := strings.Index("\n"+out, marker); i >= 0 {
			return firstLines(out[i:], 14)
		}
	}
	return ""
}

// testLog returns the test's own log lines (at most twenty), the failure
// messages first: the suite's "Test: ..." banner and the harness's own
// notes (labtest: timeline, seed, replay line) follow them, so that the
// first line says what went wrong. Under -test.v a t.Log line reads like a
// t.Error one, so the lines that begin a failure the harness recorded go
// before the test's other lines (progress notes such as "round 0: ...").
func testLog(stdout string, recorded []string) string {
	var msgs, notes [][]string
	var cur *[][]string
	for _, l := range strings.Split(stdout, "\n") {
		switch {
		case logLine.MatchString(l):
			cur = &msgs
			if note.MatchString(l) {
				cur = &notes
			}
			*cur = append(*cur, []string{strings.TrimSpace(l)})
		case cur != nil && strings.HasPrefix(l, "        "):
			// a continuation of a multi-line message
			last := &(*cur)[len(*cur)-1]
			*last = append(*last, strings.TrimSpace(l))
		default:
			cur = nil
		}
	}
	var failures, others [][]string
	for _, m := range msgs {
		if beginsRecorded(m[0], recorded) {
			failures = append(failures, m)
		} else {
			others = append(others, m)
		}
	}
	var out []string
	for _, m := range append(append(failures, others...), notes...) {
		out = append(out, m...)
	}
	if len(out) > 20 {
		out = append(out[:20], "…")
	}
	return strings.Join(out, "\n")
}

// beginsRecorded reports whether the log line (file.go:N: text) is the
// first line of one of the recorded failures.
func beginsRecorded(line string, recorded []string) bool {
	loc := logPrefix.FindStringIndex(line)
	if loc == nil {
		return false
	}
	text := line[loc[1]:]
	for _, f := range recorded {
		first, _, _ := strings.Cut(f, "\n")
		if first = strings.TrimSpace(first); first != "" && strings.HasPrefix(text, first) {
			return true
		}
	}
	return false
}

// logPrefix is the file:line a trimmed log line starts with.
var logPrefix = regexp.MustCompile(`^\S+\.go:\d+: `)

// note matches the log lines that are not the failure itself.
var note = regexp.MustCompile(`^\s+\S+\.go:\d+: (Test: |labtest: )`)

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = append(lines[:n], "…")
	}
	return strings.TrimRight(strings.Join(lines, "\n"), "\n")
}

func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = append([]string{"…"}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}
