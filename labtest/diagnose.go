package labtest

import (
	"fmt"
	"strings"
)

// kind is what a goroutine is doing, as far as the virtual clock cares.
type kind int

const (
	kindDurable    kind = iota // durably blocked: the clock can move on
	kindSleeping               // in time.Sleep: waits for the clock
	kindBusy                   // running or runnable: never lets the bubble idle
	kindMutex                  // waiting for a sync.Mutex/RWMutex: not durable
	kindNonDurable             // waiting on something outside the bubble
)

func classify(g goroutine, virtual bool) kind {
	switch {
	case g.Status == "running" || g.Status == "runnable":
		return kindBusy
	case strings.HasPrefix(g.Status, "sync.Mutex.") || strings.HasPrefix(g.Status, "sync.RWMutex."):
		return kindMutex
	case g.Status == "sleep":
		return kindSleeping
	case g.Durable:
		return kindDurable
	case virtual:
		return kindNonDurable
	}
	return kindDurable
}

var kindHint = map[kind]string{
	kindBusy: "a goroutine that never blocks keeps the bubble from ever being idle, so the virtual clock " +
		"cannot advance and no timer fires. Replace the polling loop by time.Sleep, a channel or a sync.Cond.",
	kindMutex: "waiting for a lock is not durable blocking: while some goroutine holds this lock across a " +
		"time.Sleep, an RPC call (Call) or a channel send/receive, the clock cannot advance to let it finish. " +
		"Release the lock before sleeping, calling or sending.",
	kindNonDurable: "this goroutine waits on a channel (or I/O) created outside the test's bubble, e.g. a " +
		"package-level variable made at init or shared between tests; nothing inside the bubble can wake it, so " +
		"the clock stands still. Create channels in Make/StartServer, inside the test.",
}

var kindName = map[kind]string{
	kindDurable:    "blocked",
	kindSleeping:   "sleeping",
	kindBusy:       "busy loop",
	kindMutex:      "lock wait",
	kindNonDurable: "non-durable wait",
}

// diagnosis is the most likely reason the clock is frozen, ranked by how
// surely each kind freezes it: a running goroutine always does, a mutex
// waiter does while its holder sleeps, a non-durable wait does forever.
func diagnosis(gs []goroutine, virtual bool) (kind, bool) {
	have := map[kind]bool{}
	for _, g := range gs {
		have[classify(g, virtual)] = true
	}
	for _, k := range []kind{kindBusy, kindMutex, kindNonDurable} {
		if have[k] {
			return k, true
		}
	}
	return kindDurable, false
}

// looksDeadlocked reports whether every goroutine waits on something only
// another goroutine of the test could provide and none waits for the clock:
// the shape of a deadlock, which the harness's own heartbeat timer turns
// into a run to the virtual-time limit.
func looksDeadlocked(gs []goroutine, virtual bool) bool {
	if len(gs) == 0 {
		return false
	}
	for _, g := range gs {
		if classify(g, virtual) != kindDurable {
			return false
		}
	}
	return true
}

// describe renders goroutines grouped by owner, each with its state, the
// first frame of its own code and, for the kinds that freeze the clock,
// the hint once per kind. Goroutines of one owner in the same state at the
// same place are one line, with their count.
func describe(gs []goroutine, virtual bool) string {
	type row struct {
		g   goroutine
		ids []int
	}
	var rows []*row
	same := map[string]*row{}
	for _, g := range gs {
		w := g.where()
		key := fmt.Sprintf("%s|%s|%v|%s|%s", g.owner(), g.Status, g.Durable, w.Func, w.Pos)
		if r, ok := same[key]; ok {
			r.ids = append(r.ids, g.ID)
			continue
		}
		r := &row{g: g, ids: []int{g.ID}}
		same[key] = r
		rows = append(rows, r)
	}
	var b strings.Builder
	owner := ""
	hinted := map[kind]bool{}
	for _, r := range rows {
		g := r.g
		if o := g.owner(); o != owner {
			owner = o
			fmt.Fprintf(&b, "  %s:\n", owner)
		}
		k := classify(g, virtual)
		w := g.where()
		status := g.Status
		if g.Durable {
			status += " (durable)"
		}
		count := ""
		if len(r.ids) > 1 {
			count = fmt.Sprintf("  × %d (goroutines %s)", len(r.ids), idList(r.ids, 8))
		}
		fmt.Fprintf(&b, "    goroutine %d [%s] %-16s %s  %s%s\n", g.ID, status, kindName[k], w.Func, w.Pos, count)
		if h, ok := kindHint[k]; ok && !hinted[k] {
			hinted[k] = true
			fmt.Fprintf(&b, "      hint: %s\n", h)
		}
	}
	return b.String()
}

// rawStacks renders the full traces, for the timeline file, each distinct
// stack once.
func rawStacks(gs []goroutine) string {
	var b strings.Builder
	for _, g := range gs {
		b.WriteString(g.Raw)
		b.WriteString("\n\n")
	}
	return collapseStacks(b.String())
}
