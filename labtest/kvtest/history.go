package kvtest

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"raftlab/labtest/cluster"
	"raftlab/porcupine"
	"raftlab/porcupine/models"
)

// History is the record of every operation made through its recorded
// clerks, for the linearizability check. Times are virtual nanoseconds
// since NewHistory, the base the world's annotations are drawn on too.
type History struct {
	w      *cluster.World
	origin time.Time
	// into is how far into the test the history began: the picture tells
	// times as the timeline does, in the test's seconds
	into time.Duration

	mu      sync.Mutex
	last    int64 // the latest timestamp handed out
	ops     []porcupine.Operation
	clients int // one more than the largest client id recorded
}

// NewHistory starts an empty history of w.
func NewHistory(w *cluster.World) *History {
	return &History{w: w, origin: time.Now(), into: w.H.Elapsed()}
}

// Record returns a Clerk that makes ck's calls as client clientID and
// records each as an operation. Give every clerk its own clientID: it is
// the operation's row in the picture of a failed check.
func (h *History) Record(clientID int, ck Clerk) Clerk {
	h.mu.Lock()
	h.clients = max(h.clients, clientID+1)
	h.mu.Unlock()
	return &recordedClerk{h: h, client: clientID, ck: ck}
}

// newClient returns a client id no clerk of the history has had, so that
// workloads sharing a history keep to rows, and keys, of their own.
func (h *History) newClient() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.clients++
	return h.clients - 1
}

// Len returns how many operations were recorded, pending ones included.
func (h *History) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.ops)
}

// call records the start of an operation and returns its index. Until ret,
// the operation's outcome is unknown, and so it stays in any snapshot taken
// meanwhile: a clerk that never returned may or may not have had its
// effect, and the checker must be free to assume either.
func (h *History) call(client int, in models.KvInput) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ops = append(h.ops, porcupine.Operation{ClientId: client, Input: in, Call: h.stampLocked(), Unknown: true})
	return len(h.ops) - 1
}

// ret records the end of operation i.
func (h *History) ret(i int, out models.KvOutput) {
	h.mu.Lock()
	defer h.mu.Unlock()
	op := &h.ops[i]
	op.Output, op.Return, op.Unknown = out, h.stampLocked(), false
}

// stampLocked returns the current virtual time, made later than every
// earlier stamp. Virtual time stands still while goroutines run, so a clerk
// that returns and calls again does so at the same instant; the checker
// takes operations that touch at an instant as concurrent, and would then
// let a read linearize before the write its own client had just finished.
// Strictly increasing stamps keep the order in which events were recorded,
// which is an order they really happened in, at the cost of a few
// nanoseconds of drift from the clock.
func (h *History) stampLocked() int64 {
	t := time.Since(h.origin).Nanoseconds()
	if t <= h.last {
		t = h.last + 1
	}
	h.last = t
	return t
}

// operations returns a copy of the operations recorded so far; those still
// in progress are unknown-outcome operations.
func (h *History) operations() []porcupine.Operation {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.ops)
}

// appendSpans returns the call and return times of the Appends to key
// whose clerks returned, by value.
func (h *History) appendSpans(key string) map[string]callSpan {
	out := map[string]callSpan{}
	for _, op := range h.operations() {
		in := op.Input.(models.KvInput)
		if in.Op == models.KvAppend && in.Key == key && !op.Unknown {
			out[in.Value] = callSpan{call: op.Call, ret: op.Return}
		}
	}
	return out
}

// annotations converts the world's annotations to the history's time base.
// Those that started before the history are clamped to its start: a server
// that went down earlier is still down when the first operation begins.
//
// The picture gives each tag a row, in the order the tags first appear;
// the annotations come out sorted so that the rows read the test's
// actions, the leaders, the partitions, then the servers in numeric order
// (server 2 before server 10), each server labelled as one: a bare "1"
// read as client 1.
func (h *History) annotations() []porcupine.Annotation {
	anns := h.w.Annotations()
	slices.SortStableFunc(anns, func(a, b cluster.Annotation) int {
		return compareRows(rowOf(a), rowOf(b))
	})
	var out []porcupine.Annotation
	for _, a := range anns {
		start := max(a.Start.Sub(h.origin).Nanoseconds(), 0)
		end := start
		if !a.End.IsZero() {
			end = max(a.End.Sub(h.origin).Nanoseconds(), start)
		}
		out = append(out, porcupine.Annotation{
			Annotation:      true,
			Tag:             rowOf(a).label,
			Start:           start,
			End:             end,
			Description:     a.Desc,
			BackgroundColor: annotationColor(a),
		})
	}
	return out
}

// annotationColor tells faults from the test's own steps at a glance.
func annotationColor(a cluster.Annotation) string {
	switch a.Kind {
	case cluster.Partitioned:
		return "#ffe0b2"
	case cluster.Leading:
		return "#c8e6c9"
	case cluster.Down:
		return "#ffcdd2"
	case cluster.Disconnected:
		return "#fff9c4"
	}
	return ""
}

// row is where an annotation goes in the picture: its rank among the kinds
// of rows, and its label.
type row struct {
	rank  int
	label string
}

func rowOf(a cluster.Annotation) row {
	switch a.Kind {
	case cluster.Action:
		return row{0, a.Tag}
	case cluster.Leading:
		return row{1, a.Tag}
	case cluster.Partitioned:
		return row{2, a.Tag}
	case cluster.Down, cluster.Disconnected:
		if _, err := strconv.Atoi(a.Tag); err == nil {
			return row{3, "server " + a.Tag}
		}
		return row{3, a.Tag}
	}
	return row{4, a.Tag}
}

// compareRows orders rows by rank, then by label with runs of digits
// compared as numbers.
func compareRows(a, b row) int {
	if c := cmp.Compare(a.rank, b.rank); c != 0 {
		return c
	}
	return naturalCompare(a.label, b.label)
}

// naturalCompare compares strings with each run of digits taken as a
// number: "server 2" before "server 10", "s100-1" before "s101-0".
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		da, db := digitsPrefix(a), digitsPrefix(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if c := cmp.Compare(len(na), len(nb)); c != 0 {
				return c
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return cmp.Compare(a[0], b[0])
		}
		a, b = a[1:], b[1:]
	}
	return cmp.Compare(len(a), len(b))
}

func digitsPrefix(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}
