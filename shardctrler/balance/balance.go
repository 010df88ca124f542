// Package balance assigns shards to replica groups for the shard
// controller: evenly, moving as few shards as it can, and identically on
// every replica.
//
// It is a package of its own, apart from the controller's server, so that
// a student's server.go, client.go and common.go dropped into
// raftlab/shardctrler never collide with its names, and so that its
// properties are tested on their own, without Raft (balance_test.go).
package balance

import (
	"cmp"
	"maps"
	"slices"
)

// Rebalance returns the assignment of shards to the groups after a Join
// or a Leave: shards[i] is the gid that owned shard i before (0: none),
// groups holds the groups of the new configuration, keyed by gid (their
// values are not read). The result, a new slice, is
//
//   - complete: every shard on a gid of groups, or every shard on 0 when
//     groups is empty;
//   - even: the groups' shard counts differ by at most one;
//   - minimal: no assignment that is complete and even keeps more shards
//     where they were;
//   - a function of its arguments' contents only: it never depends on the
//     order in which a map is iterated, so every replica applying the same
//     log computes the same configurations.
//
// Rebalance takes any prior assignment, an uneven one left by Moves
// included.
func Rebalance[V any](shards []int, groups map[int]V) []int {
	out := make([]int, len(shards))
	if len(groups) == 0 {
		return out // every shard on gid 0
	}
	gids := slices.Sorted(maps.Keys(groups))

	// owned[g]: the shards g keeps a claim to, in shard order.
	owned := make(map[int][]int, len(gids))
	var free []int
	for s, g := range shards {
		if _, live := groups[g]; live {
			owned[g] = append(owned[g], s)
		} else {
			free = append(free, s)
		}
	}

	// Each group gets base shards, and extra of them one more. Giving the
	// one more to the groups that own the most keeps the most shards in
	// place; ties go to the lower gid.
	byOwned := slices.Clone(gids)
	slices.SortStableFunc(byOwned, func(a, b int) int { return cmp.Compare(len(owned[b]), len(owned[a])) })
	base, extra := len(shards)/len(gids), len(shards)%len(gids)
	target := make(map[int]int, len(gids))
	for i, g := range byOwned {
		target[g] = base
		if i < extra {
			target[g]++
		}
	}

	// A group above its target gives up its highest shards; the free
	// shards, lowest first, fill the groups below target, lowest gid first.
	for _, g := range gids {
		if keep := target[g]; len(owned[g]) > keep {
			free = append(free, owned[g][keep:]...)
			owned[g] = owned[g][:keep]
		}
	}
	slices.Sort(free)
	for _, g := range gids {
		for len(owned[g]) < target[g] {
			owned[g] = append(owned[g], free[0])
			free = free[1:]
		}
		for _, s := range owned[g] {
			out[s] = g
		}
	}
	return out
}
