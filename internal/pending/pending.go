// Package pending is the bookkeeping of a service on Raft whose RPC
// handlers answer only once their operation has come out of the log: the
// handlers waiting, and the rules by which each gets its result or gives
// up, which kvraft, shardctrler and shardkv share.
//
// A handler adds its operation to the Table before calling Start (the
// entry may be applied before Start returns), tells the Table where Start
// put it, and Waits. The applier reports every applied operation; a
// handler is answered when its own operation (the same clerk and sequence
// number, at any index: an earlier attempt's entry counts too) is
// applied, and gives up, with the Table's lost result, as soon as it is
// clear that its operation may never be: another operation was applied at
// its index, or its server stopped leading or moved to another term since
// Start (LeadershipIs, which the service's watcher calls), or a snapshot
// covering its index replaced the state, or its wait timed out.
//
// A Table has no lock of its own: every method but Op.Wait is called with
// the service's lock held, the one that guards what the service applied,
// so that "applied through index" and "answered" change together.
package pending

import (
	"slices"
	"sync"
	"time"
)

// Propose is a handler's whole wait for one operation: it adds the
// operation of clerk numbered seq to t (before Start, since the entry may
// be applied before Start returns), calls start (the Raft's Start of the
// operation), records where it went, and waits for the result. It gives
// up with t's lost result after timeout or once stop is closed. mu is the
// service's lock, held for every call to t and to applied, which returns
// the index of the latest entry applied.
func Propose[R any](mu sync.Locker, t *Table[R], clerk, seq int64, start func() (index, term int, isLeader bool),
	applied func() int, timeout time.Duration, stop <-chan struct{}) R {
	mu.Lock()
	p := t.Add(clerk, seq)
	mu.Unlock()

	index, term, isLeader := start()

	mu.Lock()
	t.Started(p, index, term, isLeader, applied())
	mu.Unlock()

	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case r := <-p.Done():
		return r
	case <-timer.C:
	case <-stop:
	}
	mu.Lock()
	t.Remove(p)
	mu.Unlock()
	return t.lost
}

// Op is a handler's operation waiting for its result.
type Op[R any] struct {
	Clerk, Seq int64
	// Index and Term are where Start put the operation; 0 until Started.
	Index, Term int
	finished    bool
	done        chan R // buffered(1): gets the one result
}

// Table holds the operations waiting.
type Table[R any] struct {
	ops  []*Op[R]
	lost R
}

// NewTable returns an empty table whose operations that give up get lost
// (the service's "wrong leader, retry elsewhere").
func NewTable[R any](lost R) *Table[R] { return &Table[R]{lost: lost} }

// Add registers the operation of clerk numbered seq, before Start.
func (t *Table[R]) Add(clerk, seq int64) *Op[R] {
	op := &Op[R]{Clerk: clerk, Seq: seq, done: make(chan R, 1)}
	t.ops = append(t.ops, op)
	return op
}

// Started records what Start returned for op, with the index of the
// latest entry applied. An op not started as leader gives up, and so does
// one whose index was applied already: it was another operation, or op
// would be finished.
func (t *Table[R]) Started(op *Op[R], index, term int, isLeader bool, applied int) {
	switch {
	case op.finished:
	case !isLeader, applied >= index:
		t.finish(op, t.lost)
	default:
		op.Index, op.Term = index, term
	}
}

// Applied reports the operation of clerk numbered seq applied at index,
// with result r. Its own op, if one waits, gets r, and is returned when it
// was applied at the index Start gave it (its server led its term and got
// an entry of the term committed). Ops that Start put at index but that
// are another operation give up and are returned in lost, for the
// service to log.
func (t *Table[R]) Applied(index int, clerk, seq int64, r R) (own *Op[R], lost []*Op[R]) {
	t.finishWhere(func(op *Op[R]) (R, bool) {
		switch {
		case op.Clerk == clerk && op.Seq == seq:
			if op.Index == index {
				own = op
			}
			return r, true
		case op.Index == index:
			lost = append(lost, op)
			return t.lost, true
		}
		return r, false
	})
	return own, lost
}

// SnapshotInstalled makes the ops whose entries a snapshot through index
// covers give up: their results are not in the snapshot (the clerk's retry
// finds a change in the service's table of applied operations).
func (t *Table[R]) SnapshotInstalled(index int) {
	t.finishWhere(func(op *Op[R]) (R, bool) { return t.lost, op.Index != 0 && op.Index <= index })
}

// LeadershipIs makes the started ops give up when their server no longer
// leads, or leads another term than the one Start gave: their entries may
// be overwritten, and the new leader may already hold the clerk's retry.
func (t *Table[R]) LeadershipIs(term int, isLeader bool) {
	t.finishWhere(func(op *Op[R]) (R, bool) { return t.lost, op.Index != 0 && (!isLeader || op.Term != term) })
}

// Len returns the number of ops waiting.
func (t *Table[R]) Len() int { return len(t.ops) }

// Remove forgets op, which gave up waiting.
func (t *Table[R]) Remove(op *Op[R]) {
	t.ops = slices.DeleteFunc(t.ops, func(q *Op[R]) bool { return q == op })
}

func (t *Table[R]) finish(op *Op[R], r R) {
	t.finishWhere(func(q *Op[R]) (R, bool) { return r, q == op })
}

// finishWhere gives each op for which result says so its result, and
// forgets it.
func (t *Table[R]) finishWhere(result func(op *Op[R]) (R, bool)) {
	t.ops = slices.DeleteFunc(t.ops, func(op *Op[R]) bool {
		r, ok := result(op)
		if ok {
			op.finished = true
			op.done <- r
		}
		return ok
	})
}

// Done returns the channel on which op gets its result. Called without
// the service's lock; an op that stops waiting before it gets one is
// Removed.
func (op *Op[R]) Done() <-chan R { return op.done }

// Watch is a service's watcher: every interval, while ops wait, it reads
// the Raft's state (getState, the classic GetState, called without mu)
// and reports it to t (LeadershipIs, with mu held), until stop is closed.
// It is what answers the handlers of a leader cut off in a minority or
// deposed, which the applier alone would leave waiting.
func Watch[R any](mu sync.Locker, t *Table[R], getState func() (term int, isLeader bool), interval time.Duration, stop <-chan struct{}) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		mu.Lock()
		idle := t.Len() == 0
		mu.Unlock()
		if idle {
			continue
		}
		term, isLeader := getState()
		mu.Lock()
		t.LeadershipIs(term, isLeader)
		mu.Unlock()
	}
}
