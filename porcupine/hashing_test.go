package porcupine

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type node struct {
	name string
	next *node
	tags map[string][]int
}

func TestStructuralHashFollowsContent(t *testing.T) {
	m1 := map[string]int{}
	m2 := map[string]int{}
	for i := range 50 {
		m1[string(rune('a'+i))] = i
	}
	for i := 49; i >= 0; i-- {
		m2[string(rune('a'+i))] = i
	}
	assert.Equal(t, structuralHash(m1), structuralHash(m2), "insertion order")
	m2["a"] = 7
	assert.NotEqual(t, structuralHash(m1), structuralHash(m2))

	a := &node{"a", &node{"b", nil, map[string][]int{"x": {1, 2}}}, nil}
	b := &node{"a", &node{"b", nil, map[string][]int{"x": {1, 2}}}, map[string][]int{}}
	assert.Equal(t, structuralHash(a), structuralHash(b), "pointees, and nil and empty maps alike")
	b.next.tags["x"][1] = 3
	assert.NotEqual(t, structuralHash(a), structuralHash(b))

	assert.Equal(t, structuralHash([]int(nil)), structuralHash([]int{}))
	assert.NotEqual(t, structuralHash([]int{1, 2}), structuralHash([]int{2, 1}), "slices are ordered")
	assert.Equal(t, structuralHash([]any{1, "x"}), structuralHash([]any{"x", 1}), "ToModel's sets are not")
	assert.Equal(t, structuralHash(0.0), structuralHash(math.Copysign(0, -1)))
	assert.Equal(t, structuralHash(map[string]string{"k": "v", "l": "w"}), structuralHash(map[string]string{"l": "w", "k": "v"}))

	// A cycle stops at the depth bound instead of running forever.
	c := &node{name: "c"}
	c.next = c
	assert.Equal(t, structuralHash(c), structuralHash(c))
	f := struct{ f func() }{func() {}}
	assert.Equal(t, structuralHash(f), structuralHash(struct{ f func() }{nil}))
}

func withoutHash(m Model) Model {
	if m.Equal == nil {
		m.Equal = func(a, b any) bool { return a == b }
	}
	m.Hash = nil
	return m
}

func TestEqualOnlyModelsAgreeWithBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, c := range []struct {
		name  string
		model Model
		gen   func(*rand.Rand, int) []Operation
	}{
		{"register", withoutHash(regModel()), randomRegisterHistory},
		{"kv", withoutHash(kvModel()), randomKVHistory},
		{"kv, one map of all keys", mapKVModel(false), randomKVHistory},
	} {
		for i := range 2000 {
			h := c.gen(r, 1+r.IntN(8))
			res, err := Check(c.model, h, Options{})
			require.NoError(t, err)
			require.Equal(t, bruteForce(c.model, h), res.Verdict == Ok, "%s history %d: %+v", c.name, i, h)
		}
	}
}

// setModel is a grow-only set kept as a slice in the order of its adds;
// reads return the members sorted. Its Equal ignores the order, so
// structuralHash, which does not, disagrees with it.
func setModel() Model {
	return Model{
		Init: func() any { return []int(nil) },
		Step: func(state, input, output any) (bool, any) {
			st, in := state.([]int), input.(regIn)
			if in.op == 'w' {
				if slices.Contains(st, in.val) {
					return true, st
				}
				return true, append(slices.Clone(st), in.val)
			}
			sorted := slices.Sorted(slices.Values(st))
			return slices.Equal(sorted, output.([]int)), st
		},
		Equal: func(a, b any) bool {
			x, y := slices.Sorted(slices.Values(a.([]int))), slices.Sorted(slices.Values(b.([]int)))
			return slices.Equal(x, y)
		},
	}
}

// setHistory has clients adding distinct members concurrently, and reads.
func setHistory(r *rand.Rand, n int) []Operation {
	var h []Operation
	var members []int
	for i := range n {
		call := int64(i * 3)
		o := Operation{ClientId: i % 12, Call: call, Return: call + 30}
		if i%4 == 3 {
			o.Input, o.Output = regIn{op: 'r'}, slices.Sorted(slices.Values(members))
		} else {
			v := r.IntN(1000)*100 + i
			members = append(members, v)
			o.Input, o.Output = regIn{op: 'w', val: v}, nil
		}
		h = append(h, o)
	}
	return h
}

func TestCoarseEqualStopsTheDerivedHash(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	m := setModel()
	exact := setModel()
	exact.Hash = func(s any) uint64 {
		var h uint64
		for _, v := range s.([]int) {
			h += mix64(uint64(v))
		}
		return h
	}
	for i := range 6 {
		h := setHistory(r, 40)
		want := Ok
		if i%2 == 1 {
			h[len(h)-1].Output = []int{-1}
			want = Illegal
		}
		exactRes, err := Check(exact, h, Options{})
		require.NoError(t, err)
		require.Equal(t, want, exactRes.Verdict)
		// Once the memo compares states with Equal it prunes as the exact
		// hash does; with the derived hash it would not, exponentially.
		s := newSearch(mustCompile(t, m), &control{}, 0, h, false, true)
		s.start()
		for !s.turn() {
			require.LessOrEqual(t, s.explored, 2*exactRes.Explored+1000, "history %d", i)
		}
		assert.Equal(t, exactRes.Explored > 1000, !s.states.derived, "history %d: equal states with other hashes", i)
		require.Equal(t, want, s.finish().verdict, "history %d", i)
	}
}
