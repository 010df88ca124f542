package porcupine

import (
	"cmp"
	"math"
	"math/bits"
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
	// idleAt is, per unknown-outcome op, a state it was found to leave
	// unchanged, -1 for none: taking it there again needs no step
	idleAt []int32

	// node 0 is the list's sentinel, node k > 0 is entry k-1 of the
	// time-sorted entries.
	nodeOp   []int32 // node -> op
	match    []int32 // call node -> return node, 0 for none; return node -> -1
	callNode []int32 // op -> call node
	keys     []uint64
	class    []int32 // per op: class of interchangeable ops, or -1
	nclass   int
	classed  bool // class is set (see classAfter); all -1 before
	ops      []Operation
	// per call node: its return node, or MaxInt32 for an operation that
	// returns after every call or never (no operation must follow it)
	retKey []int32

	states *stateTable
	cache  *cache
	trans  *transitions
	dense  []int32 // transitions from the first denseStates states; -2 unknown

	heads []*head
	// lifo is how far the history's returns are from call order (see
	// lifoness); it picks the head that gets most of the time.
	lifo float64

	// set when the search is over
	verdict CheckResult
	cause   stopCause
	winner  *head // the head that decided

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
	entry int32 // cache entry of the configuration before it
}

// head is one depth-first search over a partition. A search runs two heads
// over one memo, one trying the candidates of a configuration latest call
// first, the other earliest call first (see schedule.go for how they share
// the time). A configuration either head has exhausted is pruned for both,
// so an exhaustive search (an Illegal verdict) is not repeated: it ends when
// one head has run out.
type head struct {
	s       *search
	reverse bool

	// the list of pending calls and returns, circular through node 0
	next, prev []int32
	bits       bitset
	stack      []frame
	cands      []int32 // candidates of every level, stack-like
	classSeen  []uint32
	classAt    []int32 // per class: index in the candidate buffer of its candidate
	stamp      uint32

	cur        int32 // state handle
	entry      int32 // cache entry of the current configuration
	knownLeft  int
	levelStart int
	i          int // next candidate to try, index into cands
	grew       bool
	maxDepth   int
	prefMin    []int32 // for the tracker, verbose only
}

func newHead(s *search, reverse bool, n, k int) *head {
	h := &head{s: s, reverse: reverse, knownLeft: s.nKnown}
	h.next = make([]int32, k)
	h.prev = make([]int32, k)
	for i := 0; i < k; i++ {
		h.next[i] = int32((i + 1) % k)
		h.prev[i] = int32((i + k - 1) % k)
	}
	h.bits = newBitset(n, s.keys)
	h.classSeen = make([]uint32, s.nclass)
	h.classAt = make([]int32, s.nclass)
	return h
}

// fillCands appends the current configuration's candidates (the calls
// before the first pending return) to buf, in call order or reversed.
// (Earliest return first, state-preserving steps first, or unknown-outcome
// operations last were measured too: no better than call order, often far
// worse.)
//
// Unknown-outcome operations with equal input and output are
// interchangeable once called: neither has a return to respect, so
// whatever follows taking one could follow taking the other. Only the
// first pending one of each such class is a candidate.
//
// Of known operations with equal input and output, only the candidate that
// returns first, Y, is one: if a linearization takes another one, X, first,
// swapping X and Y changes no state, Y may come first as it is a candidate,
// and whatever must follow X must follow Y, which returns no later, so it
// follows X in Y's old place too. Returns after every call count as equal
// (nothing must follow them), and the first in call order is taken then:
// on the jepsen histories, whose timed-out requests all return at the end,
// that explored up to a fifth less than the earliest return.
func (h *head) fillCands(buf []int32) []int32 {
	s := h.s
	start := len(buf)
	h.stamp++
	for node := h.next[0]; s.match[node] >= 0; node = h.next[node] {
		if c := s.class[s.nodeOp[node]]; c >= 0 {
			if h.classSeen[c] == h.stamp {
				if j := h.classAt[c]; s.retKey[node] < s.retKey[buf[j]] {
					buf[j] = node
				}
				continue
			}
			h.classSeen[c] = h.stamp
			h.classAt[c] = int32(len(buf))
		}
		buf = append(buf, node)
	}
	if h.reverse {
		slices.Reverse(buf[start:])
	}
	return buf
}

