package labtest

import (
	"fmt"
	"strings"
	"time"
)

// setLimit sets the deadline of the current phase, measured from the start
// of the body. There is always one: the heartbeat keeps the clock moving,
// so without a deadline a deadlocked body would tick on forever.
func (r *run) setLimit(d time.Duration) {
	if d <= 0 || d > MaxVirtualTimeLimit {
		d = MaxVirtualTimeLimit
	}
	r.deadline.Store(r.start.Add(d).UnixNano())
}

// heartbeat ticks the bubble's clock for the stall watchdog and enforces
// the virtual-time limit. It is the only timer the harness keeps; note
// that its presence means the bubble is never idle without a pending timer,
// so a deadlocked body runs to the virtual-time limit (in a few real
// milliseconds) instead of tripping synctest's deadlock panic.
func (r *run) heartbeat(stop <-chan struct{}, done chan<- struct{}) {
	r.setRole("heartbeat")
	defer close(done)
	if r.opt.noBeat {
		<-stop
		return
	}
	tk := time.NewTicker(r.opt.tick)
	defer tk.Stop()
	for {
		select {
		case <-stop:
			return
		case now := <-tk.C:
			r.parkIfAbandoned()
			r.noticeUnrecordedFailure("")
			r.vnow.Store(int64(now.Sub(r.start)))
			r.beats.Add(1)
			if dl := r.deadline.Load(); dl != 0 && now.UnixNano() >= dl {
				r.limitExceeded(now)
				<-r.freeze
			}
			if lim := r.rpcLimit.Load(); lim != nil && r.net.GetTotalCount() > lim.max {
				r.rpcLimitExceeded(now, lim)
				<-r.freeze
			}
		}
	}
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
		fmt.Fprintf(&b, "labtest: teardown did not finish within %v of %s time: an OnTeardown or t.Cleanup function (a Kill?) or the network cleanup is blocked.\n",
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

// rpcLimit is a limit set with H.LimitRPCs.
type rpcLimit struct {
	max    int           // the network's total count that must not be passed
	n      int           // the calls allowed since since
	since  time.Duration // virtual time of LimitRPCs, since the start
	reason string
}

// rpcLimitExceeded runs on the heartbeat when the network has carried
// more calls than the limit allows. It is checked in virtual time, so a
// seed fails at the same tick every run.
func (r *run) rpcLimitExceeded(now time.Time, lim *rpcLimit) {
	calls := r.net.GetTotalCount() - (lim.max - lim.n)
	span := now.Sub(r.start) - lim.since
	var b strings.Builder
	fmt.Fprintf(&b, "labtest: the test made %d RPCs in %.3fs of virtual time (since %.3fs), more than its limit of %d",
		calls, span.Seconds(), lim.since.Seconds(), lim.n)
	if lim.reason != "" {
		b.WriteString(" (" + lim.reason + ")")
	}
	if span > 0 {
		fmt.Fprintf(&b, ": %.0f per virtual second", float64(calls)/span.Seconds())
	}
	b.WriteString(". A correct server sends a few hundred per second; one that resends at once after a failed or " +
		"rejected call (no backoff, no waiting for the next heartbeat) sends without end.\n")
	after := map[string]int64{}
	for m, c := range r.net.Stats().Methods {
		after[m] = c.Calls
	}
	if hot := busiestMethods(nil, after); hot != "" {
		b.WriteString("RPCs by method since the start: " + hot + "\n")
	}
	gs := r.snapshotTest()
	b.WriteString("Goroutines of this test:\n")
	b.WriteString(describe(gs, r.virtual))
	msg := b.String()
	r.abandon(msg, rawStacks(gs))
	r.events <- event{kind: evAbandon, msg: msg}
}
