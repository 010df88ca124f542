package kvtest

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// appendValue is what client appends as its n-th value. Values are unique
// across a workload, which keeps the checker's search small (equal values
// would make many orders look alike), and self-delimiting, so that a key's
// final value splits back into the appends it is made of.
func appendValue(client, n int) string { return fmt.Sprintf("x %d %d y", client, n) }

// splitAppends splits a value made of appendValue pieces into them, or
// says where it stops making sense.
func splitAppends(v string) ([]string, error) {
	var out []string
	for at := 0; at < len(v); {
		n := appendedLen(v[at:])
		if n == 0 {
			return out, fmt.Errorf("unexpected text %q at byte %d, after %d well-formed values", excerpt(v[at:]), at, len(out))
		}
		out = append(out, v[at:at+n])
		at += n
	}
	return out, nil
}

// appendedLen returns the length of the appendValue at the start of s, or
// 0 if s does not start with one.
func appendedLen(s string) int {
	if !strings.HasPrefix(s, "x ") {
		return 0
	}
	i := 2
	for field := 0; field < 2; field++ {
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == i || j >= len(s) || s[j] != ' ' {
			return 0
		}
		i = j + 1
	}
	if i >= len(s) || s[i] != 'y' {
		return 0
	}
	return i + 1
}

func excerpt(s string) string {
	const n = 40
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// appendRecord is one Append a client made: returned says whether its
// clerk returned, so that the value must be there, or is still pending (an
// abandoned client), so that it may be there once or not at all.
type appendRecord struct {
	client   int
	value    string
	returned bool
}

// ledger remembers, per key, the Appends made to it since it was last
// reset, in the order they were called; each client's appear in its own
// order because a client makes one call at a time.
type ledger struct {
	mu   sync.Mutex
	keys map[string][]*appendRecord
}

func newLedger() *ledger { return &ledger{keys: map[string][]*appendRecord{}} }

// calling notes an Append about to be made; returned marks it done.
func (l *ledger) calling(key string, client int, value string) *appendRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := &appendRecord{client: client, value: value}
	l.keys[key] = append(l.keys[key], r)
	return r
}

func (l *ledger) returned(r *appendRecord) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r.returned = true
}

// reset forgets the Appends a Put of "" to key has overwritten; pending
// ones may still land after it, so they stay.
func (l *ledger) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var keep []*appendRecord
	for _, r := range l.keys[key] {
		if !r.returned {
			keep = append(keep, r)
		}
	}
	l.keys[key] = keep
}

func (l *ledger) records(key string) []appendRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]appendRecord, len(l.keys[key]))
	for i, r := range l.keys[key] {
		out[i] = *r
	}
	return out
}

// checkAppends says what is wrong with got as the value of key, to which
// exactly the Appends in recs were made since it was last set to "": every
// returned value must be in it exactly once, a pending one at most once,
// nothing else, and each client's values in the order it appended them.
func checkAppends(key, got string, recs []appendRecord) error {
	pieces, err := splitAppends(got)
	if err != nil {
		return fmt.Errorf("key %q: its value (%d bytes) is not made of appended values: %v", key, len(got), err)
	}
	byValue := map[string]appendRecord{}
	for _, r := range recs {
		byValue[r.value] = r
	}
	pos := map[string]int{}
	for i, p := range pieces {
		if j, seen := pos[p]; seen {
			return fmt.Errorf("key %q: value %q appears twice, at positions %d and %d of %d: an Append took effect twice (a retried request applied again?)",
				key, p, j, i, len(pieces))
		}
		pos[p] = i
		if _, ok := byValue[p]; !ok {
			return fmt.Errorf("key %q: value %q, at position %d, was never appended to it since it was last reset", key, p, i)
		}
	}
	lastAt := map[int]int{} // client -> position of its latest value found so far
	lastValue := map[int]string{}
	for _, r := range recs {
		at, ok := pos[r.value]
		if !ok {
			if r.returned {
				return fmt.Errorf("key %q: value %q, appended by client %d whose Append returned, is missing (the value has %d pieces): "+
					"an acknowledged Append was lost, or a Get read a stale value", key, r.value, r.client, len(pieces))
			}
			continue
		}
		if prev, ok := lastAt[r.client]; ok && at < prev {
			return fmt.Errorf("key %q: client %d's values are out of order: %q (position %d) comes before %q (position %d), which the client appended first",
				key, r.client, r.value, at, lastValue[r.client], prev)
		}
		lastAt[r.client], lastValue[r.client] = at, r.value
	}
	return nil
}

// keyOf is the key of client in OneKeyPerClient mode.
func keyOf(client int) string { return "k" + strconv.Itoa(client) }

// callSpan is when an Append was called and when it returned, in a
// History's time base.
type callSpan struct{ call, ret int64 }

// checkRealTimeOrder says whether pieces, the values of a key in order,
// respect real time: a value whose Append returned before another's was
// called must come first. Together with checkAppends this decides whether
// Appends with no reads among them, and one read after them all, are
// linearizable, in one pass instead of a search through every order the
// overlapping calls allow.
func checkRealTimeOrder(key string, pieces []string, spans map[string]callSpan) error {
	latest := -1 // the piece so far whose Append was called last
	for i, p := range pieces {
		s, ok := spans[p]
		if !ok {
			continue
		}
		if latest >= 0 && s.ret < spans[pieces[latest]].call {
			return fmt.Errorf("key %q: value %q (position %d) comes after %q (position %d), but its Append returned before that one was called: "+
				"the Appends were applied out of real-time order", key, p, i, pieces[latest], latest)
		}
		if latest < 0 || s.call > spans[pieces[latest]].call {
			latest = i
		}
	}
	return nil
}
