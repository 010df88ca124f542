package labtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"raftlab/dlog"
	"raftlab/labgob"
	"raftlab/labrpc"
)

// logLimit bounds the in-memory timeline of one test.
const logLimit = 200_000

// rootGrace is how long, in real time, the harness waits for a bubble to
// finish once teardown has reported. A bubble whose leaked goroutines are
// all durably blocked ends at once (with synctest's "blocked goroutines
// remain" panic, which the harness expects); one that still runs code
// never ends, and the test must not wait for it.
const rootGrace = 2 * time.Second

var runCounter atomic.Uint64

// run is the state of one Run, shared by the outer test goroutine (guards,
// reports, the timeline file) and the goroutines in the bubble.
type run struct {
	id      string
	name    string
	outer   *testing.T
	seed    uint64
	set     settings
	opt     options
	virtual bool
	strict  bool
	stall   time.Duration

	// The bubble reports to the outer goroutine through events; both
	// channels are made outside the bubble, which makes a wait on freeze
	// non-durable: a goroutine parked on it stops the bubble's clock for
	// good, so nothing in an abandoned bubble runs again.
	events chan event
	freeze chan struct{}

	ctx context.Context // pprof labels of the run

	rec *dlog.Buffer // made outside: the guards read it while the bubble is stuck

	// Set inside the bubble before the body starts; the outer goroutine
	// reads only the atomics (it may look while the bubble is stuck).
	t         *testing.T
	start     time.Time
	bubble    int
	net       *labrpc.Network
	rng       *rand.Rand
	drainStop chan struct{}
	netP      atomic.Pointer[labrpc.Network]
	startNs   atomic.Int64
	bubbleID  atomic.Int64
	vnow      atomic.Int64 // virtual time since start at the last heartbeat

	beats         atomic.Uint64            // heartbeat ticks, the stall watchdog's view of the clock
	records       atomic.Uint64            // log lines of the servers and the network, the watchdog's view of activity
	deadline      atomic.Int64             // UnixNano on the body's clock; 0 means none
	rpcLimit      atomic.Pointer[rpcLimit] // set by H.LimitRPCs
	phase         atomic.Value             // string: "body" or "teardown"
	paused        atomic.Int32
	abandoned     atomic.Bool
	realTimeGuard atomic.Bool // a guard on real time (the stall watchdog) ended the test
	doneSent      atomic.Bool
	failNoted     atomic.Bool // a failure message is in failures

	realStart time.Time // on the wall clock, for the replay's time limit

	stemMu sync.Mutex
	stem   string // see fileStem

	mu          sync.Mutex
	finalStates []finalState
	teardowns   []func()
	drains      []func(stop <-chan struct{})
	failures    []string      // failure messages in the order noted, for the timeline file
	firstFailAt time.Duration // when the first was noted, since the start
	dumps       []string      // raw goroutine dumps taken by guards
}

type eventKind int

const (
	evDone    eventKind = iota // teardown finished; the bubble is returning
	evAbandon                  // a guard inside the bubble gave up on the test
)

type event struct {
	kind eventKind
	msg  string
}

// Run runs body as the test t: in a synctest bubble with virtual time
// (unless -realtime or RAFTLAB_REALTIME=1), with a seeded network and
// random source, the harness's guards and, on failure, a timeline file and
// a rerun line. Call it once per test or subtest, from the test goroutine;
// call t.Parallel and t.Run outside it (they are not allowed in a bubble).
func Run(t *testing.T, body func(h *H), opts ...Option) {
	t.Helper()
	if currentBubble() != 0 {
		t.Fatalf("labtest.Run called inside a synctest bubble (from another labtest.Run?): " +
			"call it once per test or subtest, on the test goroutine; t.Run and t.Parallel belong outside labtest.Run")
	}
	r := newRun(t, opts)
	if r.set.topicsErr != nil {
		t.Fatalf("labtest: -log-topics: %v", r.set.topicsErr)
	}
	startCrashWatch(r.logDir())
	r.execute(body)
}

func newRun(t *testing.T, opts []Option) *run {
	set := currentSettings()
	o := defaultOptions()
	for _, f := range opts {
		f(&o)
	}
	r := &run{
		id:      t.Name() + " #" + strconv.FormatUint(runCounter.Add(1), 10),
		name:    t.Name(),
		outer:   t,
		set:     set,
		opt:     o,
		virtual: !set.realtime,
		strict:  set.strict,
		stall:   set.stall,
		events:  make(chan event, 4),
		freeze:  make(chan struct{}),
		rec:     dlog.NewBuffer(logLimit),
	}
	switch {
	case o.seed != nil:
		r.seed = *o.seed
	case set.seedSet:
		r.seed = set.seed
	default:
		r.seed = freshSeed()
	}
	if o.strict != nil {
		r.strict = *o.strict
	}
	if o.stallSet {
		r.stall = o.stall
	}
	if !o.vlimitSet {
		r.opt.vlimit = set.vlimit
	}
	// The seed is in the label so that a panic in a server goroutine, which
	// ends the test binary before the harness can say anything, still names
	// the test and the seed in its trace (GODEBUG=tracebacklabels=1).
	r.id += " seed=" + strconv.FormatUint(r.seed, 10)
	r.ctx = pprof.WithLabels(context.Background(), pprof.Labels(labelRun, r.id))
	r.phase.Store("body")
	return r
}

