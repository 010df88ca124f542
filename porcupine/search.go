package porcupine

import (
	"cmp"
	"math"
	"reflect"
	"slices"
)

// search is the depth-first just-in-time linearization search (Wing & Gong,
// with Lowe's memoization) over one partition. The history is a doubly linked
// list of call and return entries in time order. Linearizing an operation
// lifts its call and return out of the list; meeting a return at the front
// means that operation should have been linearized already, so the search
// backtracks. A configuration is the set of linearized operations plus the
// model state; reaching one twice cannot lead anywhere new, so the cache
// prunes it.
type search struct {
	m    *compiledModel
	ctl  *control
	part int

	in, out []any
	unknown []bool
	nKnown  int

	// the list: node 0 is the head sentinel, node k > 0 is entry k-1 of
	// the time-sorted entries; the list is circular through node 0.
	next, prev []int32
	nodeOp     []int32 // node -> op
	match      []int32 // call node -> return node, 0 for none; return node -> -1
	callNode   []int32 // op -> call node

	bits      bitset
	kbits     bitset // bits without the unknown-outcome operations
	unknownIn int    // unknown-outcome operations in bits
	states    *stateTable
	cache     *cache
	trans     *transitions
	dense     []int32 // transitions from the first denseStates states; -2 unknown
	stack     []frame
	cands     []int32 // candidates of every level, stack-like
	class     []int32 // per op: class of interchangeable unknown ops, or -1
	classSeen []uint32
	stamp     uint32

	explored int64
	maxDepth int
	reported int64 // bytes already added to ctl.mem

	track *tracker // nil unless verbose
}

type frame struct {
	node  int32 // call node of the operation linearized here
	state int32 // state handle before it
	cand  int32 // index of node in the candidate buffer
	start int32 // where this level's candidates start in the buffer
}

// fillCands appends the current configuration's candidates (the calls
// before the first pending return, in call order) to buf. (Trying them in another order was measured: earliest
// return first, or state-preserving steps first, explore as many or far more
// configurations on the jepsen and kv histories; so did putting
// unknown-outcome operations last, on generated histories.)
//
// Unknown-outcome operations with equal input and output are
// interchangeable once called: neither has a return to respect, so
// whatever follows taking one could follow taking the other. Only the
// first pending one of each such class is a candidate.
func (s *search) fillCands(buf []int32) []int32 {
	s.stamp++
	for node := s.next[0]; s.match[node] >= 0; node = s.next[node] {
		if c := s.class[s.nodeOp[node]]; c >= 0 {
			if s.classSeen[c] == s.stamp {
				continue
			}
			s.classSeen[c] = s.stamp
		}
		buf = append(buf, node)
	}
	return buf
}

// unknownClasses numbers the classes of interchangeable unknown-outcome
// operations (equal, comparable input and output); -1 for the others.
func unknownClasses(ops []Operation) ([]int32, int) {
	class := make([]int32, len(ops))
	type key struct{ in, out any }
	ids := map[key]int32{}
	for i, o := range ops {
		class[i] = -1
		if !o.Unknown || !comparable(o.Input) || !comparable(o.Output) {
			continue
		}
		k := key{o.Input, o.Output}
		id, ok := ids[k]
		if !ok {
			id = int32(len(ids))
			ids[k] = id
		}
		class[i] = id
	}
	return class, len(ids)
}

func comparable(v any) bool {
	return v == nil || reflect.TypeOf(v).Comparable() && !hasInterfaceField(reflect.TypeOf(v))
}

// hasInterfaceField reports whether == on a value of type t could still
// panic: it compares the dynamic values of interface fields.
func hasInterfaceField(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Interface:
		return true
	case reflect.Struct:
		for i := range t.NumField() {
			if hasInterfaceField(t.Field(i).Type) {
				return true
			}
		}
	case reflect.Array:
		return hasInterfaceField(t.Elem())
	}
	return false
}

// denseStates is how many states get a directly indexed transition table.
const denseStates = 64

// stepMemo is step through the transition memo while it is on.
func (s *search) stepMemo(cur, op int32) (int32, bool) {
	if int(cur) < denseStates && s.states.interns {
		// Few states (a register): a direct-indexed table, no hashing.
		if s.dense == nil {
			s.dense = make([]int32, denseStates*len(s.in))
			for i := range s.dense {
				s.dense[i] = -2
			}
		}
		k := int(cur)*len(s.in) + int(op)
		if next := s.dense[k]; next != -2 {
			return next, false
		}
		id, fresh := s.step(cur, op)
		s.dense[k] = id
		return id, fresh
	}
	if tr := s.trans; !tr.off {
		next, slot, found := tr.get(cur, op)
		if found {
			return next, false
		}
		id, fresh := s.step(cur, op)
		if !tr.off {
			tr.put(slot, cur, op, id)
		}
		return id, fresh
	}
	return s.step(cur, op)
}

