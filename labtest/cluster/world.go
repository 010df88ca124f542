package cluster

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"raftlab/labrpc"
	"raftlab/labtest"
)

// Budget is what one test may spend, counted from Begin: virtual time and
// RPCs. End fails a test that overspent. Zero fields are unlimited.
type Budget struct {
	Virtual time.Duration
	RPCs    int
}

// Grace is how far past its virtual budget a test may run before labtest
// stops it with a goroutine dump. It leaves room for a helper that gives up
// (an agreement or election wait of about ten seconds) to fail with its own
// message, which says what did not happen.
const Grace = 30 * time.Second

// NetMode is the network's classic fault mode.
type NetMode int

const (
	// Reliable delivers every request and reply, after a short jitter.
	Reliable NetMode = iota
	// Unreliable drops 10% of requests and 10% of replies and delays
	// requests by up to 27 ms (labrpc's classic unreliable mode).
	Unreliable
)

func (m NetMode) String() string {
	if m == Unreliable {
		return "unreliable"
	}
	return "reliable"
}

// World is one test's view of the harness: its labtest handle, network,
// seeded randomness, the budget and the record of actions.
type World struct {
	H   *labtest.H
	Net *labrpc.Network
	// Rand is the body's seeded source: test goroutine only (helpers get
	// their own from H.NewRand).
	Rand *rand.Rand

	budget Budget

	mu          sync.Mutex
	annotations []Annotation
	open        map[string]int // key of an open interval -> its index in annotations
	clients     int
	step        int
	stepDesc    string

	// accounting since Begin
	t0     time.Time
	rpcs0  int
	bytes0 int64
}

// Run runs body as the test t in labtest's bubble (virtual time, the seed
// of -seed or a fresh one, the guards), with budget b. Options go to
// labtest.Run; the virtual-time limit is b.Virtual+Grace unless an option
// sets another.
func Run(t *testing.T, b Budget, body func(w *World), opts ...labtest.Option) {
	t.Helper()
	all := []labtest.Option{}
	if b.Virtual > 0 {
		all = append(all, labtest.VirtualTimeLimit(b.Virtual+Grace))
	}
	all = append(all, opts...)
	labtest.Run(t, func(h *labtest.H) {
		w := &World{H: h, Net: h.Net(), Rand: h.Rand(), budget: b, open: map[string]int{}}
		w.t0 = time.Now()
		body(w)
	}, all...)
}

// T returns the test (see labtest.H.T).
func (w *World) T() *testing.T { return w.H.T() }

// Fatalf fails the test and stops the body; the message also lands in the
// timeline (labtest.H.Fatalf). Test goroutine only.
func (w *World) Fatalf(format string, args ...any) {
	w.T().Helper()
	w.H.Fatalf(format, args...)
}

// Logf logs on the test.
func (w *World) Logf(format string, args ...any) {
	w.T().Helper()
	w.T().Logf(format, args...)
}

// Report fails the test from any goroutine (see labtest.H.Report).
func (w *World) Report(err error) { w.H.Report(err) }

// Sleep lets (virtual) time pass.
func (w *World) Sleep(d time.Duration) { time.Sleep(d) }

// Action records an action of the test in the timeline and as a point
// annotation, then lets the goroutines it woke settle (labtest.H.Settle).
// Safe on any goroutine of the test (a background partitioner, say): the
// settle step only delays the caller. So are the group's actions (Start,
// Crash, Connect, Partition, Heal, ...); its probes that fail the test
// (CheckOneLeader, PollLeaders, ...) belong to the test goroutine.
func (w *World) Action(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	w.H.Action("%s", msg)
	w.annotate(Annotation{Kind: Action, Tag: "test", Desc: msg, Start: time.Now()})
	w.H.Settle()
}

// SetNet switches the network's classic fault mode.
func (w *World) SetNet(m NetMode) {
	w.Net.Reliable(m == Reliable)
	w.Action("network %v", m)
}

// SetLongReordering turns labrpc's long reply reordering on or off.
func (w *World) SetLongReordering(on bool) {
	w.Net.LongReordering(on)
	w.Action("network long reordering=%v", on)
}

