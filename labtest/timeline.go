package labtest

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
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

// netClock is the wall-clock prefix the network puts on its log lines; the
// timeline has its own time column.
var netClock = regexp.MustCompile(`^\d\d:\d\d:\d\d\.\d{6} `)

// timeline merges the recorded log entries and, if the network did not log
// its events to the same sink (its topic is off), the network trace, in
// (virtual) time order. Many events share a virtual instant; within one,
// only entries of the same sink keep their true order, which is why the
// network's own log lines are preferred to its trace.
func timeline(start time.Time, entries []dlog.Entry, trace []labrpc.TraceEvent, netLogged bool) []line {
	out := make([]line, 0, len(entries)+len(trace))
	for _, e := range entries {
		if e.Server == "net" && e.Topic == dlog.Network {
			e.Msg = netClock.ReplaceAllString(e.Msg, "")
		}
		out = append(out, line{At: e.At, text: e.Format(start)})
	}
	if netLogged {
		trace = nil
	}
	for _, ev := range trace {
		out = append(out, line{At: ev.At, text: formatTrace(start, ev)})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

// formatTrace renders a network event in the columns of dlog.Entry.Format.
func formatTrace(start time.Time, ev labrpc.TraceEvent) string {
	var msg string
	switch ev.Outcome {
	case labrpc.PartitionChange, labrpc.ServerChange:
		msg = fmt.Sprintf("%s %s->%s %s", ev.Outcome, ev.From, ev.To, ev.Detail)
	default:
		msg = fmt.Sprintf("%s->%s %s #%d (end %s) %s", ev.From, ev.To, ev.Method, ev.Call, ev.End, ev.Outcome)
		if ev.Detail != "" {
			msg += ": " + ev.Detail
		}
	}
	return fmt.Sprintf("%12.6fs %-8s %-6s %s", ev.At.Sub(start).Seconds(), "rpc", "net", strings.TrimSpace(msg))
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
