package shardctrler

// The checks the tests make of configurations: the classic ones (the
// groups are the ones joined, every shard on one of them, evenly) and the
// minimal-transfer ones, which count moved shards against the fewest any
// even assignment must move.

import (
	"fmt"
	"maps"
	"slices"
	"time"
)

// checkLatest queries the latest configuration and checks it: exactly the
// groups gids, and every shard on one of them, evenly (checkValid).
func (cfg *config) checkLatest(ck *ctrlClerk, gids ...int) Config {
	cfg.w.T().Helper()
	c := ck.query(-1)
	cfg.checkValid(c, gids)
	return c
}

// checkValid fails the test unless c has exactly the groups gids, every
// shard on one of them (on gid 0 when there are none), and shard counts
// per group that differ by at most one.
func (cfg *config) checkValid(c Config, gids []int) {
	cfg.w.T().Helper()
	want := slices.Sorted(slices.Values(gids))
	if got := slices.Sorted(maps.Keys(c.Groups)); !slices.Equal(got, want) {
		cfg.w.Fatalf("config %d has groups %v, want %v", c.Num, got, want)
	}
	counts := map[int]int{}
	for s, g := range c.Shards {
		if _, ok := c.Groups[g]; !ok && (len(c.Groups) > 0 || g != 0) {
			if len(c.Groups) == 0 {
				cfg.w.Fatalf("config %d has no groups but shard %d on gid %d: with no groups every shard belongs on gid 0", c.Num, s, g)
			}
			cfg.w.Fatalf("config %d puts shard %d on gid %d, which is not one of its groups %v (shards %v)", c.Num, s, g, want, c.Shards)
		}
		counts[g]++
	}
	if len(c.Groups) == 0 {
		return
	}
	lo, hi := NShards, 0
	for g := range c.Groups {
		lo, hi = min(lo, counts[g]), max(hi, counts[g])
	}
	if hi-lo > 1 {
		cfg.w.Fatalf("config %d is not balanced: groups hold from %d to %d shards, at most one apart is possible (shards %v)", c.Num, lo, hi, c.Shards)
	}
}

// checkSame fails the test unless got is want (a historical query's
// answer against what the same number returned before).
func (cfg *config) checkSame(what string, want, got Config) {
	cfg.w.T().Helper()
	if diff := configDiff(want, got); diff != "" {
		cfg.w.Fatalf("%s: config %d changed: %s", what, want.Num, diff)
	}
}

// checkMinimal fails the test unless the change from before to after (a
// Join or a Leave, after being valid) moved as few shards as an even
// assignment can. When before is even, it also fails the test if a shard
// moved between two groups that are in both configurations: a minimal
// change from an even assignment only moves shards to joined groups and
// from departed ones. That is the classic check, on groups that exist;
// the count also covers changes from uneven assignments (after Moves),
// where shards may have to move between groups that stay.
func (cfg *config) checkMinimal(change string, before, after Config) {
	cfg.w.T().Helper()
	for s := range NShards {
		from, to := before.Shards[s], after.Shards[s]
		_, fromStays := after.Groups[from]
		_, toWasThere := before.Groups[to]
		if from != to && fromStays && toWasThere && isEven(before) {
			cfg.w.Fatalf("non-minimal transfer after %s: shard %d moved from group %d to group %d, both in config %d and in config %d (shards %v -> %v)",
				change, s, from, to, before.Num, after.Num, before.Shards, after.Shards)
		}
	}
	if moved, fewest := movedShards(before, after), fewestMoves(before, after.Groups); moved > fewest {
		cfg.w.Fatalf("non-minimal transfer after %s: %d shards moved from config %d to config %d, an even assignment needs to move only %d (shards %v -> %v)",
			change, moved, before.Num, after.Num, fewest, before.Shards, after.Shards)
	}
}

