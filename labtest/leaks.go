package labtest

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
)

// Goroutines that outlive Kill are the most common flaw of a submission
// that otherwise works: the classic lab never asked for more, and an
// applier left waiting on a sync.Cond after Kill leaks in every test. So a
// leak is one finding of the binary, not one of each test. The first leak
// is told once on standard error, which go test shows without -v (in a
// package's own directory, with -json, or when the package fails), with
// the usual cause and its fix; each leaking test also logs its own list
// (go test -v). With -strict the first leaking test fails, naming the
// leak, and later ones only log: a grader sees one clear failure instead of
// one per test.

var (
	leakMu    sync.Mutex
	firstLeak string // the test that leaked first in this binary
)

// leaked reports the goroutines of r that outlived teardown, described in
// msg: a failure if r is the binary's first leak under -strict, else a
// warning.
func (r *run) leaked(msg string, gs []goroutine, fail func(string), log func(string)) {
	leakMu.Lock()
	first := firstLeak == ""
	if first {
		firstLeak = r.name
	}
	earlier := firstLeak
	leakMu.Unlock()

	cause := leakCause(gs)
	msg += cause
	if first {
		fmt.Fprintf(os.Stderr, "labtest: warning: goroutines of %s are still alive after Kill:\n%s%s"+
			"This is said once per test binary; each later test with leaks lists them in its log (go test -v). "+
			"-strict (RAFTLAB_STRICT=1) makes the first test that leaks fail.\n", r.name, leakSummary(gs), cause)
	}
	switch {
	case r.strict && first:
		fail(msg + "This is the first test of this binary whose goroutines outlive Kill; " +
			"with -strict it fails, and later tests that leak only log their leaks.")
	case r.strict:
		log("warning (-strict failed the binary's first leaking test, " + earlier + ", already): " + msg)
	default:
		log("warning (-strict makes the binary's first leak a failure): " + msg)
	}
}

// leakSummary names the distinct places the leaked goroutines wait at.
func leakSummary(gs []goroutine) string {
	count := map[string]int{}
	for _, g := range gs {
		w := g.where()
		count[fmt.Sprintf("%s: %s [%s]  %s", g.owner(), w.Func, g.Status, w.Pos)]++
	}
	keys := make([]string, 0, len(count))
	for k := range count {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		if n := count[k]; n > 1 {
			fmt.Fprintf(&b, "  %s  × %d\n", k, n)
		} else {
			fmt.Fprintf(&b, "  %s\n", k)
		}
	}
	return b.String()
}

// leakCause explains the usual causes of the kinds of wait the leaked
// goroutines are in, and how to fix each.
func leakCause(gs []goroutine) string {
	seen := map[string]bool{}
	var b strings.Builder
	say := func(key, text string) {
		if !seen[key] {
			seen[key] = true
			b.WriteString(text + "\n")
		}
	}
	for _, g := range gs {
		switch {
		case g.Labels[labelServer] == "" && g.Labels[labelHelper] != "":
			// A client operation the test started: Kill cannot end it, and
			// the advice about servers' loops would send the student to
			// the wrong code.
			say("helper", "Usual cause: a call the test started (a clerk's operation, say) never returned, "+
				"so the failure to look at is the one that says which operation did not complete. "+
				"Fix what kept it from completing (a clerk that keeps asking the wrong servers or an outdated configuration, "+
				"servers that never answer, a lock never released), not Kill.")
		case strings.HasPrefix(g.Status, "sync.Cond.Wait"):
			say("cond", "Usual cause: a goroutine (an applier, say) waits on a sync.Cond that nobody signals after Kill. "+
				"Fix: in Kill, after setting the killed flag, call Broadcast on the Cond (holding its lock), "+
				"and have the waiter check rf.killed() after every Wait and return.")
		case strings.HasPrefix(g.Status, "chan receive") || strings.HasPrefix(g.Status, "select"):
			say("recv", "Usual cause: a goroutine waits on a channel that nobody sends to or closes after Kill. "+
				"Fix: close a done channel in Kill and select on it beside the receive, returning when it is closed.")
		case strings.HasPrefix(g.Status, "chan send"):
			say("send", "Usual cause: a goroutine blocks sending (on applyCh, say) after the receiver stopped reading. "+
				"Fix: select on a done channel, closed in Kill, beside the send.")
		case g.Status == "sleep":
			say("sleep", "Usual cause: a loop that sleeps and never checks whether the server was killed. "+
				"Fix: check rf.killed() at the top of every loop and return.")
		default:
			say("other", "Goroutines must return after Kill: check rf.killed() in every loop and do not block forever on a channel, a lock or a sync.Cond.")
		}
	}
	return b.String()
}
