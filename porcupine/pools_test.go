package porcupine

import (
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

// A search that starts on tables an earlier search left behind must find
// them empty: a stale transition or memo slot would send it to a wrong
// state or prune a configuration it never explored.
func TestSearchOnReusedTablesExploresAsOnFreshOnes(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	small := genKV(r, 6, 1, 60, 0.02)
	big := genKV(r, 8, 3, 3000, 0.01)
	illegal := genRegister(r, 4, 400, 0.01)
	require.True(t, plant(r, illegal), "no read to plant a violation in")

	drainPools := func() { runtime.GC(); runtime.GC() } // a pool keeps items through one collection
	check := func(m Model, h []Operation) Result {
		res, err := Check(m, h, Options{Parallelism: 1})
		require.NoError(t, err)
		return res
	}
	drainPools()
	fresh := check(kvModel(), small)
	freshIllegal := check(regModel(), illegal)

	for range 3 {
		check(kvModel(), big) // leaves large, full tables in the pools
		check(regModel(), illegal)
		again := check(kvModel(), small)
		require.Equal(t, fresh.Verdict, again.Verdict, "verdict on reused tables")
		require.Equal(t, fresh.Explored, again.Explored, "steps on reused tables")
		againIllegal := check(regModel(), illegal)
		require.Equal(t, freshIllegal.Verdict, againIllegal.Verdict, "verdict on reused tables")
		require.Equal(t, freshIllegal.Explored, againIllegal.Explored, "steps on reused tables")
	}
}

func TestSlicePoolHandsOutTheLengthAsked(t *testing.T) {
	var p slicePool[int32]
	for _, n := range []int{1, 64, 1 << 12, maxPooled} {
		s, zero := p.get(n)
		require.Len(t, s, n)
		require.True(t, zero, "a new slice is zero")
		s[0] = 7
		require.True(t, p.put(s))
		s = p.getZero(n)
		require.Len(t, s, n, "after a put of the same length")
		require.Zero(t, s[0], "getZero clears a reused slice")
		s, _ = p.get(2 * n)
		require.Len(t, s, 2*n, "a length with nothing pooled")
	}
	require.False(t, p.put(make([]int32, 48)), "not a power of two: dropped")
	require.False(t, p.put(make([]int32, 2*maxPooled)), "too large to keep")
}
