package labtest

import (
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"raftlab/labrpc"
)

// The watchdog runs on the outer test goroutine (see execute), on real
// time, and watches the bubble's clock through the heartbeat's count of
// ticks, the network's count of calls and the number of log lines. It
// ends a test in two ways.
//
// A stall: the clock stands still. Something in the bubble keeps it from
// ever being idle. The first stall of a process is declared after -stall
// (15 s): long enough that no correct test, however loaded the machine,
// gets there. Once a process has seen one, the code under test is known to
// stall, and the same bug typically stalls every later test, so later
// stalls are declared after fastStall: a suite whose every test stalls
// ends in minutes, not in go test's 10-minute timeout. Either way a stall
// whose shape leaves no doubt (nothing of the test can run, and something
// waits for a lock or on a channel nothing in the test can release, in
// two looks half a second apart) is declared as soon as that is seen.
//
// A livelock: the clock creeps. It moves, but by less than creepMinVirtual
// over creepWindow of real time, while the servers keep calling each
// other: a sleep of a few nanoseconds in a loop, say. The slowest correct
// window measured, TestFigure8Unreliable3C under the race detector beside
// a CPU hog and three other test binaries on two cores, moved the clock
// 4.7s in 5s; the limit, 0.3s in 5s, leaves a margin of fifteen, and a test
// slower than that would not finish within go test's timeout anyway. (A
// server that resends at once spends RPCs, not time: the cluster layer's
// RPC limit, H.LimitRPCs, catches it.)
const (
	pollEvery       = 200 * time.Millisecond
	fastStall       = time.Second
	certainAfter    = time.Second
	certainConfirm  = 500 * time.Millisecond
	creepWindow     = 5 * time.Second
	creepMinVirtual = 300 * time.Millisecond
)

// stallSeen records that a test of this process stalled or livelocked.
var stallSeen atomic.Bool

// sample is the watchdog's view of the bubble at one poll.
type sample struct {
	at      time.Time
	beats   uint64
	rpcs    int
	records uint64
}

type watchdog struct {
	r           *run
	last        sample
	window      []sample // the samples of the last creepWindow, oldest first
	frozenSince time.Time

	// The first look of a pending check that the stall is certain.
	firstLook   []goroutine
	firstLookAt time.Time
}

func newWatchdog(r *run, now time.Time) *watchdog {
	w := &watchdog{r: r}
	w.restart(w.sample(now))
	return w
}

func (w *watchdog) sample(now time.Time) sample {
	s := sample{at: now, beats: w.r.beats.Load(), records: w.r.records.Load()}
	if n := w.r.netP.Load(); n != nil {
		s.rpcs = n.GetTotalCount()
	}
	return s
}

// restart forgets what was seen: after LongCompute, which stands the clock
// still on purpose.
func (w *watchdog) restart(s sample) {
	w.last, w.window, w.frozenSince, w.firstLook = s, []sample{s}, s.at, nil
}

// poll looks at the bubble and reports whether it ended the test.
func (w *watchdog) poll(now time.Time) bool {
	r := w.r
	if !r.virtual || r.stall <= 0 {
		return false
	}
	s := w.sample(now)
	if r.paused.Load() > 0 {
		w.restart(s)
		return false
	}
	if s.beats != w.last.beats || s.rpcs != w.last.rpcs || s.records != w.last.records {
		w.frozenSince, w.firstLook = now, nil
	}
	w.last = s
	w.window = append(w.window, s)
	for len(w.window) > 1 && now.Sub(w.window[1].at) >= r.opt.creepWindow {
		w.window = w.window[1:]
	}

	frozen := now.Sub(w.frozenSince)
	limit := r.stall
	if stallSeen.Load() && fastStall < limit {
		limit = fastStall
	}
	if frozen >= limit {
		r.stalled(frozen, limit, false)
		return true
	}
	if frozen >= certainAfter && w.stuckForGood(now) {
		r.stalled(frozen, limit, true)
		return true
	}

	first := w.window[0]
	if span := now.Sub(first.at); span >= r.opt.creepWindow {
		dv := time.Duration(s.beats-first.beats) * r.opt.tick
		if dv < creepMinVirtual && (s.beats > first.beats || s.rpcs > first.rpcs) {
			r.livelock(span, dv, s.rpcs-first.rpcs)
			return true
		}
	}
	return false
}

