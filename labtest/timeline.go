package labtest

import (
	"sort"
	"time"

	"raftlab/dlog"
	"raftlab/labrpc"
)

// line is one event of the merged timeline: a log entry of a component or
// of the harness, or an event of the network's trace.
type line struct {
	At   time.Time
	text string
}

// timeline merges the recorded log entries and, if the network did not log
// its events to the same sink (its topic is off), the network trace, in
// (virtual) time order. Many events share a virtual instant; within one,
// only entries of the same sink keep their true order, which is why the
// network's own log lines are preferred to its trace.
func timeline(start time.Time, entries []dlog.Entry, trace []labrpc.TraceEvent, netLogged bool) []line {
	out := make([]line, 0, len(entries)+len(trace))
	for _, e := range entries {
		out = append(out, line{At: e.At, text: e.Format(start)})
	}
	if netLogged {
		trace = nil
	}
	for _, ev := range trace {
		e := ev.Entry()
		out = append(out, line{At: e.At, text: e.Format(start)})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

// collect reads the timeline's sources. A guard may have frozen the bubble
// while one of its goroutines holds the network's lock; the read then gives
// up after a while rather than hang the test binary.
func (r *run) collect() (entries []dlog.Entry, dropped int, trace []labrpc.TraceEvent, complete bool) {
	type result struct {
		entries []dlog.Entry
		dropped int
		trace   []labrpc.TraceEvent
	}
	ch := make(chan result, 1)
	go func() {
		var res result
		res.entries, res.dropped = r.rec.Entries()
		if n := r.netP.Load(); n != nil {
			res.trace = n.Trace()
		}
		ch <- res
	}()
	select {
	case res := <-ch:
		return res.entries, res.dropped, res.trace, true
	case <-time.After(2 * time.Second):
		return nil, 0, nil, false
	}
}
