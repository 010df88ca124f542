// Package dlog is the debug logger of raftlab's servers and test harness.
//
// A Logger tags each line with a topic, the server it speaks for and the
// (virtual) time, and hands it to a Sink. The test harness installs a Sink
// that keeps the lines of the running test in memory and writes them out when
// the test fails, beside the network's fault trace, so a failed run explains
// itself. A nil Logger, or one whose topic is off, costs a nil check and
// nothing else; guard expensive arguments with Enabled.
//
//	lg := peers[me].Logger()                   // from the harness, via labrpc
//	lg.Printf(dlog.Election, "term %d: vote for %d", term, cand)
package dlog

import (
	"fmt"
	"strings"
	"time"
)

// Topic is a category of log line; topics combine as a bit set.
type Topic uint16

// The topics of every lab. A new topic goes at the end of this list and
// of topicNames: the two must have the same length or the package does not
// compile.
const (
	Election Topic = 1 << iota
	Log
	Persist
	Snapshot
	Apply
	Client
	Network
	Test
	KV     // kvraft
	Shard  // shardkv
	Config // shardctrler

	numTopics = iota

	None Topic = 0
	All  Topic = 1<<numTopics - 1
)

// topicNames names the topics by bit: topicNames[i] is the name of 1<<i.
var topicNames = [...]string{
	"election", "log", "persist", "snapshot", "apply", "client", "network", "test",
	"kv", "shard", "config",
}

// A topic without a name, or a name without a topic, is a compile error.
var (
	_ [len(topicNames) - numTopics]struct{}
	_ [numTopics - len(topicNames)]struct{}
)

// String names a single topic ("election"), or lists a set ("log|apply").
func (t Topic) String() string {
	var parts []string
	for i, name := range topicNames {
		if t&(1<<i) != 0 {
			parts = append(parts, name)
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "|")
}

// ParseTopics reads a comma-separated list of topic names, or "all", or
// "none" (the empty string is none too).
func ParseTopics(s string) (Topic, error) {
	var set Topic
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(strings.ToLower(f))
		switch f {
		case "", "none":
			continue
		case "all":
			set |= All
			continue
		}
		found := false
		for i, name := range topicNames {
			if f == name {
				set |= 1 << i
				found = true
			}
		}
		if !found {
			return 0, fmt.Errorf("dlog: unknown topic %q; use a comma-separated list of %s, or all", f, strings.Join(topicNames[:], ", "))
		}
	}
	return set, nil
}

// Entry is one log line.
type Entry struct {
	At     time.Time // virtual time inside a test bubble
	Server string    // who speaks: "0", "1", ..., "net", "test", a clerk's name
	Topic  Topic
	Msg    string
}

// Format renders an entry as one line, with its time as an offset from start.
func (e Entry) Format(start time.Time) string {
	return fmt.Sprintf("%12.6fs %-8s %-6s %s", e.At.Sub(start).Seconds(), e.Topic, e.Server, e.Msg)
}

// Sink receives log entries. Implementations must be safe for concurrent use.
type Sink interface {
	Record(Entry)
}

// Logger writes entries for one server to a Sink. The zero of *Logger (nil)
// discards everything.
type Logger struct {
	server string
	sink   Sink
	topics Topic
}

// New returns a Logger for server that records the given topics to sink.
// With a nil sink or no topics it returns nil, which discards everything.
func New(server string, sink Sink, topics Topic) *Logger {
	if sink == nil || topics == None {
		return nil
	}
	return &Logger{server: server, sink: sink, topics: topics}
}

// With returns a Logger that writes to the same sink for another server.
func (l *Logger) With(server string) *Logger {
	if l == nil {
		return nil
	}
	return &Logger{server: server, sink: l.sink, topics: l.topics}
}

// Enabled reports whether lines of topic t are recorded.
func (l *Logger) Enabled(t Topic) bool {
	return l != nil && l.topics&t != 0
}

// Printf records a line under topic t, if that topic is on.
func (l *Logger) Printf(t Topic, format string, args ...any) {
	if l == nil || l.topics&t == 0 {
		return
	}
	l.sink.Record(Entry{At: time.Now(), Server: l.server, Topic: t, Msg: fmt.Sprintf(format, args...)})
}