// SetLongDelays makes undeliverable calls fail after up to 7 s (on) or
// 100 ms (off).
func (w *World) SetLongDelays(on bool) {
	w.Net.LongDelays(on)
	w.Action("network long delays=%v", on)
}

// SetFaults sets the network-wide fault rates.
func (w *World) SetFaults(f labrpc.Faults) {
	w.Net.SetFaults(f)
	w.Action("faults %+v", f)
}

// SetLinkFaults sets the faults of calls from node from to server to
// (network names: a group's ServerName, a client's Name), replacing the
// network-wide ones on that link.
func (w *World) SetLinkFaults(from, to any, f labrpc.Faults) {
	w.Net.SetLinkFaults(from, to, f)
	w.Action("link %v -> %v: faults %+v", from, to, f)
}

// ClearLinkFaults removes every per-link fault setting.
func (w *World) ClearLinkFaults() {
	w.Net.ClearLinkFaults()
	w.Action("link faults cleared")
}

// Cost is what the test spent since Begin.
type Cost struct {
	Time  time.Duration
	RPCs  int
	Bytes int64
}

// Begin names the measured part of a test and starts its accounting.
func (w *World) Begin(description string) {
	w.T().Helper()
	w.Logf("Test: %s", description)
	w.t0 = time.Now()
	w.rpcs0 = w.Net.GetTotalCount()
	w.bytes0 = w.Net.GetTotalBytes()
	if w.budget.RPCs > 0 {
		// A test past twice its budget fails at End anyway; stopping it
		// now turns a server that resends without end into a failure
		// within moments instead of one after the whole virtual budget.
		w.H.LimitRPCs(2*w.budget.RPCs, fmt.Sprintf("twice its RPC budget of %d", w.budget.RPCs))
	}
}

// Spent returns the cost since Begin.
func (w *World) Spent() Cost {
	return Cost{Time: time.Since(w.t0), RPCs: w.Net.GetTotalCount() - w.rpcs0, Bytes: w.Net.GetTotalBytes() - w.bytes0}
}

// End logs what the test cost since Begin, with detail appended (the lab's
// own figures, e.g. ", 11 agreements"), and fails it if it overspent its
// budget. Test goroutine only.
func (w *World) End(detail string) {
	w.T().Helper()
	c := w.Spent()
	clock := "virtual"
	if w.H.Realtime() {
		clock = "real"
	}
	w.H.LimitRPCs(0, "")
	w.Logf("  ... done: %v %s, %d RPCs, %d bytes%s", c.Time.Round(time.Millisecond), clock, c.RPCs, c.Bytes, detail)
	if err := w.budget.check(c); err != nil {
		w.Fatalf("%v", err)
	}
}

// check returns what c overspends of b, if anything.
func (b Budget) check(c Cost) error {
	if b.Virtual > 0 && c.Time > b.Virtual {
		return fmt.Errorf("time budget: the test took %v of virtual time, its budget is %v: too slow (elections or agreement taking too long?)",
			c.Time.Round(time.Millisecond), b.Virtual)
	}
	if b.RPCs > 0 && c.RPCs > b.RPCs {
		return fmt.Errorf("RPC budget: the test made %d RPCs, its budget is %d: too many RPCs (heartbeats too frequent, or retries without backoff?)",
			c.RPCs, b.RPCs)
	}
	return nil
}

// SetStep records which step of a randomized test is running, so that a
// violation found on any goroutine names the step at which it was first
// seen. Step 0 clears it.
func (w *World) SetStep(step int, desc string) {
	w.mu.Lock()
	w.step, w.stepDesc = step, desc
	w.mu.Unlock()
	w.Action("step %d: %s", step, desc)
}

// StepSuffix describes the current step for a failure message ("" when the
// test has no steps).
func (w *World) StepSuffix() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.step == 0 {
		return ""
	}
	return fmt.Sprintf(" (first seen at step %d: %s)", w.step, w.stepDesc)
}

// Step returns the current step of a randomized test (0: none).
func (w *World) Step() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.step
}
