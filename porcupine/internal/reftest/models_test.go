package reftest

import (
	"cmp"
	"hash/maphash"
	"math"
	"slices"
	"sync/atomic"

	ref "github.com/anishathalye/porcupine"

	ours "raftlab/porcupine"
)

// anyOutput is, for the reference, the output of an operation whose outcome
// was never seen: the reference has no such operations, so it gets one that
// returns after everything else with an output every state accepts. Such an
// operation can always be linearized last, where its effect touches
// nothing, so the verdict is the same as with ours' Unknown.
type anyOutput struct{}

var seed = maphash.MakeSeed()

func kvStep(state, input, output any) (bool, any) {
	st, in := state.(string), input.(kvIn)
	switch in.op {
	case 'g':
		if _, ok := output.(anyOutput); ok {
			return true, st
		}
		out, ok := output.(kvOut)
		return ok && out.value == st, st
	case 'p':
		return true, in.value
	}
	return true, st + in.value
}

func kvHash(state any) uint64 { return maphash.String(seed, state.(string)) }

func kvEqual(a, b any) bool { return a.(string) == b.(string) }

func key(input any) string { return input.(kvIn).key }

// partition splits a history by key, keeping the order of operations.
func partition[O any](h []O, keyOf func(O) string) [][]O {
	index := map[string]int{}
	var parts [][]O
	for _, o := range h {
		k := keyOf(o)
		i, ok := index[k]
		if !ok {
			i = len(parts)
			index[k] = i
			parts = append(parts, nil)
		}
		parts[i] = append(parts[i], o)
	}
	return parts
}

// refModel is the key-value model for the reference; steps, if not nil,
// counts its calls to Step (the reference does not report its search
// steps).
func refModel(steps *atomic.Int64) ref.Model {
	step := kvStep
	if steps != nil {
		step = func(state, input, output any) (bool, any) {
			steps.Add(1)
			return kvStep(state, input, output)
		}
	}
	return ref.Model{
		Partition: func(h []ref.Operation) [][]ref.Operation {
			return partition(h, func(o ref.Operation) string { return key(o.Input) })
		},
		Init:  func() any { return "" },
		Step:  step,
		Equal: kvEqual,
		Hash:  kvHash,
	}
}

func oursModel() ours.Model {
	return ours.Model{
		Partition: func(h []ours.Operation) [][]ours.Operation {
			return partition(h, func(o ours.Operation) string { return key(o.Input) })
		},
		PartitionEvent: func(h []ours.Event) [][]ours.Event {
			keyOf := map[int]string{} // call id -> key
			return partition(h, func(e ours.Event) string {
				if e.Kind == ours.CallEvent {
					keyOf[e.Id] = key(e.Value)
				}
				return keyOf[e.Id]
			})
		},
		Init:  func() any { return "" },
		Step:  kvStep,
		Equal: kvEqual,
		Hash:  kvHash,
	}
}

func refOperations(h []op) []ref.Operation {
	out := make([]ref.Operation, len(h))
	for i, o := range h {
		out[i] = ref.Operation{ClientId: o.client, Input: o.in, Call: o.call, Output: o.out, Return: o.ret}
		if o.unknown {
			out[i].Output, out[i].Return = anyOutput{}, math.MaxInt64
		}
	}
	return out
}

func oursOperations(h []op) []ours.Operation {
	out := make([]ours.Operation, len(h))
	for i, o := range h {
		out[i] = ours.Operation{ClientId: o.client, Input: o.in, Call: o.call, Output: o.out, Return: o.ret, Unknown: o.unknown}
		if o.unknown {
			out[i].Output, out[i].Return = nil, 0
		}
	}
	return out
}

// events is h as ours' event history: calls before returns at the same
// instant, as the closed intervals of Operation have it.
func events(h []op) []ours.Event {
	type at struct {
		t   int64
		ret bool
		i   int
	}
	var ats []at
	for i, o := range h {
		ats = append(ats, at{o.call, false, i})
		if !o.unknown {
			ats = append(ats, at{o.ret, true, i})
		}
	}
	slices.SortStableFunc(ats, func(a, b at) int {
		if a.t != b.t {
			return cmp.Compare(a.t, b.t)
		}
		if a.ret == b.ret {
			return 0
		}
		if a.ret {
			return 1
		}
		return -1
	})
	out := make([]ours.Event, len(ats))
	for j, a := range ats {
		o := h[a.i]
		if a.ret {
			out[j] = ours.Event{ClientId: o.client, Kind: ours.ReturnEvent, Value: o.out, Id: a.i}
		} else {
			out[j] = ours.Event{ClientId: o.client, Kind: ours.CallEvent, Value: o.in, Id: a.i, Unknown: o.unknown}
		}
	}
	return out
}
