package labtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime/pprof"
	"testing"
	"time"

	"raftlab/dlog"
	"raftlab/internal/mix"
	"raftlab/labrpc"
)

// actionOffset is how far ServersStarted moves the test body's clock. It is
// an odd number of nanoseconds: servers schedule their timers in whole
// milliseconds (or at least even nanoseconds) from the instant they start,
// so after the shift the body's sleeps and checks never fall on the same
// virtual instant as a server's timer, where the order in which the two run
// would be up to the scheduler and a seed would not replay.
const actionOffset = 1 * time.Nanosecond

// H is the handle a test body gets from Run. Its methods may be called
// from any goroutine of the test unless their comment says otherwise.
type H struct {
	r *run
}

// T returns the test. In virtual-time mode it is the *testing.T that
// testing/synctest made for the bubble: t.Run, t.Parallel and t.Deadline
// panic on it, and its Cleanup functions run inside the bubble.
func (h *H) T() *testing.T { return h.r.t }

// Seed returns the seed of this run; -seed with this value replays it.
func (h *H) Seed() uint64 { return h.r.seed }

// Rand returns the test body's random source, seeded from Seed. It is not
// safe for concurrent use: give helper goroutines their own with NewRand.
func (h *H) Rand() *rand.Rand { return h.r.rng }

// NewRand returns a random source for a named purpose, derived from Seed
// and the name, so that helpers get streams that replay and do not depend
// on how much the body drew from Rand.
func (h *H) NewRand(name string) *rand.Rand {
	return newRand(deriveSeed(h.r.seed, mix.String(name)), streamTest)
}

// Net returns the test's simulated network, seeded with Seed, logging to the
// test's timeline and failing the test on misuse errors. The harness cleans
// it up at teardown, after the OnTeardown functions.
func (h *H) Net() *labrpc.Network { return h.r.net }

// Realtime reports whether the test runs on the wall clock (-realtime).
func (h *H) Realtime() bool { return !h.r.virtual }

// Elapsed returns the (virtual) time since the body started.
func (h *H) Elapsed() time.Duration { return time.Since(h.r.start) }

// Action records something the test does to the system (a partition, a
// crash, a restart) in the timeline, so that a failure can be read against
// it. Actions are recorded whatever -log-topics says.
func (h *H) Action(format string, args ...any) {
	h.r.parkIfAbandoned()
	h.r.rec.Record(dlog.Entry{At: time.Now(), Server: "test", Topic: dlog.Test, Msg: fmt.Sprintf(format, args...)})
}

// Logger returns a logger for a component of the test (a server, a clerk)
// whose lines go to the timeline, for the topics of -log-topics.
func (h *H) Logger(name string) *dlog.Logger {
	return dlog.New(name, recordSink{h.r}, h.r.set.topics)
}

// StartServer runs start, which should create server id (e.g. call
// raft.Make), with the pprof label server=id, so that every goroutine the
// server starts inherits it and the guards can say which server a stuck or
// leaked goroutine belongs to. Call ServersStarted once the servers of a
// step are up.
//
// A server (re)started after ServersStarted would schedule its timers on
// the body's clock parity (see actionOffset), so StartServer first steps
// the clock back onto the servers' parity, starts the server, and steps
// onto the body's parity again. Call it from the body in that case.
func (h *H) StartServer(id string, start func()) {
	restart := h.offParity()
	if restart {
		time.Sleep(actionOffset)
	}
	pprof.Do(h.r.ctx, pprof.Labels(labelServer, id), func(context.Context) { start() })
	if restart {
		time.Sleep(actionOffset)
	}
}

// ServersStarted moves the body's clock by an odd number of nanoseconds
// (see actionOffset), unless it is already off the servers' instants. Call
// it after starting servers, from the test body.
func (h *H) ServersStarted() {
	if h.r.virtual && !h.offParity() {
		time.Sleep(actionOffset)
	}
}

// offParity reports whether the virtual clock stands an odd number of
// nanoseconds after the body's start: off the instants servers started at
// the body's start schedule their timers on.
func (h *H) offParity() bool {
	return h.r.virtual && time.Since(h.r.start).Nanoseconds()%2 != 0
}

// OnTeardown registers f to run when the body ends, whether it passed,
// failed or panicked: kill the servers here. Functions run last registered
// first, each on its own goroutine (a FailNow in one does not skip the
// others), before the network is cleaned up.
func (h *H) OnTeardown(f func()) {
	h.r.mu.Lock()
	h.r.teardowns = append(h.r.teardowns, f)
	h.r.mu.Unlock()
}

// OnFinalState registers f, which describes a server's state (its term,
// role, log, what it applied), to be called when the test's timeline file
// is written: its output ends the file, under name. It runs after teardown,
// outside the test's bubble, so f may read state under the server's locks
// but must not use the server's channels; a call that has not returned
// within half a second (its lock is held by a goroutine a guard froze) is
// left behind and said so.
func (h *H) OnFinalState(name string, f func() string) {
	h.r.mu.Lock()
	h.r.finalStates = append(h.r.finalStates, finalState{name, f})
	h.r.mu.Unlock()
}

