package porcupine

// How the two heads of a search share the time.
//
// Which candidate order finds a linearization sooner varies by orders of
// magnitude between histories, either way, and neither head can tell from
// the inside that it is in a dead subtree. Equal shares would bound the cost
// at twice the better order's; but on most histories one order is the
// better one by far, so one head, the primary, gets eight times the other's
// share, and the other, still running, bounds the cost of a wrong choice.
//
// First, earliest call first is the primary, for 32 steps per operation of
// the partition: it is the reference checker's only order, it was the
// better one on nearly all simulated histories (up to 14x on even
// latencies, up to 94x where one request in eight was ten times slower and
// took effect anywhere in its interval), and most of its searches end that
// soon.
//
// Then the primary is the order the history's returns follow (see
// lifoness): latest call first when they clearly lean that way (lifoAt),
// as when some calls stay pending while later ones come and go. On
// porcupine's histories (jepsen etcd, a 50-client
// key-value store) the returns are far from call order (0.63 to 0.84), the
// next operation to take effect was mostly the one just called, and latest
// call first took 1.4x to 350x fewer steps where the two differed much.
// The simulated slow requests above have such returns too, which is why
// the head start comes first: with it they took 1.6x the reference's steps
// rather than about 4x, and the 50-client histories 0.39x rather than
// 0.32x.
//
// Evidence overrides both: a head whose longest linearized prefix is a
// quarter of the known operations ahead of the primary's takes over, as it
// has got past where the other is stuck (without this, a jepsen history
// took 2.8x the reference's steps; with it, at most 1.1x).
//
// The other head starts once the primary has taken otherAfter steps per
// operation: until then its share mostly bought nothing.
//
// A wrong choice costs at most about nine times the better order's steps,
// and far less in what was measured: at worst 2x the reference's steps on a
// partition of porcupine's histories, 1.9x on a simulated history (and 9x
// the better order's on jepsen histories of a few hundred steps, where
// latest call first wins and the reference takes 40x more).
const (
	// turnSteps is the primary's share of a turn; a search polls once per
	// turn. Turns are short so that a worker taking turns between
	// partitions reaches a quick violation in any of them soon.
	turnSteps = 256
	// otherShare divides turnSteps for the other head: 8 rather than 4 took
	// as many steps or fewer on every group of histories measured.
	otherShare = 8
	// headStart is how many steps per operation earliest call first is
	// the primary.
	headStart = 32
	// otherAfter is how many steps per operation the primary takes alone
	// before the other head gets its share: most searches of long
	// histories end in a few steps per operation, and the other head's
	// steps until then were a tenth of the kvraft-shaped class's (4,980
	// to 6,468 of 63,350; 1,213 with this delay). It delays the insurance
	// by as few steps as a search that ends that soon takes.
	otherAfter = 4
	// lifoAt is the lifoness from which latest call first is the primary
	// after the head start: returns must lean clearly that way. The jepsen
	// histories are at 0.63 to 0.84; a generated one-key history of 43
	// operations at 0.55, with a few requests pending for most of it, took
	// 9.5x the reference's steps with 0.5 (latest call first was the
	// wrong order there) and 1.1x with 0.6, and no generated class changed.
	lifoAt = 0.6
)

// turn runs one turn of both heads and reports whether the search is over.
// It polls first: a tiny memory cap must stop even a tiny search.
func (s *search) turn() bool {
	if cause := s.poll(); cause != stopNone {
		s.verdict, s.cause = Unknown, cause
		return true
	}
	if !s.classed && s.explored >= classAfter {
		s.classify()
	}
	p, o := s.primary()
	// Exhausted configurations are only marked so once all their
	// successors are, so either head running out proves Illegal.
	if v := p.advance(turnSteps); v != "" {
		s.verdict, s.winner = v, p
		return true
	}
	if s.explored < int64(otherAfter*len(s.ops)) {
		return false
	}
	if v := o.advance(turnSteps / otherShare); v != "" {
		s.verdict, s.winner = v, o
		return true
	}
	return false
}

// primary returns the head that gets the larger share this turn, and the
// other.
func (s *search) primary() (*head, *head) {
	p, o := s.heads[1], s.heads[0] // earliest call first, latest call first
	if s.lifo >= lifoAt && s.explored >= int64(headStart*len(s.ops)) {
		p, o = o, p
	}
	if o.frontier() >= p.frontier()+max(4, s.nKnown/4) {
		p, o = o, p
	}
	return p, o
}

// frontier is the longest prefix the head has linearized.
func (h *head) frontier() int { return max(h.maxDepth, len(h.stack)) }

// lifoness measures how the history's returns depart from call order: at
// each return, the rank of the returning operation among the pending calls
// (0 for the earliest called, 1 for the latest), averaged over the returns
// that had a choice. 0 is first in, first out; 0.5 is no order at all.
// Unknown-outcome operations never return, so they say nothing of the
// order of returns and are left out: counted as pending to the end, they
// made every later return look latest-call-first, and with 5% of the
// operations unknown latest call first took over searches that earliest
// call first was finishing (up to 2.5x the steps).
func lifoness(match, nodeOp, callNode []int32) float64 {
	// A Fenwick tree over call nodes counts the pending calls before a
	// node in O(log n).
	k := len(match)
	tree := make([]int32, k+1)
	add := func(node int, d int32) {
		for i := node + 1; i <= k; i += i & -i {
			tree[i] += d
		}
	}
	before := func(node int) int32 {
		var n int32
		for i := node; i > 0; i -= i & -i {
			n += tree[i]
		}
		return n
	}
	pending := int32(0)
	sum, returns := 0.0, 0
	for node := 1; node < k; node++ {
		if match[node] == 0 {
			continue // an unknown-outcome call
		}
		if match[node] > 0 {
			add(node, 1)
			pending++
			continue
		}
		call := int(callNode[nodeOp[node]])
		if pending > 1 {
			sum += float64(before(call)) / float64(pending-1)
			returns++
		}
		add(call, -1)
		pending--
	}
	if returns == 0 {
		return 0
	}
	return sum / float64(returns)
}
