package porcupine

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// helperDelay is how long a check runs on the calling goroutine alone
// before more partitions are searched in parallel.
const helperDelay = 300 * time.Microsecond

// DefaultMemoryLimit is the memory cap used when Options.MemoryLimit is 0.
const DefaultMemoryLimit int64 = 1 << 30

// defaultLimit is DefaultMemoryLimit, a variable for the tests.
var defaultLimit = DefaultMemoryLimit

// Options control a check.
type Options struct {
	// Timeout stops the search after this long with an Unknown verdict.
	// 0 means no timeout.
	Timeout time.Duration
	// MemoryLimit caps the estimated bytes held by the search (its caches of
	// visited configurations and states, summed over partitions searched at
	// once). Reaching it stops the search with an Unknown verdict instead of
	// running out of memory. 0 means DefaultMemoryLimit; negative means no
	// cap.
	MemoryLimit int64
	// Verbose fills Result.Info with what Visualize needs: every partition
	// is searched to the end (no early exit on the first violation), and the
	// longest partial linearizations are kept.
	Verbose bool
	// Parallelism is the number of partitions searched at once; 0 means
	// GOMAXPROCS.
	Parallelism int
	// VerboseGrace bounds a verbose check once its verdict is known. After
	// some partition has been found Illegal, every other partition's search
	// that has taken more than VerboseGrace steps stops, and its info keeps
	// the partial linearizations found so far (the search of a partition
	// can take exponential time, and the verdict no longer depends on it).
	// 0 means DefaultVerboseGrace; negative means search every partition to
	// the end.
	VerboseGrace int64
}

// DefaultVerboseGrace is the VerboseGrace used when the option is 0: about
// half a second of search.
const DefaultVerboseGrace int64 = 1 << 20

// Result is the outcome of Check or CheckEventHistory.
type Result struct {
	Verdict CheckResult
	// Unknown says why and how far, when Verdict is Unknown.
	Unknown *UnknownReason
	// Info is the linearization info for Visualize; with Verbose unset it
	// holds only the partitions' operations and the Unknown reason.
	Info LinearizationInfo
	// Explored counts search steps (model steps tried) over all partitions.
	Explored int64
}

// Check decides whether history is linearizable with respect to model. The
// error is non-nil, and the Result meaningless, only for an invalid model or
// history (see ErrInvalidModel and ErrInvalidHistory).
func Check(model Model, history []Operation, opts Options) (Result, error) {
	cm, err := compileModel(model)
	if err != nil {
		return Result{}, err
	}
	if err := validateOperations(history); err != nil {
		return Result{}, err
	}
	parts := [][]Operation{history}
	if model.Partition != nil {
		if parts, err = partitionGuarded("Partition", model.Partition, history); err != nil {
			return Result{}, err
		}
		for _, p := range parts {
			if err := validateOperations(p); err != nil {
				return Result{}, fmt.Errorf("%w (after Partition)", err)
			}
		}
	}
	return run(cm, parts, opts)
}

// CheckEventHistory is Check for a history of call and return events.
func CheckEventHistory(model Model, history []Event, opts Options) (Result, error) {
	cm, err := compileModel(model)
	if err != nil {
		return Result{}, err
	}
	ops, err := eventsToOperations(history)
	if err != nil {
		return Result{}, err
	}
	parts := [][]Operation{ops}
	if model.PartitionEvent != nil {
		evParts, err := partitionGuarded("PartitionEvent", model.PartitionEvent, history)
		if err != nil {
			return Result{}, err
		}
		parts = make([][]Operation, len(evParts))
		for i, p := range evParts {
			if parts[i], err = eventsToOperations(p); err != nil {
				return Result{}, fmt.Errorf("%w (in partition %d from PartitionEvent)", err, i)
			}
		}
	}
	return run(cm, parts, opts)
}

