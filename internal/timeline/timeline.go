// Package timeline reads the timeline files that labtest writes for a
// failed test (and for every test with -logs) and shows them: in the
// terminal as one column per server, coloured by topic (Render), or as one
// self-contained HTML page with a lane per server, RPC arrows, crash,
// disconnection and partition bands, log lines on hover and zoom
// (WriteHTML). The raftlab logs command is its front end.
//
// A timeline file has a header of "# " lines (test, seed, rerun line, mode,
// replay check), the failure messages, then the timeline: one line per
// event in virtual-time order, "   4.541007s topic    who    message",
// where who is a server, "test" (the harness's actions and failures),
// "net" (the network's trace) or a checker. Sections after it repeat each
// server's lines, give goroutine stacks and the servers' final states.
package timeline

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// File is a parsed timeline file.
type File struct {
	Path     string
	Test     string // the test's name
	Result   string // PASS or FAIL (CRASH for a binary that died)
	Seed     string
	Rerun    string
	Mode     string
	Replay   string   // the replay check's verdict, if any
	Crash    string   // for a binary that died: the crash's headline (the report is in Stacks)
	Failures []string // the failure messages, in the order noted
	Notes    []string // remarks of the timeline section ("(the oldest … dropped)")
	Events   []Event
	// Servers are the lanes: every speaker that is not the harness, the
	// network or a checker, and every RPC's callee, numbers first.
	Servers []string
	Final   []Final  // the servers' final states
	Stacks  []string // goroutine stacks the guards took, as written
	End     time.Duration
}

// Event is one line of the timeline.
type Event struct {
	At    time.Duration // virtual time since the test's start
	Topic string
	Who   string // the speaker as written: a server, test, net, checker, probe
	Msg   string
	Line  int // in the file, from 1
	// Lane is the server whose column the event belongs to; "" for the
	// harness's lines that concern every server (actions, failures,
	// partitions).
	Lane string
	Kind Kind
	RPC  *RPC // for KindRPC
}

// Kind classifies events for drawing.
type Kind string

const (
	KindLog      Kind = "log"      // a server's (or checker's) log line
	KindRPC      Kind = "rpc"      // a call's outcome in the network trace
	KindTopology Kind = "topology" // the network's end and server changes
	KindAction   Kind = "action"   // the test's action (crash, partition, ...)
	KindFailure  Kind = "failure"  // a failure, at the instant it was noted
)

// RPC is a call as the network's trace reports it when it completes.
type RPC struct {
	From, To, Method string
	Call             int
	Outcome          string // delivered, request-dropped, reply-dropped, reordered, duplicated, no-route, dead-server, ...
	Detail           string
	Args, Reply      string
}

// Delivered says whether the handler ran and the caller got its reply.
func (r *RPC) Delivered() bool { return r.Outcome == "delivered" || r.Outcome == "reordered" }

// Final is one server's final state.
type Final struct {
	Server string
	State  string
}

var (
	eventLine = regexp.MustCompile(`^\s*(\d+\.\d+)s (\S+)\s+(\S+) {1,}(.*)$`)
	rpcMsg    = regexp.MustCompile(`^(\S*)->(\S+) (\S+) #(\d+) \(end ([^)]*)\) ([a-z-]+)(?:: (.*?))?(?: args=(.*?))?(?: reply=(.*))?$`)
	serverRef = regexp.MustCompile(`\bserver (\S+?)[,:)]?(?:\s|$)`)
)

// ReadFile parses the timeline file at path.
func ReadFile(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	tl, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	tl.Path = path
	return tl, nil
}

// section is where Parse is in the file.
type section int

const (
	inHeader section = iota
	inFailures
	inTimeline
	inPerServer
	inStacks
	inFinal
)

