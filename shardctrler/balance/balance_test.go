package balance

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The properties Rebalance promises, checked after every Join and Leave of
// many random histories of Joins, Leaves and Moves (Moves leave uneven
// assignments for the next Rebalance to start from).

func TestNoGroupsPutsEveryShardOnGidZero(t *testing.T) {
	assert.Equal(t, make([]int, 10), Rebalance([]int{1, 1, 2, 2, 3, 3, 1, 2, 3, 1}, map[int]bool{}))
	assert.Equal(t, make([]int, 10), Rebalance(make([]int, 10), map[int]bool(nil)))
}

func TestFirstJoinTakesEveryShard(t *testing.T) {
	assert.Equal(t, slices.Repeat([]int{7}, 10), Rebalance(make([]int, 10), map[int]bool{7: true}))
}

func TestMoreGroupsThanShardsKeepsOwners(t *testing.T) {
	shards := []int{1, 2, 3}
	groups := map[int]bool{1: true, 2: true, 3: true, 4: true, 5: true}
	assert.Equal(t, shards, Rebalance(shards, groups), "each group already has at most one shard: nothing need move")
}

func TestRebalanceLeavesItsInputAlone(t *testing.T) {
	shards := []int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}
	_ = Rebalance(shards, map[int]bool{1: true, 2: true})
	assert.Equal(t, slices.Repeat([]int{1}, 10), shards)
}

// history is one random run of the controller's changes.
type history struct {
	r      *rand.Rand
	shards []int
	groups map[int][]string
	next   int // the next new gid
	step   int
	log    []string // what happened, for a failure's message
}

func TestRandomHistories(t *testing.T) {
	for seed := uint64(1); seed <= 300; seed++ {
		r := rand.New(rand.NewPCG(seed, 0x5ba1a2ce))
		nShards := 10
		if seed%3 == 0 { // other shard counts too: the algorithm must not lean on 10
			nShards = 1 + r.IntN(24)
		}
		h := &history{r: r, shards: make([]int, nShards), groups: map[int][]string{}, next: 1 + r.IntN(1000)}
		t.Run(fmt.Sprintf("seed=%d/shards=%d", seed, nShards), func(t *testing.T) {
			for h.step = 0; h.step < 40; h.step++ {
				h.change(t)
				if t.Failed() {
					t.Logf("history:\n%s", joinLines(h.log))
					return
				}
			}
		})
	}
}

// change makes one random Join, Leave or Move and checks Rebalance's result.
func (h *history) change(t *testing.T) {
	t.Helper()
	before := slices.Clone(h.shards)
	switch k := h.r.IntN(10); {
	case k < 2 && len(h.groups) > 0: // Move: no rebalance
		gids := sortedGids(h.groups)
		s, g := h.r.IntN(len(h.shards)), gids[h.r.IntN(len(gids))]
		h.shards[s] = g
		h.log = append(h.log, fmt.Sprintf("Move(%d, %d) -> %v", s, g, h.shards))
		return
	case k < 6 || len(h.groups) == 0: // Join of one to three groups
		var joined []int
		for range 1 + h.r.IntN(3) {
			h.next += 1 + h.r.IntN(5)
			h.groups[h.next] = []string{fmt.Sprintf("server-%d", h.next)}
			joined = append(joined, h.next)
		}
		h.shards = Rebalance(before, h.groups)
		h.log = append(h.log, fmt.Sprintf("Join%v: %v -> %v", joined, before, h.shards))
	default: // Leave of one or two groups, maybe all
		gids := sortedGids(h.groups)
		h.r.Shuffle(len(gids), func(i, j int) { gids[i], gids[j] = gids[j], gids[i] })
		left := gids[:min(len(gids), 1+h.r.IntN(2))]
		for _, g := range left {
			delete(h.groups, g)
		}
		h.shards = Rebalance(before, h.groups)
		h.log = append(h.log, fmt.Sprintf("Leave%v: %v -> %v", left, before, h.shards))
	}
	checkComplete(t, h.shards, h.groups)
	checkEven(t, h.shards, h.groups)
	checkMinimal(t, before, h.shards, h.groups)
	checkDeterministic(t, h.r, before, h.groups, h.shards)
}

// checkComplete: every shard on a gid of groups, or on 0 when there is none.
func checkComplete(t *testing.T, shards []int, groups map[int][]string) {
	t.Helper()
	for s, g := range shards {
		if len(groups) == 0 {
			require.Zerof(t, g, "complete: with no groups every shard belongs on gid 0, shard %d is on %d", s, g)
			continue
		}
		_, ok := groups[g]
		require.Truef(t, ok, "complete: shard %d is on gid %d, which is not a group of the configuration (groups %v)", s, g, sortedGids(groups))
	}
}

// checkEven: the groups' shard counts differ by at most one.
func checkEven(t *testing.T, shards []int, groups map[int][]string) {
	t.Helper()
	if len(groups) == 0 {
		return
	}
	counts := countsOf(shards, groups)
	lo, hi := slices.Min(counts), slices.Max(counts)
	require.LessOrEqualf(t, hi-lo, 1, "even: group shard counts range from %d to %d: %v", lo, hi, shards)
}

// checkMinimal: no more shards moved than the fewest any complete, even
// assignment moves. That fewest is worked out here from counts alone: each
// of the n groups gets base = N/n shards and extra = N%n of them one more,
// so a group g that owns c(g) shards keeps at most min(c(g), base), plus
// one for each of the extra groups with c(g) > base.
func checkMinimal(t *testing.T, before, after []int, groups map[int][]string) {
	t.Helper()
	moved := 0
	for s := range before {
		if before[s] != after[s] {
			moved++
		}
	}
	var fewest int
	if len(groups) == 0 {
		for _, g := range before {
			if g != 0 {
				fewest++
			}
		}
	} else {
		base, extra := len(before)/len(groups), len(before)%len(groups)
		kept, above := 0, 0
		for _, c := range countsOf(before, groups) {
			kept += min(c, base)
			if c > base {
				above++
			}
		}
		fewest = len(before) - kept - min(extra, above)
	}
	require.Equalf(t, fewest, moved, "minimal: %d shards moved (%v -> %v), but an even assignment needs to move only %d", moved, before, after, fewest)
}

// checkDeterministic: the same contents, in maps built in other orders
// (and so iterated in others), give the same result.
func checkDeterministic(t *testing.T, r *rand.Rand, before []int, groups map[int][]string, want []int) {
	t.Helper()
	gids := sortedGids(groups)
	for range 4 {
		r.Shuffle(len(gids), func(i, j int) { gids[i], gids[j] = gids[j], gids[i] })
		again := make(map[int][]string, r.IntN(2*len(gids)+1))
		for _, g := range gids {
			again[g] = groups[g]
		}
		require.Equalf(t, want, Rebalance(slices.Clone(before), again),
			"deterministic: Rebalance(%v, groups %v) gave another result for the same groups in a map built in another order", before, gids)
	}
}

func countsOf(shards []int, groups map[int][]string) []int {
	per := map[int]int{}
	for _, g := range shards {
		per[g]++
	}
	var counts []int
	for _, g := range sortedGids(groups) {
		counts = append(counts, per[g])
	}
	return counts
}

func sortedGids(groups map[int][]string) []int {
	var gids []int
	for g := range groups {
		gids = append(gids, g)
	}
	slices.Sort(gids)
	return gids
}

func joinLines(lines []string) string {
	var out string
	for _, l := range lines {
		out += "  " + l + "\n"
	}
	return out
}
