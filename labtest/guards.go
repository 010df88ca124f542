package labtest

import (
	"fmt"
	"runtime/debug"
	"strings"
	"time"
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

// limitExceeded runs on the heartbeat, in the bubble, when the current
// phase's deadline has passed. Every other goroutine of the bubble is
// durably blocked at that instant (timers fire only then), so the dump
// shows where each one waits.
func (r *run) limitExceeded(now time.Time) {
	gs := r.snapshotTest()
	var b strings.Builder
	phase, _ := r.phase.Load().(string)
	clock := "virtual"
	if !r.virtual {
		clock = "real"
	}
	if phase == "teardown" {
		fmt.Fprintf(&b, "labtest: teardown did not finish within %v of %s time: an OnTeardown function (a Kill?) or the network cleanup is blocked.\n",
			r.opt.teardownCap, clock)
	} else {
		fmt.Fprintf(&b, "labtest: the test exceeded its %s-time limit (%v): at %s time %.3fs the body has not finished.\n",
			clock, time.Duration(r.deadline.Load()-r.start.UnixNano()), clock, now.Sub(r.start).Seconds())
	}
	if r.virtual && looksDeadlocked(gs, r.virtual) {
		b.WriteString("Every goroutine of the test waits on a channel, select, sync.Cond or WaitGroup, and none sleeps: " +
			"this looks like a deadlock (the harness's heartbeat timer carried the clock to the limit in a few real milliseconds). " +
			"Unless one of them selects on a timer longer than the limit, look for a receive nobody sends to.\n")
	}
	b.WriteString("Goroutines of this test:\n")
	b.WriteString(describe(gs, r.virtual))
	msg := b.String()
	r.abandon(msg, rawStacks(gs))
	r.events <- event{kind: evAbandon, msg: msg}
}

// stalled runs on the outer test goroutine when the bubble's clock has not
// moved for r.stall of real time: something in the bubble keeps it from
// ever being idle.
func (r *run) stalled(frozen time.Duration) {
	r.outer.Helper()
	gs := r.snapshotTest()
	var b strings.Builder
	when := ""
	if p, _ := r.phase.Load().(string); p == "teardown" {
		when = ", during teardown (after the OnTeardown functions were called)"
	}
	fmt.Fprintf(&b, "labtest: stall watchdog: virtual time has not advanced for %v of real time (stuck at virtual %.3fs%s).\n",
		frozen.Round(100*time.Millisecond), time.Duration(r.vnow.Load()).Seconds(), when)
	if k, ok := diagnosis(gs, true); ok {
		fmt.Fprintf(&b, "Diagnosis: %s (see the hint below).\n", kindName[k])
		if k == kindMutex {
			b.WriteString(lockSuspects(gs))
		}
	} else {
		b.WriteString("Diagnosis: none of the usual causes is visible; the goroutines follow.\n")
	}
	b.WriteString("Goroutines of this test, by server:\n")
	b.WriteString(describe(gs, true))
	msg := b.String()
	r.abandon(msg, rawStacks(gs))
	r.outer.Error(msg)
}

// rootFinished interprets how the bubble's root goroutine ended.
func (r *run) rootFinished(res rootResult) {
	r.outer.Helper()
	if res.returned || res.panicked == nil {
		return
	}
	msg := fmt.Sprint(res.panicked)
	if strings.HasPrefix(msg, "deadlock: ") {
		if r.doneSent.Load() {
			// Leaked goroutines outlived the body; teardown already
			// reported them, and their bubble ends with this panic.
			r.outer.Logf("labtest: the bubble ended with synctest's %q (recovered): the goroutines listed above are left blocked forever", msg)
			return
		}
		gs := r.snapshotTest()
		text := fmt.Sprintf("labtest: synctest %s: no goroutine of the test can run and no timer is pending.\n"+
			"Goroutines of this test:\n%s", msg, describe(gs, true))
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
	r.abandon(msg, rawStacks(gs))
	if r.strict {
		r.outer.Error(msg)
	} else {
		r.outer.Log("warning (-strict makes this a failure): " + msg)
	}
}

// lockSuspects names the goroutines that may hold the lock others wait
// for: those of the same owners that are blocked on something else. The
// runtime does not record mutex owners, so this is a list to look at, not
// a verdict.
func lockSuspects(gs []goroutine) string {
	waiting := map[string]bool{}
	for _, g := range gs {
		if classify(g, true) == kindMutex {
			waiting[g.owner()] = true
		}
	}
	var b strings.Builder
	for _, g := range gs {
		k := classify(g, true)
		if !waiting[g.owner()] || k == kindMutex || k == kindBusy {
			continue
		}
		w := g.where()
		fmt.Fprintf(&b, "  possible holder: %s goroutine %d [%s] in %s  %s\n", g.owner(), g.ID, g.Status, w.Func, w.Pos)
	}
	return b.String()
}