// stuckForGood takes two looks at the test's goroutines, certainConfirm
// apart, and reports whether both show a clock that can never move again.
func (w *watchdog) stuckForGood(now time.Time) bool {
	if w.firstLook == nil {
		w.firstLook, w.firstLookAt = w.r.snapshotTest(), now
		return false
	}
	if now.Sub(w.firstLookAt) < certainConfirm {
		return false
	}
	again := w.r.snapshotTest()
	stuck := neverMovesAgain(w.firstLook) && sameStates(w.firstLook, again)
	w.firstLook, w.firstLookAt = again, now
	return stuck
}

// neverMovesAgain reports whether no goroutine can run and at least one
// waits in a way that keeps the bubble from being idle (a lock, a channel
// made outside it) on something nothing in the bubble can release: every
// other goroutine is blocked too, so only the clock could wake one, and
// the clock cannot move. Waits the harness cannot judge (a system call,
// I/O) rule it out.
func neverMovesAgain(gs []goroutine) bool {
	blocking := false
	for _, g := range gs {
		switch classify(g, true) {
		case kindBusy:
			return false
		case kindMutex:
			blocking = true
		case kindNonDurable:
			if !channelWait(g.Status) {
				return false
			}
			blocking = true
		}
	}
	return blocking
}

func channelWait(status string) bool {
	for _, p := range []string{"chan receive", "chan send", "select", "sync.Cond.Wait", "sync.WaitGroup.Wait"} {
		if strings.HasPrefix(status, p) {
			return true
		}
	}
	return false
}

// sameStates reports whether two looks show the same goroutines in the
// same states at the same places.
func sameStates(a, b []goroutine) bool {
	if len(a) != len(b) {
		return false
	}
	key := func(g goroutine) string { return fmt.Sprintf("%d %s %v", g.ID, g.Status, g.Frames) }
	seen := map[string]bool{}
	for _, g := range a {
		seen[key(g)] = true
	}
	for _, g := range b {
		if !seen[key(g)] {
			return false
		}
	}
	return true
}

// stalled ends a test whose clock stood still for frozen of real time.
func (r *run) stalled(frozen, limit time.Duration, certain bool) {
	r.outer.Helper()
	gs := r.snapshotTest()
	var b strings.Builder
	when := ""
	if p, _ := r.phase.Load().(string); p == "teardown" {
		when = ", during teardown (after the OnTeardown functions were called)"
	}
	fmt.Fprintf(&b, "labtest: stall watchdog: virtual time has not advanced for %v of real time (stuck at virtual %.3fs%s).\n",
		frozen.Round(100*time.Millisecond), time.Duration(r.vnow.Load()).Seconds(), when)
	switch {
	case certain:
		b.WriteString("Declared early: no goroutine of the test can run, and one waits for a lock or on a channel that nothing " +
			"in the test can release, so the clock can never move again.\n")
	case limit < r.stall:
		fmt.Fprintf(&b, "Declared after %v instead of -stall %v: a test of this binary has stalled already, so the code under test is known to stall.\n",
			limit, r.stall)
	}
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
	r.endByRealTimeGuard(b.String(), rawStacks(gs))
}