// Go runs f on a new goroutine of the test, labelled helper=name. A panic in
// f fails the test with its stack instead of crashing the test binary.
// Report problems from f with h.T().Errorf (FailNow would only end f).
// A helper still running after teardown is reported as a leak.
func (h *H) Go(name string, f func()) {
	ctx := pprof.WithLabels(h.r.ctx, pprof.Labels(labelHelper, name))
	go func() {
		pprof.SetGoroutineLabels(ctx)
		defer func() {
			if p := recover(); p != nil {
				h.r.fail("labtest: helper %q panicked: %v\n%s", name, p, panicStack())
			}
		}()
		f()
	}()
}

// SetVirtualTimeLimit sets the time the body may take, counted from its
// start (default 120 s or -vtime-limit); 0 means MaxVirtualTimeLimit.
// When the limit passes the test fails with a dump of its goroutines.
func (h *H) SetVirtualTimeLimit(d time.Duration) { h.r.setLimit(d) }

// LimitRPCs fails the test, with a dump of its goroutines, as soon as the
// network has carried more than n calls from now on (checked at every
// heartbeat tick, 100ms of virtual time); n <= 0 lifts the limit. reason
// says where the limit comes from, for the message. It turns a server
// that resends without end into a failure within moments of virtual time,
// instead of one at the end of a long test.
func (h *H) LimitRPCs(n int, reason string) {
	if n <= 0 {
		h.r.rpcLimit.Store(nil)
		return
	}
	base := h.r.net.GetTotalCount()
	h.r.rpcLimit.Store(&rpcLimit{max: base + n, n: n, since: time.Since(h.r.start), reason: reason})
}

// LongCompute runs f, a computation that takes real time but no virtual
// time (a linearizability check of a long history), with the stall
// watchdog paused, so that it is not mistaken for a busy loop. In virtual
// time f runs outside the bubble, so that its own timers (a checker's
// timeout) run on the real clock, while the bubble's clock stands still;
// f must not use the bubble's channels or timers. A panic in f is raised
// again on the caller's goroutine.
func (h *H) LongCompute(f func()) {
	h.r.paused.Add(1)
	defer h.r.paused.Add(-1)
	if h.r.virtual {
		onRealClock(f)
		return
	}
	f()
}

// Drain arranges for ch to be emptied during teardown's grace period, after
// the OnTeardown functions, so that a server whose applier is blocked
// sending on ch can exit after Kill instead of being reported as leaked.
// Stop the lab's own consumers of ch in OnTeardown.
func Drain[T any](h *H, ch <-chan T) {
	h.r.mu.Lock()
	defer h.r.mu.Unlock()
	h.r.drains = append(h.r.drains, func(stop <-chan struct{}) {
		for {
			select {
			case <-stop:
				return
			case _, ok := <-ch:
				if !ok {
					return
				}
			}
		}
	})
}

// Report fails the test with err from any goroutine of the test (an
// applier, a checker); the body notices at its next check. Once teardown
// has begun a report is only recorded in the timeline: servers being killed
// say things that are no failure of theirs (a channel closed under them).
// A nil err reports nothing.
func (h *H) Report(err error) {
	if err == nil {
		return
	}
	if h.TearingDown() {
		h.r.rec.Record(dlog.Entry{At: time.Now(), Server: "test", Topic: dlog.Test, Msg: "after teardown began (not a failure): " + err.Error()})
		return
	}
	h.r.fail("%v", err)
}

// Errorf fails the test with a message, as t.Errorf does, and records the
// message in the timeline at this instant. Prefer it (or Report) to
// h.T().Errorf: the harness cannot see what is reported straight on the
// *testing.T, so the timeline and the replay check would only know that,
// not what, something failed.
func (h *H) Errorf(format string, args ...any) {
	h.r.t.Helper()
	h.r.noteFailure(fmt.Sprintf(format, args...))
	h.r.t.Errorf(format, args...)
}

// Fatalf is Errorf followed by FailNow: it stops the body. Test goroutine
// only, like t.Fatalf.
func (h *H) Fatalf(format string, args ...any) {
	h.r.t.Helper()
	h.r.noteFailure(fmt.Sprintf(format, args...))
	h.r.t.Fatalf(format, args...)
}

// TearingDown reports whether the body has ended and teardown begun.
func (h *H) TearingDown() bool { return h.r.phase.Load() == "teardown" }

// Settle lets the goroutines woken by a harness action (calls failed by a
// disconnect, a server's timers reset by a restart) run until they block
// again before the body goes on; otherwise they would race with the body's
// next action within one virtual instant, and a seed would not replay. It
// sleeps one microsecond: an even number of nanoseconds, which keeps the
// body's clock parity (see ServersStarted). Call it from the body.
func (h *H) Settle() {
	time.Sleep(time.Microsecond)
}

// ArtifactPath returns where a file named name that belongs with this run
// (a linearizability picture, a history dump) should be written: beside the
// timeline file, named after the test, the seed and name, with the same
// counter as the timeline when an earlier run's files had that name (see
// the package doc). The directory exists when it returns; on failure to
// make it the path falls back to the system's temporary directory.
func (h *H) ArtifactPath(name string) string {
	return h.r.fileStem() + "-" + unsafeName.ReplaceAllString(name, "_")
}
