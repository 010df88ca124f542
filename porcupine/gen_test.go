package porcupine

import (
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"slices"
	"strconv"
)

// Test models, local to the package: the ones in models/ import porcupine,
// so internal tests cannot use them.

type regIn struct {
	op       byte // 'r', 'w', 'c'
	val, exp int
}

type regOut struct {
	val int
	ok  bool
}

func regModel() Model {
	return Model{
		Init: func() any { return 0 },
		Step: func(state, input, output any) (bool, any) {
			st := state.(int)
			in := input.(regIn)
			out, known := output.(regOut)
			switch in.op {
			case 'r':
				return known && out.val == st, st
			case 'w':
				return true, in.val
			default:
				if st == in.exp {
					return known && out.ok, in.val
				}
				return known && !out.ok, st
			}
		},
		DescribeOperation: func(in, out any) string { return fmt.Sprint(in, out) },
	}
}

type kvIn struct {
	op         byte // 'g', 'p', 'a'
	key, value string
}

type kvOut struct{ value string }

var testSeed = maphash.MakeSeed()

func kvModel() Model {
	return Model{
		Partition: func(h []Operation) [][]Operation {
			idx := map[string]int{}
			var parts [][]Operation
			for _, o := range h {
				k := o.Input.(kvIn).key
				i, ok := idx[k]
				if !ok {
					i = len(parts)
					idx[k] = i
					parts = append(parts, nil)
				}
				parts[i] = append(parts[i], o)
			}
			return parts
		},
		PartitionEvent: func(h []Event) [][]Event {
			idx := map[string]int{}
			partOf := map[int]int{}
			var parts [][]Event
			for _, e := range h {
				var i int
				if e.Kind == CallEvent {
					k := e.Value.(kvIn).key
					var ok bool
					if i, ok = idx[k]; !ok {
						i = len(parts)
						idx[k] = i
						parts = append(parts, nil)
					}
					partOf[e.Id] = i
				} else {
					i = partOf[e.Id]
				}
				parts[i] = append(parts[i], e)
			}
			return parts
		},
		Init: func() any { return "" },
		Step: func(state, input, output any) (bool, any) {
			st := state.(string)
			in := input.(kvIn)
			switch in.op {
			case 'g':
				out, ok := output.(kvOut)
				return ok && out.value == st, st
			case 'p':
				return true, in.value
			default:
				return true, st + in.value
			}
		},
		Equal: func(a, b any) bool { return a.(string) == b.(string) },
		Hash:  func(s any) uint64 { return maphash.String(testSeed, s.(string)) },
	}
}

// genOp is one simulated operation: it takes effect atomically at lin,
// somewhere in [call, ret], on a real sequential object, so the history of
// a simulation is linearizable by construction.
type genOp struct {
	client         int
	call, lin, ret int64
	in             any
	unknown        bool
	applied        bool
}

// simulate runs clients that issue n operations in total against a
// sequential object (apply), with random latencies. A fraction unknownFrac
// of them get an unknown outcome, and half of those never take effect.
func simulate(r *rand.Rand, clients, n int, unknownFrac float64, mkInput func(client, i int) any, init func() any, apply func(state, in any) (any, any)) []Operation {
	ops := make([]genOp, 0, n)
	clock := make([]int64, clients)
	for i := range n {
		c := r.IntN(clients)
		call := clock[c] + int64(r.IntN(5))
		lin := call + int64(r.IntN(20))
		ret := lin + int64(r.IntN(20))
		clock[c] = ret + 1
		g := genOp{client: c, call: call, lin: lin, ret: ret, in: mkInput(c, i)}
		if r.Float64() < unknownFrac {
			g.unknown = true
			clock[c] = call + 1 // the client moves on without an answer
		}
		ops = append(ops, g)
	}
	order := make([]int, len(ops))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return int(ops[a].lin - ops[b].lin) })
	state := init()
	outs := make([]any, len(ops))
	for _, i := range order {
		if ops[i].unknown && r.IntN(2) == 0 {
			continue // never took effect
		}
		state, outs[i] = apply(state, ops[i].in)
	}
	hist := make([]Operation, len(ops))
	for i, g := range ops {
		hist[i] = Operation{ClientId: g.client, Input: g.in, Call: g.call, Output: outs[i], Return: g.ret, Unknown: g.unknown}
		if g.unknown {
			hist[i].Output = nil
			hist[i].Return = 0
		}
	}
	return hist
}