// run searches the partitions, largest first, on up to Parallelism
// goroutines. Without Verbose the first Illegal partition stops the others.
// A panic in the model stops them all and is returned as a *ModelPanic.
func run(cm *compiledModel, parts [][]Operation, opts Options) (Result, error) {
	ctl := &control{memLimit: opts.MemoryLimit, timeout: opts.Timeout}
	if ctl.memLimit == 0 {
		ctl.memLimit = defaultLimit
	}
	if opts.Verbose {
		ctl.grace = opts.VerboseGrace
		if ctl.grace == 0 {
			ctl.grace = DefaultVerboseGrace
		}
	}
	if opts.Timeout > 0 {
		t := time.AfterFunc(opts.Timeout, func() { ctl.halt(stopTimeout) })
		defer t.Stop()
	}
	outcomes := make([]searchOutcome, len(parts))
	order := make([]int, len(parts))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return len(parts[b]) - len(parts[a]) })
	settle := func(i int, o searchOutcome) {
		if o.verdict == Illegal {
			ctl.illegal.Store(true)
			if !opts.Verbose {
				ctl.halt(stopIllegal)
			}
		}
		outcomes[i] = o
	}
	// Without Verbose each worker takes turns between up to ringSize
	// partitions, so that a violation that is quick to find in one
	// partition ends the check without waiting for slow ones (the
	// order of partitions says nothing about which is quick). A verbose
	// check searches them one after the other, to bound the memory held
	// by searches that will run to their grace.
	ringSize := 4
	if opts.Verbose {
		ringSize = 1
	}
	type active struct {
		i int
		s *search
	}
	var failMu sync.Mutex
	var failure *panicked
	fail := func(i int, s *search, p *panicked) {
		failMu.Lock()
		if failure == nil {
			failure = p
		}
		failMu.Unlock()
		ctl.halt(stopPanic)
		s.release()
		outcomes[i] = searchOutcome{verdict: Unknown, cause: stopPanic}
	}
	workers := opts.Parallelism
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, len(parts))
	var next atomic.Int64
	work := func() {
		var ring []active
		for {
			for len(ring) < ringSize {
				j := next.Add(1) - 1
				if j >= int64(len(order)) {
					break
				}
				i := order[j]
				if c := ctl.stopped(); c != stopNone {
					outcomes[i] = searchOutcome{verdict: Unknown, cause: c}
					continue
				}
				s := newSearch(cm, ctl, i, parts[i], opts.Verbose, true)
				if _, p := s.guard(func() bool { s.start(); return false }); p != nil {
					fail(i, s, p)
					continue
				}
				ring = append(ring, active{i, s})
			}
			if len(ring) == 0 {
				return
			}
			for k := 0; k < len(ring); {
				a := ring[k]
				done, p := a.s.guard(a.s.turn)
				switch {
				case p != nil:
					fail(a.i, a.s, p)
				case done:
					settle(a.i, a.s.finish())
				default:
					k++
					continue
				}
				ring = slices.Delete(ring, k, k+1)
			}
		}
	}
	// Helpers start only if the work is not done after helperDelay: waking
	// another thread costs tens of microseconds on a busy machine, more
	// than checking a small history takes.
	var mu sync.Mutex
	var wg sync.WaitGroup
	done := false
	var timers []*time.Timer
	for range workers - 1 {
		timers = append(timers, time.AfterFunc(helperDelay, func() {
			mu.Lock()
			defer mu.Unlock()
			if !done {
				wg.Go(work)
			}
		}))
	}
	work()
	mu.Lock()
	done = true
	mu.Unlock()
	for _, t := range timers {
		t.Stop()
	}
	wg.Wait()
	if failure != nil {
		return Result{}, failure.raise()
	}
	return assemble(parts, outcomes, opts), nil
}

func assemble(parts [][]Operation, outcomes []searchOutcome, opts Options) Result {
	var res Result
	res.Verdict = Ok
	unknownAt := -1
	longest := 0
	for i, o := range outcomes {
		res.Explored += o.explored
		longest = max(longest, o.longest)
		switch o.verdict {
		case Illegal:
			res.Verdict = Illegal
		case Unknown:
			if o.cause != stopIllegal && (unknownAt < 0 || outcomes[unknownAt].cause == stopIllegal) {
				unknownAt = i
			}
		}
	}
	if res.Verdict != Illegal && unknownAt >= 0 {
		o := outcomes[unknownAt]
		res.Verdict = Unknown
		res.Unknown = &UnknownReason{
			Cause:         o.cause.String(),
			Explored:      res.Explored,
			LongestPrefix: longest,
			Partition:     unknownAt,
		}
		switch o.cause {
		case stopTimeout:
			res.Unknown.Detail = fmt.Sprintf("timed out after %v", opts.Timeout)
		case stopMemory:
			lim := opts.MemoryLimit
			if lim == 0 {
				lim = defaultLimit
			}
			res.Unknown.Detail = fmt.Sprintf("search memory reached the cap of %s", formatBytes(lim))
		}
	}
	res.Info.partitions = make([]partitionInfo, len(parts))
	for i := range parts {
		pi := outcomes[i].info
		pi.ops = parts[i]
		pi.undecided = outcomes[i].verdict == Unknown
		res.Info.partitions[i] = pi
	}
	res.Info.unknown = res.Unknown
	return res
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
