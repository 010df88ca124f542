package labrpc

import (
	"fmt"
	"time"

	"raftlab/dlog"
)

// Outcome is what happened to a call, or what kind of change an event is.
type Outcome int

const (
	Delivered       Outcome = iota + 1 // the handler ran and its reply reached the caller
	RequestDropped                     // the request was lost; the handler did not run
	ReplyDropped                       // the handler ran, its reply was lost
	Reordered                          // delivered, but the reply was held back (LongReordering)
	Duplicated                         // a second copy of the request reached the handler
	NoRoute                            // end disabled, deleted or unconnected, or partitioned/cut
	DeadServer                         // no server under that name, or it was deleted or replaced
	PartitionChange                    // partition, heal, cut, uncut, or an end enabled/disabled
	ServerChange                       // a server added or deleted
	Misuse                             // the call was wrong (see Network.Errors)
	Cancelled                          // the network was cleaned up
)

var outcomeNames = [...]string{"", "delivered", "request-dropped", "reply-dropped", "reordered",
	"duplicated", "no-route", "dead-server", "partition-change", "server-change", "misuse", "cancelled"}

func (o Outcome) String() string {
	if o > 0 && int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// TraceEvent is one entry of the network's trace: a call's outcome (one
// per call, when it completes, plus one per duplicate delivery) or a
// change of topology.
type TraceEvent struct {
	At      time.Time
	From    string // the calling end's owner, or the end's name if it has none
	To      string // the server name
	End     string // the end's name ("" for topology changes)
	Method  string
	Call    int64 // index of the call on its end, from 0
	Outcome Outcome
	Detail  string
	// Values is what the call carried, recorded while the network's log
	// is on (SetLogSink with dlog.Network); nil otherwise, and for
	// topology changes.
	Values *CallValues
}

// CallValues renders a call's arguments and its handler's reply from their
// exported fields, each in a bounded number of characters. Reply is empty
// when no handler replied.
type CallValues struct {
	Args, Reply string
}

// String is the event's Message after its wall-clock time.
func (ev TraceEvent) String() string {
	return ev.At.Format("15:04:05.000000") + " " + ev.Message()
}

// Message describes the event without its time, which the network's log
// lines and the test timeline show in a column of their own.
func (ev TraceEvent) Message() string {
	switch ev.Outcome {
	case PartitionChange, ServerChange:
		return fmt.Sprintf("%s %s->%s %s", ev.Outcome, ev.From, ev.To, ev.Detail)
	}
	s := fmt.Sprintf("%s->%s %s #%d (end %s) %s", ev.From, ev.To, ev.Method, ev.Call, ev.End, ev.Outcome)
	if ev.Detail != "" {
		s += ": " + ev.Detail
	}
	if v := ev.Values; v != nil {
		s += " args=" + v.Args
		if v.Reply != "" {
			s += " reply=" + v.Reply
		}
	}
	return s
}

// netLogName is who speaks in the network's log lines.
const netLogName = "net"

// Entry is the event as the network logs it (see SetLogSink), so that a
// trace read afterwards renders exactly like the log written as it ran.
func (ev TraceEvent) Entry() dlog.Entry {
	return dlog.Entry{At: ev.At, Server: netLogName, Topic: dlog.Network, Msg: ev.Message()}
}

const defaultTraceLimit = 100_000

// Trace returns the kept events, oldest first.
func (n *Network) Trace() []TraceEvent {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.trace.Items()
}

// TraceDropped returns how many events were dropped to stay within the
// limit.
func (n *Network) TraceDropped() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.trace.Dropped()
}

// SetTraceLimit bounds the trace to the newest limit events (100000 by
// default); limit <= 0 turns tracing off.
func (n *Network) SetTraceLimit(limit int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.trace.SetLimit(limit)
}

// record adds an event to the trace and the network log.
func (n *Network) record(ev TraceEvent) {
	n.mu.Lock()
	n.recordLocked(ev)
	n.mu.Unlock()
}

func (n *Network) recordLocked(ev TraceEvent) {
	n.trace.Add(ev)
	if n.logNet {
		n.sink.Record(ev.Entry())
	}
}

func (n *Network) topologyLocked(o Outcome, from, to, detail string) {
	n.recordLocked(TraceEvent{At: time.Now(), From: from, To: to, Outcome: o, Detail: detail})
}

// finish records the end of a call in the trace and the statistics.
func (c *call) finish(o Outcome, detail string) {
	n := c.net
	ev := TraceEvent{At: time.Now(), From: c.r.from, To: c.r.to, End: c.end.nameStr, Method: c.method, Call: c.k, Outcome: o, Detail: detail}
	ev.Values = c.values
	n.mu.Lock()
	n.recordLocked(ev)
	n.stats.count(c, o)
	n.mu.Unlock()
}