func genRegister(r *rand.Rand, clients, n int, unknownFrac float64) []Operation {
	return simulate(r, clients, n, unknownFrac,
		func(c, i int) any {
			switch r.IntN(4) {
			case 0, 1:
				return regIn{op: 'r'}
			case 2:
				return regIn{op: 'w', val: r.IntN(5)}
			}
			return regIn{op: 'c', exp: r.IntN(5), val: r.IntN(5)}
		},
		func() any { return 0 },
		func(state, in any) (any, any) {
			st, op := state.(int), in.(regIn)
			switch op.op {
			case 'r':
				return st, regOut{val: st}
			case 'w':
				return op.val, regOut{}
			}
			if st == op.exp {
				return op.val, regOut{ok: true}
			}
			return st, regOut{ok: false}
		})
}

func genKV(r *rand.Rand, clients, keys, n int, unknownFrac float64) []Operation {
	return simulate(r, clients, n, unknownFrac,
		func(c, i int) any {
			k := strconv.Itoa(r.IntN(keys))
			switch r.IntN(4) {
			case 0, 1:
				return kvIn{op: 'g', key: k}
			case 2:
				return kvIn{op: 'p', key: k, value: fmt.Sprintf("%d.%d;", c, i)}
			}
			return kvIn{op: 'a', key: k, value: fmt.Sprintf("%d.%d;", c, i)}
		},
		func() any { return map[string]string{} },
		func(state, in any) (any, any) {
			m, op := state.(map[string]string), in.(kvIn)
			switch op.op {
			case 'g':
				return m, kvOut{value: m[op.key]}
			case 'p':
				m[op.key] = op.value
			default:
				m[op.key] += op.value
			}
			return m, kvOut{}
		})
}

// plant makes one known read (get) return a value no write produces, so the
// history is certainly not linearizable. It returns false if there is none.
func plant(r *rand.Rand, h []Operation) bool {
	var reads []int
	for i, o := range h {
		if o.Unknown {
			continue
		}
		switch in := o.Input.(type) {
		case regIn:
			if in.op == 'r' {
				reads = append(reads, i)
			}
		case kvIn:
			if in.op == 'g' {
				reads = append(reads, i)
			}
		}
	}
	if len(reads) == 0 {
		return false
	}
	i := reads[r.IntN(len(reads))]
	switch h[i].Input.(type) {
	case regIn:
		h[i].Output = regOut{val: -7}
	case kvIn:
		h[i].Output = kvOut{value: "never written"}
	}
	return true
}

// toEvents turns operations into an event history with the same real-time
// order: calls sort before returns at equal timestamps, as the closed
// intervals of Operation require.
func toEvents(h []Operation) []Event {
	type ev struct {
		t   int64
		ret bool
		i   int
	}
	var evs []ev
	for i, o := range h {
		evs = append(evs, ev{o.Call, false, i})
		if !o.Unknown {
			evs = append(evs, ev{o.Return, true, i})
		}
	}
	slices.SortStableFunc(evs, func(a, b ev) int {
		if a.t != b.t {
			if a.t < b.t {
				return -1
			}
			return 1
		}
		if a.ret != b.ret {
			if a.ret {
				return 1
			}
			return -1
		}
		return 0
	})
	out := make([]Event, len(evs))
	for j, e := range evs {
		o := h[e.i]
		if e.ret {
			out[j] = Event{ClientId: o.ClientId, Kind: ReturnEvent, Value: o.Output, Id: e.i}
		} else {
			out[j] = Event{ClientId: o.ClientId, Kind: CallEvent, Value: o.Input, Id: e.i, Unknown: o.Unknown}
		}
	}
	return out
}
