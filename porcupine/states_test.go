package porcupine

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStateHandlesAcrossBlocks(t *testing.T) {
	st := newStateTable(mustCompile(t, regModel()), true)
	for i := range 1000 {
		id, fresh := st.intern(i)
		require.True(t, fresh)
		require.Equal(t, int32(i), id)
	}
	for i := range 1000 {
		require.Equal(t, i, st.get(int32(i)), "handle %d", i)
		id, fresh := st.intern(i)
		require.False(t, fresh)
		require.Equal(t, int32(i), id)
	}
}

func TestDroppedHandleIsReused(t *testing.T) {
	st := newStateTable(mustCompile(t, regModel()), false)
	// 16 fills the first block exactly: the next handle opens a block.
	for i := range 16 {
		st.intern(i)
	}
	id, _ := st.intern(16)
	st.dropLast()
	id2, _ := st.intern(17)
	assert.Equal(t, id, id2)
	assert.Equal(t, 17, st.get(id2))
	assert.Len(t, st.blocks, 2)
}

// appendOnly is a one-key history of appends and reads by concurrent
// clients: every order of appends is a state of its own, so states hardly
// repeat.
func appendOnly(r *rand.Rand, n int) []Operation {
	return simulate(r, 6, n, 0,
		func(c, i int) any {
			if r.IntN(3) == 0 {
				return kvIn{op: 'g', key: "k"}
			}
			return kvIn{op: 'a', key: "k", value: strconv.Itoa(i) + ";"}
		},
		func() any { return map[string]string{} },
		func(state, in any) (any, any) {
			m, op := state.(map[string]string), in.(kvIn)
			if op.op == 'g' {
				return m, kvOut{value: m[op.key]}
			}
			m[op.key] += op.value
			return m, kvOut{}
		})
}

func TestInterningStopsWhenStatesDoNotRepeat(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	for i := range 6 {
		h := appendOnly(r, 50)
		want := Ok
		if i%2 == 1 && plant(r, h) {
			want = Illegal
		}
		s := newSearch(mustCompile(t, kvModel()), &control{}, 0, h, false, true)
		s.start()
		for !s.turn() {
		}
		if s.states.count() > internJudgeAfter {
			assert.False(t, s.states.interns, "history %d: %d states", i, s.states.count())
		}
		assert.Equal(t, want, s.finish().verdict, "history %d", i)
	}
}
