package labtest

import (
	"fmt"
	"runtime"
	"strings"
	"time"
)

// enterTeardown starts the teardown phase as soon as the body has ended,
// with a limit of its own, which also covers the body's t.Cleanup functions.
func (r *run) enterTeardown(h *H) {
	r.phase.Store("teardown")
	r.deadline.Store(time.Now().Add(r.opt.teardownCap).UnixNano())
	h.Action("teardown")
}

// teardown runs in the bubble once the body and its t.Cleanup functions
// have ended: kill the servers (OnTeardown), close the network, let the
// servers' goroutines wind down for a virtual grace period while the
// registered apply channels are drained, then list what is still alive.
func (r *run) teardown(h *H, stopWatch func() []labgobFinding, leave func() bool) {
	r.mu.Lock()
	fs := r.teardowns
	r.mu.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		r.callIsolated(fmt.Sprintf("OnTeardown function #%d", i+1), fs[i])
	}

	// Drain only now: while the lab's own appliers still run, a drainer
	// would steal messages from them and make their checks fail.
	r.mu.Lock()
	drains := r.drains
	r.mu.Unlock()
	stop := r.drainStop
	drained := make(chan struct{}, len(drains))
	for _, d := range drains {
		go func() {
			r.setRole("drain")
			d(stop)
			drained <- struct{}{}
		}()
	}
	r.callIsolated("network cleanup", r.net.Cleanup)

	if r.opt.leakGrace > 0 {
		time.Sleep(r.opt.leakGrace)
	}
	close(stop)
	for range drains {
		<-drained
	}

	r.reportFindings(stopWatch(), leave())

	if leaked := r.settledSnapshot(); len(leaked) > 0 {
		r.reportLeaks(leaked)
	}
}

// settledSnapshot lists the test's goroutines once those that are merely
// runnable at this instant (a timer of theirs fired together with the end
// of the grace period) have had the chance to run and block again. A
// goroutine that still runs after that spins: it would also have kept the
// grace period's sleep from ever ending.
func (r *run) settledSnapshot() []goroutine {
	var gs []goroutine
	for i := 0; i < 10; i++ {
		gs = r.snapshotTest()
		busy := false
		for _, g := range gs {
			if classify(g, r.virtual) == kindBusy {
				busy = true
			}
		}
		if !busy {
			break
		}
		runtime.Gosched()
	}
	return gs
}

// callIsolated runs f on its own goroutine and waits for it, so that a
// panic or FailNow in f ends only f.
func (r *run) callIsolated(what string, f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			if p := recover(); p != nil {
				r.fail("labtest: %s panicked: %v\n%s", what, p, panicStack())
			}
		}()
		f()
	}()
	<-done
}

// reportLeaks lists the goroutines that outlived teardown, by server and
// function (see leaked for how they count): a server that does not stop
// after Kill burns CPU in later tests and, with virtual time, keeps its
// bubble from ending.
func (r *run) reportLeaks(gs []goroutine) {
	var b strings.Builder
	fmt.Fprintf(&b, "labtest: %d goroutine(s) of the test are still alive %v (virtual) after teardown "+
		"(servers killed, network closed). Goroutines must return after Kill:\n", len(gs), r.opt.leakGrace)
	b.WriteString(describe(gs, r.virtual))
	msg := b.String()
	r.mu.Lock()
	r.dumps = append(r.dumps, rawStacks(gs))
	r.mu.Unlock()
	h := &H{r: r}
	h.Action("leak report: %d goroutine(s) alive after teardown", len(gs))
	r.leaked(msg, gs, func(m string) { r.fail("%s", m) }, func(m string) { r.t.Log(m) })
}
