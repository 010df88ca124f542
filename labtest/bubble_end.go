package labtest

import (
	"fmt"
	"runtime/debug"
	"strings"
)

func panicStack() string { return string(debug.Stack()) }

// snapshotTest returns the goroutines of this run, except the caller.
func (r *run) snapshotTest() []goroutine {
	self := selfID()
	gs := testGoroutines(parseStacks(allStacks()), int(r.bubbleID.Load()), r.id)
	out := gs[:0]
	for _, g := range gs {
		if g.ID != self {
			out = append(out, g)
		}
	}
	return out
}

// rootFinished interprets how the bubble's root goroutine ended.
func (r *run) rootFinished(res rootResult) {
	r.outer.Helper()
	if res.returned || res.panicked == nil {
		return
	}
	msg := fmt.Sprint(res.panicked)
	if strings.HasPrefix(msg, "deadlock: ") {
		if r.doneSent.Load() && strings.Contains(msg, "main bubble goroutine has exited") {
			// Leaked goroutines outlived the body; teardown already
			// reported them, and their bubble ends with this panic.
			r.outer.Logf("labtest: the bubble ended with synctest's %q (recovered): the goroutines listed above are left blocked forever", msg)
			return
		}
		gs := r.snapshotTest()
		when := ""
		if r.doneSent.Load() {
			// The harness's teardown was over, so its heartbeat no longer
			// kept the clock going: what blocks runs after it, in
			// synctest's own wrap-up.
			when = " after teardown"
		}
		text := fmt.Sprintf("labtest: synctest %s%s: no goroutine of the test can run and no timer is pending.\n"+
			"Goroutines of this test:\n%s", msg, when, describe(gs, true))
		r.abandon(text, rawStacks(gs))
		r.outer.Error(text)
		return
	}
	if strings.Contains(msg, "after "+r.name+" has completed") {
		return // a late report on a test a guard had already ended
	}
	text := fmt.Sprintf("labtest: the test's root goroutine panicked: %v", res.panicked)
	r.abandon(text, "")
	r.outer.Error(text)
}

// bubbleNeverEnds runs when teardown finished but the bubble did not end
// within rootGrace: a goroutine of the test still runs or waits on
// something outside the bubble. It cannot be stopped; the test moves on.
func (r *run) bubbleNeverEnds() {
	r.outer.Helper()
	gs := r.snapshotTest()
	var b strings.Builder
	b.WriteString("labtest: after teardown, goroutines of the test keep running or wait on something outside the test, " +
		"so the test's bubble can never end; they are left behind (and use CPU if they spin):\n")
	b.WriteString(describe(gs, r.virtual))
	msg := b.String()
	r.mu.Lock()
	r.dumps = append(r.dumps, rawStacks(gs))
	r.mu.Unlock()
	r.abandoned.Store(true)
	r.leaked(msg, gs, func(m string) {
		r.recordFailure(m, "", r.virtualNow())
		r.outer.Error(m)
	}, func(m string) { r.outer.Log(m) })
}