type searchOutcome struct {
	verdict  CheckResult
	cause    stopCause // why an Unknown verdict stopped
	explored int64
	longest  int
	info     partitionInfo
}

const maxOps = math.MaxInt32 / 2

func newSearch(m *compiledModel, ctl *control, part int, ops []Operation, verbose, intern bool) *search {
	n := len(ops)
	s := &search{m: m, ctl: ctl, part: part}
	s.in = make([]any, n)
	s.out = make([]any, n)
	s.unknown = make([]bool, n)
	type entry struct {
		t   int64
		ret bool
		op  int32
	}
	entries := make([]entry, 0, 2*n)
	for i, o := range ops {
		s.in[i], s.out[i], s.unknown[i] = o.Input, o.Output, o.Unknown
		entries = append(entries, entry{o.Call, false, int32(i)})
		if !o.Unknown {
			s.nKnown++
			entries = append(entries, entry{o.Return, true, int32(i)})
		}
	}
	// Calls sort before returns at the same instant: intervals are closed,
	// so an operation called when another returns overlaps it.
	slices.SortFunc(entries, func(a, b entry) int {
		if c := cmp.Compare(a.t, b.t); c != 0 {
			return c
		}
		if a.ret != b.ret {
			if a.ret {
				return 1
			}
			return -1
		}
		return cmp.Compare(a.op, b.op)
	})
	k := len(entries) + 1
	s.next = make([]int32, k)
	s.prev = make([]int32, k)
	s.nodeOp = make([]int32, k)
	s.match = make([]int32, k)
	s.callNode = make([]int32, n)
	var nclass int
	s.class, nclass = unknownClasses(ops)
	s.classSeen = make([]uint32, nclass)
	for i := 0; i < k; i++ {
		s.next[i] = int32((i + 1) % k)
		s.prev[i] = int32((i + k - 1) % k)
	}
	s.match[0] = -1 // the head stops the candidate scan of an empty list
	for j, e := range entries {
		node := int32(j + 1)
		s.nodeOp[node] = e.op
		if e.ret {
			s.match[node] = -1
			s.match[s.callNode[e.op]] = node
		} else {
			s.callNode[e.op] = node
		}
	}
	s.bits = newBitset(n, zobristKeys(n))
	s.states = newStateTable(m, intern)
	s.cache = newCache(n, len(s.bits.words), s.states)
	s.trans = newTransitions(s.states.interns)
	if verbose {
		s.track = newTracker(n)
	}
	return s
}

func (s *search) lift(call int32) {
	s.next[s.prev[call]] = s.next[call]
	s.prev[s.next[call]] = s.prev[call]
	if r := s.match[call]; r > 0 {
		s.next[s.prev[r]] = s.next[r]
		s.prev[s.next[r]] = s.prev[r]
	}
}

func (s *search) unlift(call int32) {
	if r := s.match[call]; r > 0 {
		s.next[s.prev[r]] = r
		s.prev[s.next[r]] = r
	}
	s.next[s.prev[call]] = call
	s.prev[s.next[call]] = call
}

// step applies op to state cur and returns the next state's handle, or -1
// when the model rejects it. An unknown-outcome op's verdict is ignored: its
// output was never observed, so only its effect matters.
func (s *search) step(cur, op int32) (int32, bool) {
	prev := s.states.get(cur)
	ok, next := s.m.step(prev, s.in[op], s.out[op])
	if !ok && !s.unknown[op] {
		return -1, false
	}
	if s.states.interns && sameObject(prev, next) {
		// A read handed the state back: skip hashing it again, which for
		// a long string costs far more than the step.
		return cur, false
	}
	return s.states.intern(next)
}

const pollEvery = 1024

