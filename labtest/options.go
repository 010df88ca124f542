package labtest

import "time"

// DefaultVirtualTimeLimit is how much virtual time a test body may take
// unless the test or -vtime-limit says otherwise. The classic lab tests
// finish within 120 s of wall-clock time; a body that needs more is stuck.
const DefaultVirtualTimeLimit = 120 * time.Second

// NetworkJitter is the extra delay, drawn per call below this bound, that
// H.Net's network adds to every delivered request (labrpc's SetJitter). In
// virtual time, servers whose timers fire on the same tick would otherwise
// exchange RPCs within one instant, where the goroutine scheduler, not the
// seed, picks the order, and a failure would not replay. Half a
// millisecond is far below any lab timeout, so it changes no outcome a
// test can rely on.
const NetworkJitter = 500 * time.Microsecond

// MaxVirtualTimeLimit is the limit of a test that asks for none (0): a
// deadlocked body still ends, after about a second of real time.
const MaxVirtualTimeLimit = time.Hour

// Option adjusts one Run.
type Option func(*options)

type options struct {
	seed        *uint64
	vlimit      time.Duration
	vlimitSet   bool
	stall       time.Duration
	stallSet    bool
	strict      *bool
	leakGrace   time.Duration
	tick        time.Duration
	teardownCap time.Duration
	noBeat      bool          // tests of the harness: no heartbeat, so synctest's own deadlock detection works
	creepWindow time.Duration // the livelock watchdog's window; shorter in the harness's own tests
}

func defaultOptions() options {
	return options{
		leakGrace:   2 * time.Second,
		tick:        100 * time.Millisecond,
		teardownCap: 30 * time.Second,
		creepWindow: creepWindow,
	}
}

// WithSeed runs the test with this seed, whatever -seed says; multi-seed
// tests pass each of Seeds(t) in turn.
func WithSeed(seed uint64) Option { return func(o *options) { o.seed = &seed } }

// VirtualTimeLimit sets the virtual time the body may take (default
// DefaultVirtualTimeLimit or -vtime-limit); 0 means MaxVirtualTimeLimit.
// In realtime mode the limit is wall-clock time.
func VirtualTimeLimit(d time.Duration) Option {
	return func(o *options) { o.vlimit, o.vlimitSet = d, true }
}

// StallAfter sets how long, in real time, the virtual clock may stand still
// before the stall watchdog fails the test (default -stall, 15 s).
func StallAfter(d time.Duration) Option {
	return func(o *options) { o.stall, o.stallSet = d, true }
}

// Strict makes goroutines that outlive teardown fail the test (as -strict).
func Strict(on bool) Option { return func(o *options) { o.strict = &on } }

// LeakGrace sets the virtual time teardown waits, after killing the
// servers and closing the network, for their goroutines to exit.
func LeakGrace(d time.Duration) Option { return func(o *options) { o.leakGrace = d } }