// livelock ends a test whose clock crept: it moved only dv in span of real
// time while the test made rpcs calls.
func (r *run) livelock(span, dv time.Duration, rpcs int) {
	r.outer.Helper()
	before := r.methodCalls()
	looks := r.looks(5, 100*time.Millisecond)
	after := r.methodCalls()
	var b strings.Builder
	fmt.Fprintf(&b, "labtest: livelock watchdog: in the last %v of real time virtual time advanced by less than %v "+
		"(a correct test runs dozens of times faster than real time), while the test made %d RPCs.\n",
		span.Round(100*time.Millisecond), dv+r.opt.tick, rpcs)
	b.WriteString("Something spins through the clock: a loop that resends an RPC as soon as it fails or is rejected, " +
		"or that sleeps a few nanoseconds, instead of waiting for the next heartbeat or timeout. " +
		"Wait (time.Sleep of milliseconds, a timer, a sync.Cond) before trying again.\n")
	if hot := busiestMethods(before, after); hot != "" {
		b.WriteString("RPCs made while the watchdog looked: " + hot + "\n")
	}
	b.WriteString(busiest(looks))
	last := looks[len(looks)-1]
	b.WriteString("Goroutines of this test, by server:\n")
	b.WriteString(describe(last, true))
	r.endByRealTimeGuard(b.String(), rawStacks(last))
}

func (r *run) endByRealTimeGuard(msg, dump string) {
	r.outer.Helper()
	stallSeen.Store(true)
	r.realTimeGuard.Store(true)
	r.abandon(msg, dump)
	r.outer.Error(msg)
}

// looks takes n snapshots of the test's goroutines, every gap.
func (r *run) looks(n int, gap time.Duration) [][]goroutine {
	var out [][]goroutine
	for i := range n {
		if i > 0 {
			time.Sleep(gap)
		}
		out = append(out, r.snapshotTest())
	}
	return out
}

// methodCalls reads the network's calls per method, giving up if a
// goroutine of the test holds the network's lock for long.
func (r *run) methodCalls() map[string]int64 {
	n := r.netP.Load()
	if n == nil {
		return nil
	}
	ch := make(chan labrpc.Stats, 1)
	go func() { ch <- n.Stats() }()
	select {
	case st := <-ch:
		out := map[string]int64{}
		for m, c := range st.Methods {
			out[m] = c.Calls
		}
		return out
	case <-time.After(time.Second):
		return nil
	}
}

func busiestMethods(before, after map[string]int64) string {
	type mc struct {
		m string
		n int64
	}
	var ms []mc
	for m, n := range after {
		if d := n - before[m]; d > 0 {
			ms = append(ms, mc{m, d})
		}
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].n > ms[j].n || ms[i].n == ms[j].n && ms[i].m < ms[j].m })
	var parts []string
	for _, x := range ms {
		parts = append(parts, fmt.Sprintf("%s %d", x.m, x.n))
	}
	return strings.Join(parts, ", ")
}

// busiest ranks the places where the test's goroutines were seen over
// several looks: how often one was running there, then how many
// goroutines were seen there (a loop that starts a goroutine per call).
func busiest(looks [][]goroutine) string {
	type place struct {
		owner, fn, pos string
		running        int
		ids            map[int]bool
	}
	places := map[string]*place{}
	for _, gs := range looks {
		for _, g := range gs {
			w := g.where()
			k := g.owner() + "|" + w.Func
			p, ok := places[k]
			if !ok {
				p = &place{owner: g.owner(), fn: w.Func, pos: w.Pos, ids: map[int]bool{}}
				places[k] = p
			}
			p.ids[g.ID] = true
			if classify(g, true) == kindBusy {
				p.running++
			}
		}
	}
	ps := make([]*place, 0, len(places))
	for _, p := range places {
		ps = append(ps, p)
	}
	sort.Slice(ps, func(i, j int) bool {
		if ps[i].running != ps[j].running {
			return ps[i].running > ps[j].running
		}
		if len(ps[i].ids) != len(ps[j].ids) {
			return len(ps[i].ids) > len(ps[j].ids)
		}
		return ps[i].owner+ps[i].fn < ps[j].owner+ps[j].fn
	})
	var b strings.Builder
	fmt.Fprintf(&b, "The busiest places (%d looks at the goroutines, 100ms apart):\n", len(looks))
	for i, p := range ps {
		if i == 5 {
			break
		}
		fmt.Fprintf(&b, "  %s: %s  %s  running in %d of %d looks, %d goroutine(s) seen\n",
			p.owner, p.fn, p.pos, p.running, len(looks), len(p.ids))
	}
	return b.String()
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
