package kvtest

import (
	"fmt"
	"time"

	"raftlab/porcupine"
	"raftlab/porcupine/models"
)

// DefaultCheckTimeout is how long, in real time, a check may search
// before it gives up with an Unknown verdict.
const DefaultCheckTimeout = 10 * time.Second

// PageName is the artifact name of the picture of a history that failed
// its check (see labtest.H.ArtifactPath).
const PageName = "linearizability.html"

// CheckOptions adjust a linearizability check.
type CheckOptions struct {
	// Timeout bounds the search in real time; 0 means DefaultCheckTimeout.
	Timeout time.Duration
}

func (o CheckOptions) timeout() time.Duration {
	if o.Timeout <= 0 {
		return DefaultCheckTimeout
	}
	return o.Timeout
}

// Check fails the test unless the history recorded so far is
// linearizable, with Verdict's explanation, and otherwise logs how many
// operations it checked. Test goroutine only.
func (h *History) Check(o CheckOptions) {
	h.w.T().Helper()
	v := h.verdict(o)
	if v.err != nil {
		h.w.Fatalf("%v", v.err)
	}
	h.w.Logf("linearizability: %d operations checked (%d of unknown outcome) in %v of real time: %v",
		v.ops, v.unknown, v.searchTook.Round(time.Millisecond), v.result)
}

// Verdict checks the history recorded so far on the key/value model and
// returns the verdict, the path of the picture it wrote (only for an
// Illegal history, else ""), and, unless the verdict is Ok, an error that
// says what went wrong and where to look. Operations whose clerk has not
// returned are checked as unknown-outcome operations. The search runs in
// real time, with the test's virtual clock stopped. Test goroutine only.
func (h *History) Verdict(o CheckOptions) (porcupine.CheckResult, string, error) {
	v := h.verdict(o)
	return v.result, v.page, v.err
}

type verdict struct {
	result     porcupine.CheckResult
	page       string
	err        error
	ops        int
	unknown    int
	searchTook time.Duration
}

func (h *History) verdict(o CheckOptions) verdict {
	ops := h.operations()
	v := verdict{ops: len(ops)}
	for _, op := range ops {
		if op.Unknown {
			v.unknown++
		}
	}
	var info porcupine.LinearizationInfo
	// LongCompute runs the search on the real clock, where its timeout fires.
	h.w.H.LongCompute(func() {
		start := time.Now()
		v.result, info = porcupine.CheckOperationsVerbose(models.KV(), ops, o.timeout())
		v.searchTook = time.Since(start)
	})
	switch v.result {
	case porcupine.Ok:
	case porcupine.Illegal:
		info.AddAnnotations(h.annotations())
		info.SetClock(time.Nanosecond, -h.into.Nanoseconds())
		summary := illegalSummary(v.ops, v.unknown)
		if hint := appliedTwice(ops); hint != "" {
			summary += "; " + hint
		}
		path := h.w.H.ArtifactPath(PageName)
		if err := porcupine.VisualizePath(models.KV(), info, path); err != nil {
			v.err = fmt.Errorf("%s; the picture of it could not be written: %v", summary, err)
		} else {
			v.page = path
			v.err = fmt.Errorf("%s; %s", summary, pageGuide(path))
		}
	default:
		v.err = undecidedError(v.ops, o.timeout(), info.Unknown())
	}
	return v
}

func illegalSummary(ops, unknown int) string {
	return fmt.Sprintf("linearizability: the history of %d operations (%d of unknown outcome) is not linearizable: "+
		"no order of the operations, each taking effect between its call and its return, explains the values the Gets returned", ops, unknown)
}

func pageGuide(path string) string {
	return fmt.Sprintf("open %s in a browser: it draws every client's operations on the virtual timeline, "+
		"with the test's actions, crashes, partitions and leaders in rows of their own, "+
		"and marks, for each key that failed, the longest order found and the operations none of which can come next", path)
}

// undecidedError explains an Unknown verdict.
func undecidedError(ops int, timeout time.Duration, why *porcupine.UnknownReason) error {
	if why != nil && why.Cause == "invalid" {
		return fmt.Errorf("linearizability: kvtest recorded a malformed history of %d operations, which the checker rejects: %s", ops, why.Detail)
	}
	var what string
	switch {
	case why != nil && why.Cause == "timeout":
		what = fmt.Sprintf("could not be decided within the timeout of %v (real time): the search explored %d states and ordered at most %d operations of one key",
			timeout, why.Explored, why.LongestPrefix)
	case why != nil:
		what = fmt.Sprintf("could not be decided: the search stopped on its %s limit (%s) after %d states", why.Cause, why.Detail, why.Explored)
	default:
		what = "could not be decided"
	}
	return fmt.Errorf("linearizability: the history of %d operations %s. "+
		"The verdict is Unknown, which is no evidence of a violation: histories with many concurrent operations on one key are hard to check; "+
		"fewer clients per key, or a longer CheckOptions.Timeout, make them decidable", ops, what)
}