// Parse reads a timeline file.
func Parse(r io.Reader) (*File, error) {
	tl := &File{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	sec := inHeader
	n := 0
	var stack strings.Builder
	for sc.Scan() {
		n++
		line := sc.Text()
		if n == 1 {
			rest, ok := strings.CutPrefix(line, "# labtest timeline of ")
			if !ok {
				return nil, fmt.Errorf("not a labtest timeline file: it must start with %q (labtest writes these under testlogs/ for a failed test)", "# labtest timeline of")
			}
			name, result, _ := strings.Cut(rest, ": ")
			tl.Test, tl.Result = name, result
			continue
		}
		switch {
		case strings.HasPrefix(line, "# failures, in the order noted"):
			sec = inFailures
			continue
		case strings.HasPrefix(line, "# timeline ("):
			sec = inTimeline
			continue
		case strings.HasPrefix(line, "# log of "):
			sec = inPerServer
			continue
		case strings.HasPrefix(line, "# goroutine stacks"), strings.HasPrefix(line, "# the crash report"):
			sec = inStacks
			continue
		case strings.HasPrefix(line, "# final state of the servers"):
			sec = inFinal
			continue
		}
		switch sec {
		case inHeader:
			switch {
			case strings.HasPrefix(line, "# seed: "):
				tl.Seed = strings.TrimPrefix(line, "# seed: ")
			case strings.HasPrefix(line, "# rerun: "):
				tl.Rerun = strings.TrimPrefix(line, "# rerun: ")
			case strings.HasPrefix(line, "# mode: "):
				tl.Mode = strings.TrimPrefix(line, "# mode: ")
			case strings.HasPrefix(line, "# crash: "):
				tl.Crash = strings.TrimPrefix(line, "# crash: ")
			case strings.HasPrefix(line, "# replay check: "):
				tl.Replay = strings.TrimPrefix(line, "# replay check: ")
			case strings.HasPrefix(line, "#   ") && tl.Replay != "":
				tl.Replay += "\n" + strings.TrimPrefix(line, "#   ")
			}
		case inFailures:
			if line == "#" {
				continue
			}
			tl.Failures = append(tl.Failures, line)
		case inTimeline:
			if line == "" {
				continue
			}
			if strings.HasPrefix(line, "(") {
				tl.Notes = append(tl.Notes, line)
				continue
			}
			ev, ok := parseEvent(line, n)
			if !ok {
				// A message with a newline in it continues on the next
				// lines; keep it with its event.
				if len(tl.Events) > 0 {
					tl.Events[len(tl.Events)-1].Msg += "\n" + line
				}
				continue
			}
			tl.Events = append(tl.Events, ev)
		case inStacks:
			if line == "" && stack.Len() > 0 {
				tl.Stacks = append(tl.Stacks, stack.String())
				stack.Reset()
				continue
			}
			stack.WriteString(line + "\n")
		case inFinal:
			if s, ok := strings.CutPrefix(line, "## server "); ok {
				tl.Final = append(tl.Final, Final{Server: strings.TrimSuffix(s, ":")})
			} else if len(tl.Final) > 0 && line != "" {
				f := &tl.Final[len(tl.Final)-1]
				f.State = strings.TrimSpace(f.State + "\n" + line)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if stack.Len() > 0 {
		tl.Stacks = append(tl.Stacks, stack.String())
	}
	if n == 0 {
		return nil, fmt.Errorf("the file is empty")
	}
	tl.classify()
	return tl, nil
}

func parseEvent(line string, n int) (Event, bool) {
	m := eventLine.FindStringSubmatch(line)
	if m == nil {
		return Event{}, false
	}
	secs, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return Event{}, false
	}
	return Event{At: time.Duration(secs*1e6+0.5) * time.Microsecond, Topic: m[2], Who: m[3], Msg: m[4], Line: n}, true
}

// harness are the speakers that are not servers.
var harness = map[string]bool{"test": true, "net": true, "checker": true, "probe": true}

// classify fills each event's Kind, Lane and RPC, and the lanes.
func (tl *File) classify() {
	lanes := map[string]bool{}
	for i := range tl.Events {
		ev := &tl.Events[i]
		switch {
		case ev.Who == "test" && strings.HasPrefix(ev.Msg, "FAIL: "):
			ev.Kind = KindFailure
		case ev.Who == "test":
			ev.Kind = KindAction
			ev.Lane = actionLane(ev.Msg)
		case ev.Who == "net":
			if m := rpcMsg.FindStringSubmatch(ev.Msg); m != nil {
				call, _ := strconv.Atoi(m[4])
				ev.Kind = KindRPC
				ev.RPC = &RPC{From: m[1], To: m[2], Method: m[3], Call: call, Outcome: m[6], Detail: m[7], Args: m[8], Reply: m[9]}
				lanes[ev.RPC.To] = true
			} else {
				ev.Kind = KindTopology
			}
		case harness[ev.Who]:
			ev.Kind = KindLog
			if m := serverRef.FindStringSubmatch(ev.Msg); m != nil {
				ev.Lane = m[1]
			}
		default:
			ev.Kind = KindLog
			ev.Lane = ev.Who
			lanes[ev.Who] = true
		}
		if ev.At > tl.End {
			tl.End = ev.At
		}
	}
	// An RPC sits in its caller's lane when the caller is a server, else
	// (a client's call) in the callee's: clients get no lanes of their own.
	for i := range tl.Events {
		if r := tl.Events[i].RPC; r != nil {
			tl.Events[i].Lane = r.To
			if lanes[r.From] {
				tl.Events[i].Lane = r.From
			}
		}
	}
	for i := range tl.Events {
		if l := tl.Events[i].Lane; l != "" && !lanes[l] {
			tl.Events[i].Lane = "" // a checker's mention of something that is not a lane
		}
	}
	for l := range lanes {
		tl.Servers = append(tl.Servers, l)
	}
	sortServers(tl.Servers)
}

// actionLane is the server a harness action is about ("crash server 2",
// "connect 0"), or "" for one about the whole cluster.
func actionLane(msg string) string {
	for _, p := range []string{"crash server ", "start server ", "connect ", "disconnect "} {
		if rest, ok := strings.CutPrefix(msg, p); ok {
			name, _, _ := strings.Cut(rest, " ")
			return name
		}
	}
	return ""
}

// sortServers orders lane names: numbers numerically, then the rest.
func sortServers(s []string) {
	sort.Slice(s, func(i, j int) bool {
		a, errA := strconv.Atoi(s[i])
		b, errB := strconv.Atoi(s[j])
		switch {
		case errA == nil && errB == nil:
			return a < b
		case errA == nil:
			return true
		case errB == nil:
			return false
		}
		return s[i] < s[j]
	})
}

// Topics lists the topics that occur in the file, in order of first use.
func (tl *File) Topics() []string {
	seen := map[string]bool{}
	var out []string
	for _, ev := range tl.Events {
		if !seen[ev.Topic] {
			seen[ev.Topic] = true
			out = append(out, ev.Topic)
		}
	}
	return out
}
