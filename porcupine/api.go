package porcupine

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// The functions in this file mirror github.com/anishathalye/porcupine v1 so
// that code written for it works unchanged. They cannot return errors: an
// invalid model or history makes the bool-returning functions panic (false
// would claim a violation that was never found), and the others return
// Unknown with an UnknownReason of Cause "invalid" carrying the error. A
// panic in one of the model's functions is raised again on the calling
// goroutine, as a *ModelPanic, by all of them. Check and CheckEventHistory
// return these errors instead.

// noLimit is the memory cap of CheckOperations and CheckEvents: none, as in
// the reference, since they cannot say Unknown.
const noLimit = -1

// CheckOperations reports whether history is linearizable. Like the
// reference, it has neither a timeout nor a memory cap: false always means
// that the history is not linearizable. (Check with Options.MemoryLimit
// keeps a search of a huge history from taking all the memory, and says
// Unknown when it stops one.)
func CheckOperations(model Model, history []Operation) bool {
	res, err := Check(model, history, Options{MemoryLimit: noLimit})
	if err != nil {
		panic(err)
	}
	return decided(res) == Ok
}

// decided is the verdict of a check that had no reason to stop early.
func decided(res Result) CheckResult {
	if res.Verdict == Unknown {
		panic(fmt.Sprintf("porcupine: a check without timeout or memory cap stopped: %v", res.Unknown))
	}
	return res.Verdict
}

// classic returns Check's verdict the way the reference API does: a model's
// panic raised again, any other error as Unknown.
func classic(res Result, err error) CheckResult {
	var mp *ModelPanic
	if errors.As(err, &mp) {
		panic(mp)
	}
	if err != nil {
		return Unknown
	}
	return res.Verdict
}

// CheckOperationsTimeout checks history with a timeout (0 for none) and the
// default memory cap; it returns Unknown if either stops the search.
func CheckOperationsTimeout(model Model, history []Operation, timeout time.Duration) CheckResult {
	return classic(Check(model, history, Options{Timeout: timeout}))
}

// CheckOperationsVerbose is CheckOperationsTimeout that also returns the
// information Visualize needs.
func CheckOperationsVerbose(model Model, history []Operation, timeout time.Duration) (CheckResult, LinearizationInfo) {
	res, err := Check(model, history, Options{Timeout: timeout, Verbose: true})
	if err != nil {
		return invalid(err)
	}
	return res.Verdict, res.Info
}

// CheckEvents is CheckOperations for an event history.
func CheckEvents(model Model, history []Event) bool {
	res, err := CheckEventHistory(model, history, Options{MemoryLimit: noLimit})
	if err != nil {
		panic(err)
	}
	return decided(res) == Ok
}

// CheckEventsTimeout is CheckOperationsTimeout for an event history.
func CheckEventsTimeout(model Model, history []Event, timeout time.Duration) CheckResult {
	return classic(CheckEventHistory(model, history, Options{Timeout: timeout}))
}

// CheckEventsVerbose is CheckOperationsVerbose for an event history.
func CheckEventsVerbose(model Model, history []Event, timeout time.Duration) (CheckResult, LinearizationInfo) {
	res, err := CheckEventHistory(model, history, Options{Timeout: timeout, Verbose: true})
	if err != nil {
		return invalid(err)
	}
	return res.Verdict, res.Info
}

func invalid(err error) (CheckResult, LinearizationInfo) {
	var mp *ModelPanic
	if errors.As(err, &mp) {
		panic(mp)
	}
	return Unknown, LinearizationInfo{unknown: &UnknownReason{Cause: "invalid", Detail: err.Error()}}
}

// Unknown returns why a check gave up and how far it got, or nil when the
// verdict was not Unknown.
func (li LinearizationInfo) Unknown() *UnknownReason { return li.unknown }

// PartialLinearizations returns, per partition, the longest partial
// linearizations found, each a list of indices into that partition's
// operations in linearization order.
func (li *LinearizationInfo) PartialLinearizations() [][][]int {
	out := make([][][]int, len(li.partitions))
	for i, p := range li.partitions {
		out[i] = make([][]int, len(p.partials))
		for j, pl := range p.partials {
			out[i][j] = append([]int(nil), pl...)
		}
	}
	return out
}

// PartialLinearizationsOperations is PartialLinearizations with the
// operations themselves instead of indices.
func (li *LinearizationInfo) PartialLinearizationsOperations() [][][]Operation {
	out := make([][][]Operation, len(li.partitions))
	for i, p := range li.partitions {
		out[i] = make([][]Operation, len(p.partials))
		for j, pl := range p.partials {
			ops := make([]Operation, len(pl))
			for k, op := range pl {
				ops[k] = p.ops[op]
			}
			out[i][j] = ops
		}
	}
	return out
}

// AddAnnotations adds annotations to show in the visualization.
func (li *LinearizationInfo) AddAnnotations(annotations []Annotation) {
	li.annotations = append(li.annotations, annotations...)
}

// SetClock says what the history's timestamps measure, for Visualize: the
// page then shows a timestamp t as the time (t - zero) × unit, in seconds
// (a test's log, say, counts from its own start), instead of as a bare
// number. A unit of 0 goes back to bare numbers.
func (li *LinearizationInfo) SetClock(unit time.Duration, zero int64) {
	li.clock = nil
	if unit > 0 {
		li.clock = &visClock{Unit: int64(unit), Zero: strconv.FormatInt(zero, 10)}
	}
}

// String summarises an UnknownReason.
func (r *UnknownReason) String() string {
	if r == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%s: %s (explored %d states, longest prefix %d in partition %d)", r.Cause, r.Detail, r.Explored, r.LongestPrefix, r.Partition)
}