// run searches for a linearization and returns Ok, Illegal, or Unknown when
// stopped from outside (timeout, memory cap, or another partition's
// violation).
//
// The candidates of a configuration are the calls before the first pending
// return. They are tried in order of their return (earliest deadline first,
// unknown-outcome operations last) rather than of their call: an operation
// that stays open for long, typically one that timed out, is then
// linearized as late as possible instead of first at every level, which
// spares most backtracking on linearizable histories. Candidate lists of all
// levels share one stack-like buffer.
func (s *search) run() searchOutcome {
	cur, _ := s.states.intern(s.m.init())
	s.remember(cur, true)
	knownLeft := s.nKnown
	cands := s.fillCands(s.cands[:0])
	levelStart := 0
	i := 0
	grew := false
	poll := pollEvery - 1 // poll at once: a tiny memory cap must stop even a tiny search
	verdict := Ok
	var cause stopCause
	for knownLeft > 0 {
		if poll++; poll == pollEvery {
			poll = 0
			if cause = s.poll(); cause != stopNone {
				verdict = Unknown
				break
			}
		}
		if i < len(cands) {
			node := cands[i]
			op := s.nodeOp[node]
			s.explored++
			id, fresh := s.stepMemo(cur, op)
			if id >= 0 && s.unknown[op] && !fresh && s.cache.contains(&s.bits, id) {
				// An unknown-outcome op may also never take effect, so
				// whatever can follow (S+op, s) can follow (S, s) as well:
				// if that was reached, taking op here leads nowhere new.
				// (Dropping every unknown-outcome op of S in this test, not
				// just op, was measured: it explores more, not less.)
				id = -1
			}
			if id >= 0 {
				s.take(op)
				if s.remember(id, fresh && s.states.interns) {
					s.stack = append(s.stack, frame{node: node, state: cur, cand: int32(i), start: int32(levelStart)})
					cur = id
					s.lift(node)
					if !s.unknown[op] {
						knownLeft--
					}
					if s.track != nil {
						s.track.pushed(s.stack, s.nodeOp)
					}
					grew = true
					levelStart = len(cands)
					cands = s.fillCands(cands)
					i = levelStart
					continue
				}
				s.untake(op)
				if fresh && !s.states.interns {
					s.states.dropLast()
				}
			}
			i++
			continue
		}
		// Every candidate failed: undo the latest choice and try the next
		// candidate of the level below.
		if len(s.stack) > s.maxDepth {
			s.maxDepth = len(s.stack)
		}
		if len(s.stack) == 0 {
			verdict = Illegal
			break
		}
		if grew && s.track != nil {
			s.track.record(s.stack, s.nodeOp)
		}
		grew = false
		top := s.stack[len(s.stack)-1]
		s.stack = s.stack[:len(s.stack)-1]
		op := s.nodeOp[top.node]
		s.untake(op)
		cur = top.state
		s.unlift(top.node)
		if !s.unknown[op] {
			knownLeft++
		}
		cands = cands[:levelStart]
		levelStart = int(top.start)
		i = int(top.cand) + 1
	}
	s.cands = cands[:0]
	if len(s.stack) > s.maxDepth {
		s.maxDepth = len(s.stack)
	}
	if verdict == Ok && s.track != nil {
		s.track.record(s.stack, s.nodeOp)
	}
	s.release()
	out := searchOutcome{verdict: verdict, cause: cause, explored: s.explored, longest: s.maxDepth}
	if s.track != nil {
		out.info = s.track.info(s, verdict)
	}
	return out
}

// poll checks, every pollEvery steps, whether the search must stop, and
// settles this search's memory with the shared account.
func (s *search) poll() stopCause {
	if c := s.ctl.stopped(); c != stopNone {
		return c
	}
	if s.ctl.grace > 0 && s.explored >= s.ctl.grace && s.ctl.illegal.Load() {
		return stopIllegal
	}
	used := s.bytes()
	if d := used - s.reported; d != 0 {
		s.reported = used
		if s.ctl.addMem(d) {
			return stopMemory
		}
	}
	return stopNone
}

// take and untake add op to and remove it from the linearized set.
func (s *search) take(op int32)   { s.bits.set(int(op)) }
func (s *search) untake(op int32) { s.bits.clear(int(op)) }

// remember adds the configuration (s.bits, state) to the memo and reports
// whether it is new.
func (s *search) remember(state int32, fresh bool) bool {
	return s.cache.insert(&s.bits, state, fresh)
}

func (s *search) entries() int {
	return s.cache.n
}

func (s *search) bytes() int64 {
	b := s.cache.bytes() + s.states.bytes + s.trans.bytes() + int64(len(s.dense))*4 + int64(cap(s.stack))*16
	if s.track != nil {
		b += s.track.bytes
	}
	return b
}

// release returns this search's memory to the shared account and drops the
// cache, which can be large, before the partition's result is assembled.
func (s *search) release() {
	s.ctl.addMem(-s.reported)
	s.reported = 0
	s.cache = nil
	s.states = nil
}