type rootResult struct {
	returned bool
	panicked any
}

// execute runs the bubble (or, in realtime mode, the body) on a goroutine
// of its own, so that the test goroutine stays free to watch the clock and
// to give up on a bubble that will never end.
func (r *run) execute(body func(h *H)) {
	r.outer.Helper()
	r.realStart = time.Now()
	rootDone := make(chan rootResult, 1)
	go func() {
		pprof.SetGoroutineLabels(r.ctx)
		var res rootResult
		defer func() {
			if !res.returned {
				// A panic here is synctest's deadlock report, or a failure
				// reported on a test that a guard already finished.
				res.panicked = recover()
			}
			rootDone <- res
		}()
		if r.virtual {
			synctest.Test(r.outer, r.inner(body))
		} else {
			r.inner(body)(r.outer)
		}
		res.returned = true
	}()

	poll := time.NewTicker(pollEvery)
	defer poll.Stop()
	wd := newWatchdog(r, time.Now())
	for {
		select {
		case res := <-rootDone:
			r.rootFinished(res)
			r.finish()
			r.propagateSkip()
			return
		case ev := <-r.events:
			if ev.kind == evAbandon {
				r.outer.Error(ev.msg)
				r.finish()
				return
			}
			select {
			case res := <-rootDone:
				r.rootFinished(res)
			case <-time.After(rootGrace):
				r.bubbleNeverEnds()
			}
			r.finish()
			r.propagateSkip()
			return
		case now := <-poll.C:
			if wd.poll(now) {
				r.finish()
				return
			}
		}
	}
}

// propagateSkip skips the test when the body skipped the bubble's *T:
// testing does not carry a skip from synctest's T to its parent, so a
// skipped body would otherwise pass.
func (r *run) propagateSkip() {
	if r.virtual && r.t != nil && r.t.Skipped() && !r.outer.Failed() {
		r.outer.SkipNow()
	}
}

// inner is the test function run in the bubble: it sets up the network
// and the heartbeat, runs the body and always tears down, even after a
// panic or FailNow.
func (r *run) inner(body func(h *H)) func(t *testing.T) {
	return func(t *testing.T) {
		r.t = t
		r.start = time.Now()
		r.startNs.Store(r.start.UnixNano())
		r.bubble = currentBubble()
		r.bubbleID.Store(int64(r.bubble))
		r.rng = newRand(r.seed, streamTest)
		r.drainStop = make(chan struct{})
		h := &H{r: r}

		r.net = labrpc.MakeNetworkSeed(r.seed)
		r.net.SetJitter(NetworkJitter)
		r.netP.Store(r.net)
		r.net.SetLogSink(recordSink{r}, r.set.topics)
		r.net.OnError(func(err error) { r.fail("%v", err) })
		stopWatch := labgob.Watch()
		leave := r.enter()

		r.setLimit(r.opt.vlimit)
		stopBeat, beatDone := make(chan struct{}), make(chan struct{})
		go r.heartbeat(stopBeat, beatDone)
		mode := "virtual time"
		if !r.virtual {
			mode = "real time"
		}
		h.Action("start %s: seed %d, %s", r.name, r.seed, mode)

		final := func() {
			r.teardown(h, stopWatch, leave)
			close(stopBeat)
			<-beatDone
			r.parkIfAbandoned()
			r.doneSent.Store(true)
			r.events <- event{kind: evDone}
		}
		if r.virtual {
			// Registered before the body can register any: cleanups run
			// last-in first-out, so this one runs after the body's own
			// t.Cleanup functions (which often kill the servers), with the
			// heartbeat and the teardown limit still watching them.
			t.Cleanup(final)
		}
		returned := false
		defer func() {
			if p := recover(); p != nil {
				r.bodyPanicked(p)
			} else if !returned && !t.Skipped() {
				r.noticeUnrecordedFailure(failNowSite())
			}
			r.noticeUnrecordedFailure("")
			r.enterTeardown(h)
			if !r.virtual {
				// Here t is the outer test, whose cleanups run only after
				// Run returns, too late for the harness.
				final()
			}
		}()
		seedGlobalRand(r.seed)
		watch.begin(r)
		body(h)
		returned = true
	}
}