// isEven reports whether c has groups, every shard on one of them, and
// shard counts at most one apart.
func isEven(c Config) bool {
	if len(c.Groups) == 0 {
		return false
	}
	counts := map[int]int{}
	for _, g := range c.Shards {
		if _, ok := c.Groups[g]; !ok {
			return false
		}
		counts[g]++
	}
	lo, hi := NShards, 0
	for g := range c.Groups {
		lo, hi = min(lo, counts[g]), max(hi, counts[g])
	}
	return hi-lo <= 1
}

func movedShards(before, after Config) int {
	n := 0
	for s := range NShards {
		if before.Shards[s] != after.Shards[s] {
			n++
		}
	}
	return n
}

// fewestMoves is the fewest shards any complete, even assignment to groups
// moves from before: each of the n groups gets base = NShards/n shards and
// extra = NShards%n of them one more, so a group owning c shards keeps at
// most min(c, base), plus one for each of the extra groups with c > base.
func fewestMoves[V any](before Config, groups map[int]V) int {
	if len(groups) == 0 {
		n := 0
		for _, g := range before.Shards {
			if g != 0 {
				n++
			}
		}
		return n
	}
	owned := map[int]int{}
	for _, g := range before.Shards {
		if _, ok := groups[g]; ok {
			owned[g]++
		}
	}
	base, extra := NShards/len(groups), NShards%len(groups)
	kept, above := 0, 0
	for _, c := range owned {
		kept += min(c, base)
		if c > base {
			above++
		}
	}
	return NShards - kept - min(extra, above)
}

// ---- agreement across the servers -------------------------------------------

// checkServersAgree makes each server in turn the leader, as far as it
// can, and asks it, alone, for every configuration up to the latest: each
// answer must be the one recorded for its number (checkAnswer). A server
// that leads answers from its own list, so this compares the lists of all
// the servers it reaches. Which server wins an election is up to the Raft:
// after rounds leader changes the check passes over the servers that never
// led, saying so in the log, rather than fail a correct service. It
// returns how many servers it checked.
func (cfg *config) checkServersAgree(ck *ctrlClerk, rounds int) int {
	cfg.w.T().Helper()
	latest := ck.query(-1).Num
	checked := map[int]bool{}
	for round := 0; round < rounds && len(checked) < cfg.N(); round++ {
		leader := cfg.CheckOneLeader()
		if !checked[leader] && cfg.queryAllVia(leader, latest) {
			checked[leader] = true
		}
		// Another leader: cut this one off until the others elect one.
		cfg.Disconnect(leader)
		cfg.CheckOneLeader()
		cfg.Connect(leader)
	}
	if len(checked) < cfg.N() {
		cfg.w.Logf("determinism: only servers %v led in %d leader changes; the others' configurations went unchecked", slices.Sorted(maps.Keys(checked)), rounds)
	}
	return len(checked)
}

// queryAllVia asks server i alone for configurations 0..latest, with a
// clerk that reaches no other server; false when i stopped leading
// before it answered them all (the clerk then finishes through the
// others, so that no call is left hanging).
func (cfg *config) queryAllVia(i, latest int) bool {
	cfg.w.T().Helper()
	ck := cfg.clerk()
	ck.client.ConnectOnly(cfg, []int{i})
	ck.via = fmt.Sprintf("server %v, leading", cfg.ServerName(i))
	done := make(chan struct{})
	cfg.w.H.Go(fmt.Sprintf("queries of configs 0..%d via server %d", latest, i), func() {
		for n := 0; n <= latest; n++ {
			ck.queryNow(n)
		}
		close(done)
	})
	select {
	case <-done:
		return true
	case <-time.After(2*time.Second + time.Duration(latest+1)*300*time.Millisecond):
		// A Raft that commits on its next heartbeat (10/s) answers each
		// query within about 200 ms.
	}
	all := make([]int, cfg.N())
	for j := range all {
		all[j] = j
	}
	ck.client.ConnectTo(cfg, all...)
	select {
	case <-done:
	case <-time.After(callWait):
		cfg.w.Fatalf("liveness: queries of configs 0..%d did not complete within %v (virtual) with every controller up and connected", latest, callWait)
	}
	return false
}
