package labtest

import (
	"fmt"
	"strings"
	"time"
)

// The stall watchdog runs on the outer test goroutine (see execute): the
// bubble's heartbeat advances r.beats whenever the virtual clock moves, and
// a count that stands still for r.stall of real time means that something
// in the bubble keeps it from ever being idle.

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
	r.realTimeGuard.Store(true)
	r.abandon(msg, rawStacks(gs))
	r.outer.Error(msg)
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
