// Package porcupine checks whether a concurrent history is linearizable with
// respect to a sequential model. Its API mirrors
// github.com/anishathalye/porcupine v1, so code written for that package
// works by changing the import path; the search underneath is a faster
// implementation of the same algorithm (Wing & Gong's search with Lowe's
// just-in-time linearization and memoization).
//
// # Use
//
// Describe the system with a Model (Init, Step, and optionally Partition,
// Equal, Hash and the Describe functions), record a history of Operations
// (call and return timestamps) or Events (call and return events matched by
// Id), and check it:
//
//	ok := porcupine.CheckOperations(model, history)
//	res := porcupine.CheckEventsTimeout(model, events, 10*time.Second)
//	res, info := porcupine.CheckOperationsVerbose(model, history, 0)
//	porcupine.VisualizePath(model, info, "history.html")
//
// Package models provides a key-value model and a register.
//
// Partition splits a history into independent parts (one per key, say);
// they are searched in parallel and, unless the check is verbose, the first
// violation found ends the check. Without Equal, states are compared with ==
// and hashed by the package. With Equal but no Hash, the package hashes
// states by their content (maps in any order, pointers by what they point
// to), which agrees with any Equal that compares content; if it finds two
// states Equal calls equal but that hash apart (an Equal that ignores
// order or fields), it stops hashing and compares every state reached with
// a linearized set against the new one, as the reference checker does.
// Hash, consistent with Equal, is then the way to a fast search.
//
// # Unknown outcomes
//
// An operation whose outcome was never observed (the client crashed or gave
// up) is marked Operation.Unknown, or Event.Unknown on its call event, with
// no return. It may take effect at any instant after its call, or never; the
// checker asks Step for its effect and ignores Step's verdict on its output.
// This is more exact than the usual workaround (a return at the end of the
// history with an output the model accepts in any state, which forces the
// operation to take effect), and cheaper to search: unknown-outcome
// operations with equal input and output are interchangeable and tried once
// per configuration, and taking one is pruned when the state it leads to
// was already reached without it. Of known operations with equal input and
// output, only the one that returns first is tried at a configuration
// (returns after every call of the partition, the workaround's shape, count
// as simultaneous), which prunes much of the workaround's search.
//
// # Options, errors and Unknown verdicts
//
// Check and CheckEventHistory take Options (Timeout, MemoryLimit, Verbose,
// Parallelism, VerboseGrace) and return a Result, plus an error wrapping
// ErrInvalidModel or ErrInvalidHistory for input that has no meaningful
// verdict: a nil Init or Step, a return before its call, a duplicate call
// id, a second return, a return with no call, a call with no return that is
// not marked Unknown. A panic in one of the model's functions (Partition,
// PartitionEvent, Init, Step, Equal, Hash) stops the check, whichever
// goroutine ran it, and comes back as a *ModelPanic (wrapping
// ErrModelPanic) naming the function, the partition, the operation being
// stepped, and the stack. The reference-shaped functions cannot return
// errors: all of them panic with a ModelPanic on the calling goroutine;
// for invalid input, CheckOperations and CheckEvents panic with the error,
// the others return Unknown with an UnknownReason of Cause "invalid".
//
// A check returns Unknown when it hits the timeout or the memory cap
// (MemoryLimit, DefaultMemoryLimit by default: the estimated size of the
// search's caches); it never runs out of memory on its own account. The
// UnknownReason (Result.Unknown, or LinearizationInfo.Unknown) says which,
// and how far the search got. The bool-returning CheckOperations and
// CheckEvents have no Unknown to give, so, like the reference, they search
// without a memory cap: false always means not linearizable. Use Check
// with a MemoryLimit where a huge search must not take all the memory.
//
// A verbose check searches every partition, so that the visualization can
// show each; once the verdict is known to be Illegal, a partition whose
// search has taken more than VerboseGrace steps is left undecided rather
// than searched for an exponentially long time. Partial linearizations are
// kept only where they are the longest found for some operation, so memory
// stays proportional to the search's cache, not to the paths it tried.
//
// # Performance
//
// Partitions are searched in parallel (Options.Parallelism); a worker takes
// turns between several, so that a violation quick to find in any of them
// ends the check soon. Each partition is searched by two depth-first heads
// taking turns over one memo, one trying the latest-called candidate first,
// the other the earliest: which order finds a linearization sooner varies by
// orders of magnitude between histories, and a configuration exhausted by
// either is pruned for both. Earliest call first, the reference's order,
// runs alone for the first 4 steps per operation (most searches of long
// histories end by then), then gets eight ninths of the steps up to 32
// steps per operation, after which they go to the order the history's
// returns follow (latest call first when some calls stay pending while
// later ones come and go); a head that has linearized a quarter of the
// operations more than the other gets them at any time.
//
// Calls made at the same instant are tried in the order the history lists
// them. Which of them to try first is a guess either way, and on a history
// of coarse timestamps it can decide the search time: by 15x on a one-key
// history of 28 operations, in either direction depending on the listing
// (the reference, whose unstable sort leaves such calls in no set order, is
// just as lucky or unlucky). Timestamps fine enough to set calls apart
// avoid the question.
//
// The memo of visited configurations is an open-addressing table keyed by
// an incremental (Zobrist) hash of the linearized set combined with the
// state's hash, with the sets packed in chunks; states are interned, so the
// memo compares integers, and Step results are memoized per (state, operation)
// when states repeat, as in a register. Model.Hash should be cheap: it is
// called once for every new state. A finished search's small tables go to
// the next search, in the same check or a later one.
package porcupine
