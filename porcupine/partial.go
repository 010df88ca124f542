package porcupine

import (
	"math"
	"slices"
)

// tracker keeps, for the verbose result, the longest partial linearization
// each operation has been part of. Copying the stack whenever it grows would
// cost O(depth) per step; instead the search reports local maxima (the stack
// just before a backtrack) and a prefix minimum of the ops' best lengths tells
// in O(1) whether anything on the stack could improve.
type tracker struct {
	longest []int32 // per op: length of the longest partial containing it
	snapOf  []int32 // per op: index into snaps, -1 for none
	snaps   [][]int32
	refs    []int32 // per snap: ops pointing at it; a snap at 0 is dropped
	bytes   int64
}

func newTracker(n int) *tracker {
	t := &tracker{longest: make([]int32, n), snapOf: make([]int32, n)}
	for i := range t.snapOf {
		t.snapOf[i] = -1
	}
	t.bytes = int64(n) * 8
	return t
}

// pushed notes that stack has grown by one. prefMin, kept by each head for
// its own stack, holds per depth the min of longest over stack[:depth+1].
func (t *tracker) pushed(prefMin *[]int32, stack []frame, nodeOp []int32) {
	d := len(stack)
	v := t.longest[nodeOp[stack[d-1].node]]
	if d > 1 {
		v = min(v, (*prefMin)[d-2])
	}
	if len(*prefMin) < d {
		*prefMin = append(*prefMin, v)
	} else {
		(*prefMin)[d-1] = v
	}
}

// record notes the stack as a partial linearization if it is longer than the
// best one known for any operation on it.
func (t *tracker) record(prefMin []int32, stack []frame, nodeOp []int32) {
	d := int32(len(stack))
	if d == 0 || prefMin[d-1] >= d {
		return
	}
	snap := make([]int32, d)
	for i, f := range stack {
		snap[i] = nodeOp[f.node]
	}
	idx := int32(len(t.snaps))
	t.snaps = append(t.snaps, snap)
	t.refs = append(t.refs, 0)
	t.bytes += int64(d)*4 + 32
	m := int32(math.MaxInt32)
	for i, op := range snap {
		if t.longest[op] < d {
			if old := t.snapOf[op]; old >= 0 {
				if t.refs[old]--; t.refs[old] == 0 {
					t.bytes -= int64(len(t.snaps[old]))*4 + 32
					t.snaps[old] = nil
				}
			}
			t.snapOf[op] = idx
			t.refs[idx]++
			t.longest[op] = d
		}
		m = min(m, t.longest[op])
		prefMin[i] = m
	}
}

// info assembles the partition's part of a LinearizationInfo.
func (t *tracker) info(s *search, h *head, verdict CheckResult) partitionInfo {
	var pi partitionInfo
	var complete []int
	if verdict == Ok {
		complete = make([]int, len(h.stack))
		for i, f := range h.stack {
			complete[i] = int(s.nodeOp[f.node])
		}
	}
	var live []int32
	for i, sn := range t.snaps {
		if t.refs[i] > 0 && sn != nil {
			live = append(live, int32(i))
		}
	}
	// Longest first, then in the order found: deterministic, and for an
	// illegal partition partials[0] is where the search got furthest.
	slices.SortStableFunc(live, func(a, b int32) int { return len(t.snaps[b]) - len(t.snaps[a]) })
	if complete != nil {
		pi.partials = append(pi.partials, complete)
	}
	for _, i := range live {
		p := make([]int, len(t.snaps[i]))
		for j, op := range t.snaps[i] {
			p[j] = int(op)
		}
		if complete != nil && slices.Equal(p, complete) {
			continue
		}
		pi.partials = append(pi.partials, p)
	}
	if verdict == Illegal {
		pi.illegal = true
		pi.stuck = 0
		var in []bool
		if len(pi.partials) > 0 {
			in = make([]bool, len(s.in))
			for _, op := range pi.partials[0] {
				in[op] = true
			}
		}
		pi.next = h.candidatesAfter(in)
	}
	return pi
}

// candidatesAfter lists the operations that could be linearized next after
// the set in (nil: empty) in real-time order: those called before the first
// return of an operation not in the set.
func (h *head) candidatesAfter(in []bool) []int {
	s := h.s
	var next []int
	for node := h.next[0]; node != 0; node = h.next[node] {
		op := s.nodeOp[node]
		if in != nil && in[op] {
			continue
		}
		if s.match[node] < 0 {
			break
		}
		next = append(next, int(op))
	}
	return next
}