func (r *run) bodyPanicked(p any) {
	msg := fmt.Sprint(p)
	if strings.Contains(msg, "inside synctest bubble") {
		r.fail("labtest: %s.\n\tCall t.Run and t.Parallel outside labtest.Run: each subtest calls labtest.Run itself, "+
			"and a parallel test calls t.Parallel before labtest.Run.", msg)
		return
	}
	r.fail("labtest: the test body panicked: %v\n%s", p, panicStack())
}

// fail reports a harness-detected failure on the test, unless a guard has
// already finished the test, when only the timeline keeps it.
func (r *run) fail(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	r.noteFailure(msg)
	r.t.Error(msg)
}

// noteFailure records a failure message in the timeline, at the current
// (virtual) instant, and in the list the timeline file starts with, whose
// first entry the replay check compares. It parks a goroutine of a test a
// guard has finished, which must not report any more.
func (r *run) noteFailure(msg string) {
	r.recordFailure(msg, "", time.Now())
	r.parkIfAbandoned()
}

// recordFailure adds a failure, and the goroutine dump that explains it,
// to what the timeline file and the replay check will say.
func (r *run) recordFailure(msg, dump string, at time.Time) {
	r.mu.Lock()
	if len(r.failures) == 0 {
		r.firstFailAt = at.Sub(time.Unix(0, r.startNs.Load()))
	}
	r.failures = append(r.failures, msg)
	if dump != "" {
		r.dumps = append(r.dumps, dump)
	}
	r.mu.Unlock()
	r.failNoted.Store(true)
	r.rec.Record(dlog.Entry{At: at, Server: "test", Topic: dlog.Test, Msg: "FAIL: " + msg})
}

// noticeUnrecordedFailure puts into the timeline a failure that the body
// reported straight on its *testing.T (t.Errorf, an assertion), which the
// harness cannot see: it notices that the test is failed (at a heartbeat,
// or when the body ends) and says where, if it knows.
func (r *run) noticeUnrecordedFailure(where string) {
	if r.failNoted.Load() || r.t == nil || !r.t.Failed() {
		return
	}
	msg := "the test was failed on its *testing.T (t.Error, t.Fatal or an assertion) by this instant"
	if where != "" {
		msg = "the test called t.FailNow (t.Fatal, require) at " + where
	}
	r.noteFailure(msg + "; the message is in the test's output")
}

// failNowSite returns the caller of testing's FailNow on the stack of a
// goroutine that is unwinding from it, or "".
func failNowSite() string {
	pc := make([]uintptr, 64)
	frames := runtime.CallersFrames(pc[:runtime.Callers(2, pc)])
	seen := false
	for {
		f, more := frames.Next()
		switch {
		case strings.HasPrefix(f.Function, "testing.") && strings.HasSuffix(f.Function, ".FailNow"):
			seen = true
		case seen && !strings.HasPrefix(f.Function, "testing.") && !strings.HasPrefix(f.Function, "runtime.") &&
			!strings.HasPrefix(f.Function, "github.com/stretchr/testify/"):
			return fmt.Sprintf("%s (%s:%d)", f.Function, filepath.Base(f.File), f.Line)
		}
		if !more {
			return ""
		}
	}
}

// parkIfAbandoned stops a goroutine of a test that a guard has finished:
// it must not report on a completed test (testing would panic and end the
// binary), and parking it on a channel from outside the bubble also stops
// the bubble's clock, so that the rest of the bubble stays still too.
func (r *run) parkIfAbandoned() {
	if r.abandoned.Load() {
		<-r.freeze
	}
}

// recordSink is the dlog sink of the test's loggers and network: the
// timeline buffer, and a trap for the goroutines of an abandoned test, which
// typically log often.
type recordSink struct{ r *run }

func (s recordSink) Record(e dlog.Entry) {
	s.r.parkIfAbandoned()
	s.r.records.Add(1)
	s.r.rec.Record(e)
}

// abandon marks the test as finished by a guard: from now on the bubble's
// goroutines must not touch the test, and the heartbeat freezes the bubble
// the next time it runs.
func (r *run) abandon(msg string, dump string) {
	r.recordFailure(msg, dump, r.virtualNow())
	r.abandoned.Store(true)
}

// virtualNow is the test's clock as seen from the calling goroutine: the
// bubble's time inside it, the last heartbeat's outside it (a guard on the
// outer goroutine), where time.Now is the wall clock.
func (r *run) virtualNow() time.Time {
	if !r.virtual || currentBubble() == int(r.bubbleID.Load()) {
		return time.Now()
	}
	return time.Unix(0, r.startNs.Load()+r.vnow.Load())
}