// opClasses numbers the classes of operations with equal, comparable input
// and output, apart for unknown-outcome ones (see fillCands); -1 for the
// others and for classes of one.
func opClasses(ops []Operation) ([]int32, int) {
	class := make([]int32, len(ops))
	type key struct {
		in, out any
		unknown bool
	}
	ids := map[key]int32{}
	size := []int{}
	// Inputs and outputs are mostly of one or two types, and looking a
	// type over with reflect for every operation cost as much as
	// searching a short history.
	okType := map[reflect.Type]bool{}
	comparable := func(v any) bool {
		if v == nil {
			return true
		}
		t := reflect.TypeOf(v)
		ok, seen := okType[t]
		if !seen {
			ok = t.Comparable() && !hasInterfaceField(t)
			okType[t] = ok
		}
		return ok
	}
	for i, o := range ops {
		class[i] = -1
		if !comparable(o.Input) || !comparable(o.Output) {
			continue
		}
		k := key{o.Input, o.Output, o.Unknown}
		id, ok := ids[k]
		if !ok {
			id = int32(len(ids))
			ids[k] = id
			size = append(size, 0)
		}
		class[i] = id
		size[id]++
	}
	// Renumber without the classes of one: nothing to choose between.
	renum := make([]int32, len(size))
	n := int32(0)
	for id, sz := range size {
		renum[id] = -1
		if sz > 1 {
			renum[id] = n
			n++
		}
	}
	for i, c := range class {
		if c >= 0 {
			class[i] = renum[c]
		}
	}
	return class, int(n)
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

// stepMemo is step through the transition memos while states are
// interned; without interning handles do not repeat, and a fresh handle
// may be dropped and reused, so nothing is memoized by handle.
func (s *search) stepMemo(cur, op int32) (int32, bool) {
	if !s.states.interns {
		return s.step(cur, op)
	}
	if s.dense != nil && int(cur) < denseStates {
		k := int(cur)*len(s.in) + int(op)
		if next := s.dense[k]; next != -2 {
			return next, false
		}
		id, fresh := s.step(cur, op)
		if s.states.interns {
			s.dense[k] = id
		}
		return id, fresh
	}
	tr := s.trans
	if tr.off {
		return s.step(cur, op)
	}
	next, slot, found := tr.get(cur, op)
	if found {
		if tr.hits == denseAfter && s.dense == nil && s.states.count() <= denseStates {
			s.startDense()
		}
		return next, false
	}
	id, fresh := s.step(cur, op)
	if !s.states.interns {
		tr.stop()
	} else if !tr.off {
		tr.put(slot, cur, op, id)
	}
	return id, fresh
}

// denseAfter is how many memo hits a search with few states takes before
// it gets the dense table: a register's search repeats (state, operation)
// pairs from the start, while one whose states rarely repeat would fill
// its rows for nothing.
const denseAfter = 256

// startDense allocates the table of transitions from the first
// denseStates states.
func (s *search) startDense() {
	s.dense = make([]int32, denseStates*len(s.in))
	for i := range s.dense {
		s.dense[i] = -2
	}
}

type searchOutcome struct {
	verdict  CheckResult
	cause    stopCause // why an Unknown verdict stopped
	explored int64
	longest  int
	info     partitionInfo
}

func newSearch(m *compiledModel, ctl *control, part int, ops []Operation, verbose, intern bool) *search {
	n := len(ops)
	s := &search{m: m, ctl: ctl, part: part}
	s.in = make([]any, n)
	s.out = make([]any, n)
	s.unknown = make([]bool, n)
	s.idleAt = make([]int32, n)
	entries := make([]entry, 0, 2*n)
	for i, o := range ops {
		s.in[i], s.out[i], s.unknown[i] = o.Input, o.Output, o.Unknown
		s.idleAt[i] = -1
		entries = append(entries, entry{o.Call, false, int32(i)})
		if !o.Unknown {
			s.nKnown++
			entries = append(entries, entry{o.Return, true, int32(i)})
		}
	}
	// Calls sort before returns at the same instant: intervals are closed,
	// so an operation called when another returns overlaps it.
	sortEntries(entries)
	k := len(entries) + 1
	s.nodeOp = make([]int32, k)
	s.match = make([]int32, k)
	s.callNode = make([]int32, n)
	s.ops = ops
	s.class = make([]int32, n)
	for i := range s.class {
		s.class[i] = -1
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
	lastCall := int64(math.MinInt64)
	for _, o := range ops {
		lastCall = max(lastCall, o.Call)
	}
	s.retKey = make([]int32, k)
	for i, o := range ops {
		c := s.callNode[i]
		s.retKey[c] = s.match[c]
		if o.Unknown || o.Return >= lastCall {
			s.retKey[c] = math.MaxInt32
		}
	}
	s.lifo = lifoness(s.match, s.nodeOp, s.callNode)
	s.keys = zobristKeys(n)
	s.states = newStateTable(m, intern)
	s.cache = newCache(n, (n+63)/64, s.states, s.keys)
	s.trans = newTransitions(s.states.interns)
	s.heads = []*head{newHead(s, true, n, k), newHead(s, false, n, k)}
	if verbose {
		s.track = newTracker(n)
	}
	return s
}

func (h *head) lift(call int32) {
	h.next[h.prev[call]] = h.next[call]
	h.prev[h.next[call]] = h.prev[call]
	if r := h.s.match[call]; r > 0 {
		h.next[h.prev[r]] = h.next[r]
		h.prev[h.next[r]] = h.prev[r]
	}
}

func (h *head) unlift(call int32) {
	if r := h.s.match[call]; r > 0 {
		h.next[h.prev[r]] = r
		h.prev[h.next[r]] = r
	}
	h.next[h.prev[call]] = call
	h.prev[h.next[call]] = call
}

// step applies op to state cur and returns the next state's handle, or -1
// when the model rejects it. An unknown-outcome op's verdict is ignored: its
// output was never observed, so only its effect matters.
func (s *search) step(cur, op int32) (int32, bool) {
	prev := s.states.get(cur)
	s.states.call.fn = inStep
	ok, next := s.m.step(prev, s.in[op], s.out[op])
	s.states.call.fn = inChecker
	if !ok && !s.unknown[op] {
		return -1, false
	}
	if sameObject(prev, next) {
		// A read handed the state back: skip hashing it again, which for
		// a long string costs far more than the step.
		return cur, false
	}
	return s.states.intern(next)
}

// run searches for a linearization and returns Ok, Illegal, or Unknown when
// stopped from outside (timeout, memory cap, or another partition's
// violation).
func (s *search) run() searchOutcome {
	s.start()
	for !s.turn() {
	}
	return s.finish()
}

// start sets the heads at the initial configuration.
func (s *search) start() {
	if classAfter <= 0 {
		s.classify()
	}
	s.states.call = modelCall{inInit, -1}
	first := s.m.init()
	s.states.call.fn = inChecker
	init, _ := s.states.intern(first)
	root, _ := s.cache.insert(&s.heads[0].bits, init, true)
	for _, h := range s.heads {
		h.cur = init
		h.cands = h.fillCands(h.cands[:0])
		h.entry = root
	}
}

// classAfter is how many steps a search takes before it sorts operations
// into classes of interchangeable ones (see fillCands): that costs a map
// insert per operation, as much as many short searches take, and pays off
// only in long ones. Leaving out candidates is sound from any
// configuration on, so the classes can come in mid-search. A variable for
// the tests.
var classAfter int64 = 1 << 12

// classify sorts the operations into classes and, once the search has
// started, brings the heads' stacks in line with them: a head backs out of
// the first level whose choice fillCands would have left out, unless that
// is more than backOutMax levels (exploring below it could repeat what the
// class's choice explores: 40% more steps on etcd_002), and the levels it
// keeps drop the untried candidates fillCands would have left out (shallow
// levels keep their candidates longest: keeping them all doubled the steps
// of some searches).
func (s *search) classify() {
	s.classed = true
	s.class, s.nclass = opClasses(s.ops)
	for _, h := range s.heads {
		h.classSeen = make([]uint32, s.nclass)
		h.classAt = make([]int32, s.nclass)
		for k, f := range h.stack {
			if h.prune(int(f.start), h.levelEnd(k), int(f.cand)) && len(h.stack)-k <= backOutMax {
				h.backOut(k)
				break
			}
		}
		h.prune(h.levelStart, len(h.cands), h.i-1)
	}
}

// before reports whether call node a is chosen over b of the same class:
// it returns sooner, or as soon and is called earlier, as in fillCands.
func before(s *search, a, b int32) bool {
	return s.retKey[a] < s.retKey[b] || s.retKey[a] == s.retKey[b] && a < b
}

// backOutMax bounds the levels classify backs out of: going down again
// costs a step per level, as much as a deep search (a long history's
// linearization) took to get there.
const backOutMax = 128

// levelEnd is where the candidates of the level of stack[k] end.
func (h *head) levelEnd(k int) int {
	if k+1 < len(h.stack) {
		return int(h.stack[k+1].start)
	}
	return h.levelStart
}

// backOut pops stack[k:] as backtracking would, without marking anything
// exhausted, and goes on with the candidate after stack[k]'s.
func (h *head) backOut(k int) {
	s := h.s
	for len(h.stack) > k {
		top := h.stack[len(h.stack)-1]
		h.stack = h.stack[:len(h.stack)-1]
		op := s.nodeOp[top.node]
		h.bits.clear(int(op))
		h.cur, h.entry = top.state, top.entry
		h.unlift(top.node)
		if !s.unknown[op] {
			h.knownLeft++
		}
		h.cands = h.cands[:h.levelStart]
		h.levelStart = int(top.start)
		h.i = int(top.cand) + 1
	}
	h.grew = false
}

// prune marks with -1 the candidates in cands[chosen+1:end] that are not
// their class's choice among the level's candidates cands[start:end] (see
// fillCands), and reports whether cands[chosen] is one that is not.
func (h *head) prune(start, end, chosen int) bool {
	s := h.s
	h.stamp++
	for j := start; j < end; j++ {
		node := h.cands[j]
		if node < 0 {
			continue
		}
		if c := s.class[s.nodeOp[node]]; c >= 0 {
			if h.classSeen[c] != h.stamp || before(s, node, h.cands[h.classAt[c]]) {
				h.classSeen[c] = h.stamp
				h.classAt[c] = int32(j)
			}
		}
	}
	for j := chosen + 1; j < end; j++ {
		node := h.cands[j]
		if node < 0 {
			continue
		}
		if c := s.class[s.nodeOp[node]]; c >= 0 && h.classAt[c] != int32(j) {
			h.cands[j] = -1
		}
	}
	if chosen < start {
		return false
	}
	c := s.class[s.nodeOp[h.cands[chosen]]]
	return c >= 0 && h.classAt[c] != int32(chosen)
}

// finish releases the search's memory and returns its outcome.
func (s *search) finish() searchOutcome {
	winner := s.winner
	if winner == nil {
		winner = s.heads[0]
	}
	for _, h := range s.heads {
		s.maxDepth = max(s.maxDepth, h.maxDepth, len(h.stack))
	}
	if s.verdict == Ok && s.track != nil {
		s.track.record(winner.prefMin, winner.stack, s.nodeOp)
	}
	s.release()
	out := searchOutcome{verdict: s.verdict, cause: s.cause, explored: s.explored, longest: s.maxDepth}
	if s.track != nil {
		out.info = s.track.info(s, winner, s.verdict)
	}
	return out
}

// advance runs the search for up to budget steps and returns Ok when it has
// linearized every known operation, Illegal when it has run out of
// configurations, or "" when its budget is spent.
func (h *head) advance(budget int) CheckResult {
	s := h.s
	cands, i, cur := h.cands, h.i, h.cur
	defer func() { h.cands, h.i, h.cur = cands, i, cur }()
	for h.knownLeft > 0 {
		if budget--; budget < 0 {
			return ""
		}
		if i < len(cands) {
			node := cands[i]
			if node < 0 {
				// left out by classify
				i++
				continue
			}
			op := s.nodeOp[node]
			s.explored++
			id, fresh := cur, false
			if s.idleAt[op] != cur {
				s.states.call.op = op
				id, fresh = s.stepMemo(cur, op)
				if id == cur && s.unknown[op] && s.states.interns {
					s.idleAt[op] = cur
				}
			}
			if id >= 0 && s.unknown[op] && !fresh && s.cache.containsDone(&h.bits, id) {
				// An unknown-outcome op may also never take effect, so
				// whatever can follow (S+op, s) can follow (S, s) as well:
				// if that was exhausted, taking op here leads nowhere new.
				// One that leaves the state unchanged is taken all the
				// same, as the reference does: a read whose outcome was
				// never seen is then gone from the candidates of every
				// level above, where leaving it pending had it stepped
				// again at each one (a fifth of the steps on kvraft-shaped
				// histories). (Dropping every unknown-outcome op of S in
				// this test, not just op, was measured: it explores more,
				// not less.)
				id = -1
			}
			if id >= 0 {
				h.bits.set(int(op))
				// A configuration the other head is exploring is entered
				// all the same: it may lie on this head's way to a
				// linearization, and only the other head's current path is
				// shared that way.
				if e, st := s.cache.insert(&h.bits, id, fresh && s.states.interns); st != exhausted {
					h.stack = append(h.stack, frame{node: node, state: cur, cand: int32(i), start: int32(h.levelStart), entry: h.entry})
					h.entry = e
					cur = id
					h.lift(node)
					if !s.unknown[op] {
						h.knownLeft--
					}
					if s.track != nil {
						s.track.pushed(&h.prefMin, h.stack, s.nodeOp)
					}
					h.grew = true
					h.levelStart = len(cands)
					cands = h.fillCands(cands)
					i = h.levelStart
					continue
				}
				h.bits.clear(int(op))
				if fresh && !s.states.interns {
					s.states.dropLast()
				}
			}
			i++
			continue
		}
		// Every candidate failed: this configuration is exhausted. Undo
		// the latest choice and try the next candidate of the level below.
		s.cache.markDone(h.entry)
		h.maxDepth = max(h.maxDepth, len(h.stack))
		if len(h.stack) == 0 {
			return Illegal
		}
		if h.grew && s.track != nil {
			s.track.record(h.prefMin, h.stack, s.nodeOp)
		}
		h.grew = false
		top := h.stack[len(h.stack)-1]
		h.stack = h.stack[:len(h.stack)-1]
		op := s.nodeOp[top.node]
		h.bits.clear(int(op))
		cur = top.state
		h.entry = top.entry
		h.unlift(top.node)
		if !s.unknown[op] {
			h.knownLeft++
		}
		cands = cands[:h.levelStart]
		h.levelStart = int(top.start)
		i = int(top.cand) + 1
	}
	return Ok
}

// poll checks, once per turn, whether the search must stop, and
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

func (s *search) bytes() int64 {
	b := s.cache.bytes() + s.states.bytes + s.trans.bytes() + int64(len(s.dense))*4
	for _, h := range s.heads {
		b += int64(cap(h.stack))*16 + int64(cap(h.cands))*4
	}
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
	s.cache.free()
	s.cache = nil
	s.trans.free()
	s.states.free()
	s.states = nil
}

// entry is a call or a return of operation op at time t.
type entry struct {
	t   int64
	ret bool
	op  int32
}

// sortEntries sorts a partition's calls and returns, given in operation
// order, by time, calls before returns at the same instant, then by
// operation. Where the times span few enough bits, each entry packs into
// one integer, and the integers are sorted by radix, or for a few by the
// standard library's integer sort: calling a comparison function cost a
// tenth of checking a kvraft-shaped history, and the integer sort still
// took 5% (the radix sort takes a fifth of that).
func sortEntries(es []entry) {
	if len(es) < 2 {
		return
	}
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	for _, e := range es {
		lo, hi = min(lo, e.t), max(hi, e.t)
	}
	opBits := bits.Len(uint(len(es)))
	if span := uint64(hi) - uint64(lo); bits.Len64(span)+1+opBits <= 64 {
		// The low bits hold the entry's index, which follows the
		// operations' order among entries of one time and kind.
		keys := make([]uint64, 2*len(es))
		keys, buf := keys[:len(es)], keys[len(es):]
		for i, e := range es {
			k := (uint64(e.t)-uint64(lo))<<1 | b2u(e.ret)
			keys[i] = k<<opBits | uint64(i)
		}
		if len(keys) < radixMin {
			slices.Sort(keys)
		} else {
			keys = radixSort(keys, buf, bits.Len64(span)+1+opBits)
		}
		sorted := make([]entry, len(es))
		mask := uint64(1)<<opBits - 1
		for i, k := range keys {
			sorted[i] = es[k&mask]
		}
		copy(es, sorted)
		return
	}
	slices.SortFunc(es, func(a, b entry) int {
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
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// radixMin is the fewest keys sortEntries sorts by radix: a pass counts
// into 256 buckets, as much work as sorting a few dozen keys.
const radixMin = 64

// radixSort sorts keys of at most width bits, a byte a pass from the
// least significant, through buf of the same length, and returns whichever
// of the two holds the result.
func radixSort(keys, buf []uint64, width int) []uint64 {
	n := len(keys)
	for shift := 0; shift < width; shift += 8 {
		var count [256]int
		for _, k := range keys {
			count[byte(k>>shift)]++
		}
		if count[byte(keys[0]>>shift)] == n {
			continue // one digit for all: the pass would change nothing
		}
		at := 0
		for d, c := range count {
			count[d] = at
			at += c
		}
		for _, k := range keys {
			d := byte(k >> shift)
			buf[count[d]] = k
			count[d]++
		}
		keys, buf = buf, keys
	}
	return keys
}
