package porcupine

// Operation is one completed (or abandoned) client operation: its input, when
// it was called, its output and when it returned. Call and Return are
// timestamps in any unit; only their order matters, and an operation may take
// effect at any instant in [Call, Return].
type Operation struct {
	ClientId int // optional, unless you want a visualization; zero-indexed
	Input    any
	Call     int64 // invocation timestamp
	Output   any
	Return   int64 // response timestamp

	// Unknown marks an operation whose outcome was never observed: the client
	// crashed or gave up waiting. It may take effect at any instant after
	// Call, or never; Output and Return are ignored. The checker asks the
	// model for the operation's effect with Step(state, Input, Output) and
	// disregards the verdict, so a model whose next state depends only on the
	// state and the input needs nothing more. Not part of the reference API.
	Unknown bool
}

// EventKind says whether an Event is an invocation or a response.
type EventKind bool

const (
	CallEvent   EventKind = false
	ReturnEvent EventKind = true
)

// Event is one half of an operation in an event history: its call or its
// return, matched by Id. The position of an event in the history is its time.
type Event struct {
	ClientId int // optional, unless you want a visualization; zero-indexed
	Kind     EventKind
	Value    any // the input of a call, the output of a return
	Id       int

	// Unknown, on a call event, marks an operation whose outcome was never
	// observed; it has no return event (see Operation.Unknown). Not part of
	// the reference API.
	Unknown bool
}

// Model is a sequential specification of the system under test.
type Model struct {
	// Partition splits a history into independent sub-histories (for
	// example, one per key) that are checked separately. Optional.
	Partition      func(history []Operation) [][]Operation
	PartitionEvent func(history []Event) [][]Event
	// Init returns the initial state.
	Init func() any
	// Step returns whether output is a valid response to input in state,
	// and the next state.
	Step func(state any, input any, output any) (bool, any)
	// Equal reports whether two states are the same. Optional: == by default.
	Equal func(state1, state2 any) bool
	// Hash returns a hash of a state, consistent with Equal. Optional: with
	// Equal and no Hash the checker hashes states by content, and falls
	// back to comparing them with Equal if that disagrees with Equal.
	Hash func(state any) uint64
	// DescribeOperation and DescribeState render operations and states for
	// the visualization. Optional.
	DescribeOperation func(input any, output any) string
	DescribeState     func(state any) string
}

// NondeterministicModel is a specification whose steps may lead to any of
// several states. ToModel turns it into a Model over sets of states.
type NondeterministicModel struct {
	Partition         func(history []Operation) [][]Operation
	PartitionEvent    func(history []Event) [][]Event
	Init              func() []any
	Step              func(state any, input any, output any) []any
	Equal             func(state1, state2 any) bool
	Hash              func(state any) uint64
	DescribeOperation func(input any, output any) string
	DescribeState     func(state any) string
}

// CheckResult is the verdict of a check.
type CheckResult string

const (
	Unknown CheckResult = "Unknown" // the check gave up (timeout or memory cap); see LinearizationInfo.Unknown
	Ok      CheckResult = "Ok"
	Illegal CheckResult = "Illegal"
)

// Annotation is a labelled band or point in the visualization, on a client's
// row (ClientId) or, with Annotation set, on a row of its own. The test
// harness uses them for partitions, crashes and leader terms.
type Annotation struct {
	ClientId        int
	Tag             string // the row of a non-client annotation
	Start           int64
	End             int64 // End == Start: a point
	Description     string
	Details         string
	Annotation      bool // true: not tied to a client
	TextColor       string
	BackgroundColor string
}

// LinearizationInfo is what a verbose check found, for Visualize: each
// partition's operations and the longest partial linearizations the search
// reached, and any annotations added since.
type LinearizationInfo struct {
	partitions  []partitionInfo
	annotations []Annotation
	unknown     *UnknownReason // set when the verdict is Unknown
	clock       *visClock      // see SetClock; nil for bare numbers
}

// partitionInfo is one partition's part of a LinearizationInfo.
type partitionInfo struct {
	// ops are the partition's operations; elsewhere an operation is named by
	// its index here. Event histories are converted to operations with event
	// positions as timestamps.
	ops []Operation
	// partials are the longest partial linearizations found: each lists
	// operation indices in linearization order, starting from the initial
	// state. Every operation appears in at least one of them, the longest
	// one that contains it. For a linearizable partition partials[0] is a
	// complete linearization (unknown-outcome operations that never took
	// effect are left out).
	partials [][]int
	// illegal is true when the partition has no linearization.
	illegal bool
	// stuck is, for an illegal partition, the index into partials of the
	// longest partial linearization, and next lists the operations that could
	// come next after it in real-time order, none of which is legal there:
	// the point where the history breaks.
	stuck int
	next  []int
	// undecided is true when the search of this partition stopped before a
	// verdict: on a timeout or the memory cap (see UnknownReason), or in a
	// verbose check after another partition was found Illegal and this one
	// had used its grace (Options.VerboseGrace). partials are then the
	// longest partial linearizations found so far, not a verdict.
	undecided bool
}

// UnknownReason says why a check returned Unknown and how far it got.
type UnknownReason struct {
	Cause    string // "timeout" or "memory"
	Detail   string // e.g. "timed out after 10s", "cache reached 1.0 GiB"
	Explored int64  // search states visited
	// LongestPrefix is the largest number of operations linearized in one
	// partition before the search stopped.
	LongestPrefix int
	Partition     int // the partition that was being searched
}
