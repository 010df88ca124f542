package reftest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// op is one client operation of a generated key-value history, in a form
// neither checker's types know, so that both are given the same history.
type op struct {
	client     int
	in         kvIn
	out        kvOut
	call, ret  int64
	unknown    bool // the client never saw the outcome
	linearized int64
}

type kvIn struct {
	op         byte // 'g' get, 'p' put, 'a' append
	key, value string
}

type kvOut struct{ value string }

// shape describes a family of generated histories.
type shape struct {
	clients, keys, ops int
	// unknown is the fraction of operations whose client gives up waiting:
	// half of those take effect, half never do.
	unknown float64
	// tail makes one operation in eight ten times slower, as retries and
	// queueing do in a real service.
	tail bool
}

// simulate runs clients against a sequential key-value store: every
// operation takes effect at an instant inside its interval, so the history
// is linearizable by construction. Appended values are unique ("17."), so a
// value read names the appends that produced it.
func simulate(r *rand.Rand, s shape) []op {
	const gap, latency = 10, 15
	clock := make([]int64, s.clients)
	ops := make([]op, 0, s.ops)
	for i := range s.ops {
		c := r.IntN(s.clients)
		lat := int64(latency)
		if s.tail && r.IntN(8) == 0 {
			lat *= 10
		}
		o := op{client: c, call: clock[c] + 1 + r.Int64N(gap)}
		o.linearized = o.call + r.Int64N(lat)
		o.ret = o.linearized + r.Int64N(lat)
		key := strconv.Itoa(r.IntN(s.keys))
		switch r.IntN(8) {
		case 0, 1, 2, 3:
			o.in = kvIn{op: 'g', key: key}
		case 4:
			o.in = kvIn{op: 'p', key: key, value: strconv.Itoa(i) + "."}
		default:
			o.in = kvIn{op: 'a', key: key, value: strconv.Itoa(i) + "."}
		}
		clock[c] = o.ret
		if r.Float64() < s.unknown {
			o.unknown = true
			clock[c] = o.call
			if r.IntN(2) == 0 {
				o.linearized = -1 // never takes effect
			}
		}
		ops = append(ops, o)
	}
	order := make([]int, 0, len(ops))
	for i := range ops {
		if ops[i].linearized >= 0 {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return int(ops[a].linearized - ops[b].linearized) })
	store := map[string]string{}
	for _, i := range order {
		o := &ops[i]
		switch o.in.op {
		case 'g':
			o.out.value = store[o.in.key]
		case 'p':
			store[o.in.key] = o.in.value
		default:
			store[o.in.key] += o.in.value
		}
	}
	return ops
}

// corrupt changes one get whose outcome is known to a value it could not
// have read at that point, or could only have read at another time: the
// value one append short, one append long, or an older value of the key. It
// reports false when the history has no such get. The result is usually
// not linearizable; the checkers decide.
func corrupt(r *rand.Rand, ops []op) bool {
	var gets []int
	for i, o := range ops {
		if o.in.op == 'g' && !o.unknown {
			gets = append(gets, i)
		}
	}
	if len(gets) == 0 {
		return false
	}
	i := gets[r.IntN(len(gets))]
	v := ops[i].out.value
	switch r.IntN(3) {
	case 0:
		if j := strings.LastIndex(strings.TrimSuffix(v, "."), "."); j >= 0 {
			v = v[:j+1]
		} else {
			v = ""
		}
	case 1:
		v += "x."
	default:
		// a value another get of the key read, earlier or later
		for _, j := range gets {
			if ops[j].in.key == ops[i].in.key && ops[j].out.value != v {
				v = ops[j].out.value
				break
			}
		}
		if v == ops[i].out.value {
			v += "x."
		}
	}
	ops[i].out.value = v
	return true
}

// class is a named family of histories for the differential test and the
// benchmarks.
type class struct {
	name    string
	count   int
	shape   func(r *rand.Rand) shape
	corrupt bool
}

func between(r *rand.Rand, lo, hi int) int { return lo + r.IntN(hi-lo+1) }

var classes = []class{
	{name: "one-key", count: 60, shape: func(r *rand.Rand) shape {
		return shape{clients: between(r, 2, 15), keys: 1, ops: between(r, 10, 60)}
	}},
	{name: "many-keys", count: 40, shape: func(r *rand.Rand) shape {
		return shape{clients: between(r, 2, 15), keys: between(r, 5, 20), ops: between(r, 100, 800)}
	}},
	{name: "illegal-one-key", count: 60, corrupt: true, shape: func(r *rand.Rand) shape {
		return shape{clients: between(r, 2, 15), keys: 1, ops: between(r, 10, 40)}
	}},
	{name: "illegal-many-keys", count: 40, corrupt: true, shape: func(r *rand.Rand) shape {
		return shape{clients: between(r, 2, 15), keys: between(r, 5, 20), ops: between(r, 100, 800)}
	}},
	{name: "unknown", count: 60, shape: func(r *rand.Rand) shape {
		return shape{clients: between(r, 2, 15), keys: between(r, 1, 4), ops: between(r, 10, 100), unknown: 0.05}
	}},
	{name: "kvraft", count: 6, shape: func(r *rand.Rand) shape {
		return shape{clients: 15, keys: 10, ops: 3000, unknown: 0.01, tail: true}
	}},
}

// histories generates a class's histories; the same on every run.
func (c class) histories() [][]op {
	r := rand.New(rand.NewPCG(uint64(len(c.name)), 2024))
	var out [][]op
	for len(out) < c.count {
		h := simulate(r, c.shape(r))
		if c.corrupt && !corrupt(r, h) {
			continue
		}
		out = append(out, h)
	}
	return out
}

func (o op) String() string {
	s := fmt.Sprintf("c%d [%d,%d] ", o.client, o.call, o.ret)
	switch o.in.op {
	case 'g':
		s += fmt.Sprintf("get(%s)->%q", o.in.key, o.out.value)
	case 'p':
		s += fmt.Sprintf("put(%s,%q)", o.in.key, o.in.value)
	default:
		s += fmt.Sprintf("append(%s,%q)", o.in.key, o.in.value)
	}
	if o.unknown {
		s += " unknown"
	}
	return s
}
