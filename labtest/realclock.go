package labtest

// A long computation (a linearizability check) may set its own timeout
// with a timer. Inside the synctest bubble that timer runs on the bubble's
// clock, and the bubble's clock
// stands still while the check computes (time moves only when every
// goroutine of the bubble is blocked), so a timeout set there never fires:
// a hard history would hold the test for as long as the search takes, and
// helpers started by timers would never start. LongCompute therefore runs f on a goroutine born outside every bubble, where
// timers are real, while the test goroutine waits on a channel made
// outside the bubble too. Such a wait is not durable, so the bubble's
// clock stays frozen for the whole computation and the servers do not race
// through virtual time meanwhile.

// offBubbleJob is a function to run off the bubble and the channel, made
// outside every bubble, on which its end is announced.
type offBubbleJob struct {
	f    func()
	done chan any // receives the panic value of f, or nil
}

var (
	offBubbleJobs = make(chan offBubbleJob)
	// offBubbleDone holds reply channels made at package init: a channel
	// made in a bubble may not be used from outside it, so callers in a
	// bubble cannot bring their own.
	offBubbleDone = make(chan chan any, 8)
)

func init() {
	for range cap(offBubbleDone) {
		offBubbleDone <- make(chan any, 1)
	}
	go func() {
		for j := range offBubbleJobs {
			go func() {
				var panicked any
				defer func() { j.done <- panicked }()
				defer func() { panicked = recover() }()
				j.f()
			}()
		}
	}()
}

// onRealClock runs f on a goroutine outside every synctest bubble and
// waits for it; a panic in f is raised again in the caller, where the
// test harness turns it into a failure. f must not touch channels or
// timers of the caller's bubble.
func onRealClock(f func()) {
	done := <-offBubbleDone
	defer func() { offBubbleDone <- done }()
	offBubbleJobs <- offBubbleJob{f: f, done: done}
	if p := <-done; p != nil {
		panic(p)
	}
}
