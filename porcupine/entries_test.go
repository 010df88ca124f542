package porcupine

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// sortEntries packs entries into integers when the times allow it; either
// way the order must be time, calls before returns, then operation.
func TestSortEntriesOrdersByTimeKindAndOperation(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	spans := map[string]func() int64{
		"narrow":      func() int64 { return r.Int64N(20) },
		"negative":    func() int64 { return r.Int64N(40) - 20 },
		"nanoseconds": func() int64 { return 1_700_000_000_000_000_000 + r.Int64N(30_000_000_000) },
		"full range": func() int64 {
			return []int64{math.MinInt64, math.MaxInt64, 0, r.Int64()}[r.IntN(4)]
		},
	}
	for name, at := range spans {
		for range 50 {
			var es []entry
			for op := range int32(1 + r.IntN(300)) {
				call := at()
				es = append(es, entry{call, false, op})
				if r.IntN(10) > 0 {
					es = append(es, entry{max(call, at()), true, op})
				}
			}
			want := slices.Clone(es)
			slices.SortStableFunc(want, func(a, b entry) int {
				return cmp.Or(cmp.Compare(a.t, b.t), cmp.Compare(b2u(a.ret), b2u(b.ret)), cmp.Compare(a.op, b.op))
			})
			sortEntries(es)
			require.Equal(t, want, es, "%s: entries sorted by time, calls first, then operation", name)
		}
	}
}
