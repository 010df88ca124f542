package labgob

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
)

// Kind says what is wrong with a type or a value handed to labgob.
type Kind int

const (
	// UnexportedField: gob silently skips lower-case fields, so the
	// receiver always sees their zero value.
	UnexportedField Kind = iota + 1
	// UnsentField: gob silently skips chan and func fields.
	UnsentField
	// NonZeroDestination: the value decoded into already held non-zero
	// data; gob leaves a field alone when the sent value is zero, so the
	// stale data survives the decode.
	NonZeroDestination
	// RegistrationConflict: Register or RegisterName was refused by gob
	// (two types under one name, or one type under two names).
	RegistrationConflict
)

func (k Kind) String() string {
	switch k {
	case UnexportedField:
		return "unexported field"
	case UnsentField:
		return "unsendable field"
	case NonZeroDestination:
		return "non-zero destination"
	case RegistrationConflict:
		return "registration conflict"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Finding is one problem labgob detected.
type Finding struct {
	Type    string // the type handed to labgob, e.g. "raft.AppendEntriesArgs"
	Path    string // the offending field, e.g. "raft.AppendEntriesArgs.Entries[].term"
	Kind    Kind
	Message string // what breaks and how to fix it
}

func (f Finding) String() string { return f.Message }

// Error lets a Finding travel as an error (labrpc records them so).
func (f Finding) Error() string { return f.Message }

var (
	// printed remembers which findings were already written, so that a bad
	// type used in every RPC prints once and not thousands of times.
	printed sync.Map // findingKey -> struct{}

	outputMu sync.Mutex
	output   io.Writer = os.Stderr

	watchMu   sync.Mutex
	watchers  = map[*watcher]struct{}{}
	nWatchers atomic.Int32
)

type findingKey struct {
	typ, path string
	kind      Kind
}

type watcher struct {
	found []Finding
}

// SetOutput redirects the once-per-type messages (os.Stderr by default) and
// returns the previous writer. A nil w silences them.
func SetOutput(w io.Writer) io.Writer {
	outputMu.Lock()
	defer outputMu.Unlock()
	old := output
	output = w
	return old
}

// Watch subscribes to findings. Every finding that occurs until stop is
// called is delivered to this subscription, even if it was already printed
// or delivered before, and even if it happens in another goroutine. stop
// ends the subscription and returns the findings in the order they
// occurred; calling it again returns nil. Subscriptions are process-wide,
// so tests that run in parallel see each other's findings.
func Watch() (stop func() []Finding) {
	w := &watcher{}
	watchMu.Lock()
	watchers[w] = struct{}{}
	nWatchers.Add(1)
	watchMu.Unlock()
	var once sync.Once
	return func() []Finding {
		var out []Finding
		once.Do(func() {
			watchMu.Lock()
			delete(watchers, w)
			nWatchers.Add(-1)
			out = w.found
			w.found = nil
			watchMu.Unlock()
		})
		return out
	}
}

// report prints f the first time it is seen and hands it to every watcher.
func report(f Finding) {
	if _, dup := printed.LoadOrStore(findingKey{f.Type, f.Path, f.Kind}, struct{}{}); !dup {
		outputMu.Lock()
		if output != nil {
			fmt.Fprintln(output, f.Message)
		}
		outputMu.Unlock()
	}
	if nWatchers.Load() == 0 {
		return
	}
	watchMu.Lock()
	for w := range watchers {
		w.found = append(w.found, f)
	}
	watchMu.Unlock()
}
