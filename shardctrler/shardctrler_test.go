package shardctrler

import (
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"raftlab/labtest/cluster"
)

// classicBudget is what the classic tester allowed every test: 120 s.
var classicBudget = cluster.Budget{Virtual: 120 * time.Second}

// Each part of the classic tests is a subtest with its own cluster: a part
// that needs the state an earlier one left makes it itself, so every part
// runs, and replays, alone (-run 'TestBasic/Move').

// suiteSetup is the servers' setup in every test of the suite: the
// flawed-variant tests (flawed_test.go) swap in a flawed rebalance.
var suiteSetup = setup{}

// runPart runs body as the subtest name on three fresh controllers.
func runPart(t *testing.T, name string, body func(cfg *config, ck *ctrlClerk)) {
	t.Run(name, func(t *testing.T) {
		cluster.Run(t, classicBudget, func(w *cluster.World) {
			cfg := makeConfig(w, suiteSetup)
			body(cfg, cfg.clerk())
		})
	})
}

func TestBasic(t *testing.T) {
	runPart(t, "LeaveJoin", func(cfg *config, ck *ctrlClerk) {
		cfg.w.Begin("basic leave/join")
		leaveJoin(cfg, ck)
		cfg.report()
	})
	runPart(t, "HistoricalQueries", func(cfg *config, ck *ctrlClerk) {
		history := leaveJoin(cfg, ck)
		cfg.w.Begin("historical queries")
		for s := range cfg.N() {
			cfg.Crash(s)
			for _, c := range history {
				cfg.checkSame(fmt.Sprintf("Query(%d) with server %d down", c.Num, s), c, ck.query(c.Num))
			}
			cfg.StartAll() // restarts s and connects every server
		}
		cfg.report()
	})
	runPart(t, "Move", func(cfg *config, ck *ctrlClerk) {
		cfg.w.Begin("move")
		const gid3, gid4 = 503, 504
		ck.join(map[int][]string{gid3: {"3a", "3b", "3c"}})
		ck.join(map[int][]string{gid4: {"4a", "4b", "4c"}})
		cfg.checkLatest(ck, gid3, gid4)
		for s := range NShards {
			gid := gid4
			if s < NShards/2 {
				gid = gid3
			}
			before := ck.query(-1)
			ck.move(s, gid)
			if after := ck.query(-1); after.Num <= before.Num {
				cfg.w.Fatalf("Move(%d, %d) did not make a new configuration: the latest is still config %d", s, gid, after.Num)
			}
		}
		moved := ck.query(-1)
		for s, gid := range moved.Shards {
			if want := map[bool]int{true: gid3, false: gid4}[s < NShards/2]; gid != want {
				cfg.w.Fatalf("after the Moves, config %d puts shard %d on gid %d, want %d (shards %v)", moved.Num, s, gid, want, moved.Shards)
			}
		}
		ck.leave(gid3)
		ck.leave(gid4)
		cfg.checkLatest(ck)
		cfg.report()
	})
	runPart(t, "ConcurrentLeaveJoin", func(cfg *config, ck *ctrlClerk) {
		cfg.w.Begin("concurrent leave/join")
		concurrentLeaveJoin(cfg, ck, joinApart)
		cfg.report()
	})
	runPart(t, "MinimalTransfer", func(cfg *config, ck *ctrlClerk) {
		concurrentLeaveJoin(cfg, ck, joinApart)
		cfg.w.Begin("minimal transfers after joins")
		joinMore(cfg, ck, joinApart)
		cfg.report()
	})
	runPart(t, "MinimalTransferAfterLeave", func(cfg *config, ck *ctrlClerk) {
		gids := concurrentLeaveJoin(cfg, ck, joinApart)
		more := joinMore(cfg, ck, joinApart)
		cfg.w.Begin("minimal transfers after leaves")
		leaveMore(cfg, ck, gids, more, joinApart)
		cfg.report()
	})
}

// leaveJoin is the classic basic leave/join: two groups join, one at a
// time, then leave. It returns the configurations it saw, config 0 first.
func leaveJoin(cfg *config, ck *ctrlClerk) []Config {
	cfg.w.T().Helper()
	const gid1, gid2 = 1, 2
	servers := map[int][]string{gid1: {"x", "y", "z"}, gid2: {"a", "b", "c"}}
	history := []Config{cfg.checkLatest(ck)}
	ck.join(map[int][]string{gid1: servers[gid1]})
	history = append(history, cfg.checkLatest(ck, gid1))
	ck.join(map[int][]string{gid2: servers[gid2]})
	c := cfg.checkLatest(ck, gid1, gid2)
	history = append(history, c)
	for gid, want := range servers {
		if got := c.Groups[gid]; !slices.Equal(got, want) {
			cfg.w.Fatalf("config %d gives group %d the servers %v, want %v as joined", c.Num, gid, got, want)
		}
	}
	ck.leave(gid1)
	history = append(history, cfg.checkLatest(ck, gid2))
	ck.leave(gid2)
	history = append(history, cfg.checkLatest(ck))
	for i, c := range history {
		if c.Num != i {
			cfg.w.Fatalf("config numbers must count the changes from 0: the configs after each step are numbered %v", configNums(history))
		}
	}
	return history
}

func configNums(cs []Config) []int {
	var out []int
	for _, c := range cs {
		out = append(out, c.Num)
	}
	return out
}

// joinMode says whether groups join one to a call or several at once.
type joinMode int

const (
	joinApart    joinMode = iota // one gid per Join, one per Leave: TestBasic
	joinTogether                 // several gids in one Join or Leave: TestMulti
)

// npara is the number of clerks of the concurrent tests, each with its own
// group.
const npara = 10

// concurrentLeaveJoin has npara clerks at once each join a group and a
// second one and make the second leave; it checks the result and returns
// the groups that stay.
func concurrentLeaveJoin(cfg *config, ck *ctrlClerk, mode joinMode) []int {
	cfg.w.T().Helper()
	gids := make([]int, npara)
	done := make(chan struct{}, npara)
	for i := range npara {
		gid := 100 + 10*i
		gids[i] = gid
		cki := cfg.clerk()
		cfg.w.H.Go(fmt.Sprintf("clerk %d: join %d and %d, leave %d", i, gid, gid+1000, gid+1000), func() {
			servers := map[int][]string{gid: {fmt.Sprintf("s%da", gid)}, gid + 1000: {fmt.Sprintf("s%db", gid)}}
			if mode == joinTogether {
				cki.ck.Join(servers)
			} else {
				cki.ck.Join(map[int][]string{gid + 1000: servers[gid+1000]})
				cki.ck.Join(map[int][]string{gid: servers[gid]})
			}
			cki.ck.Leave([]int{gid + 1000})
			done <- struct{}{}
		})
	}
	deadline := time.After(callWait)
	for range npara {
		select {
		case <-done:
		case <-deadline:
			cfg.w.Fatalf("liveness: %d clerks' joins and leaves did not all complete within %v (virtual) with every controller up", npara, callWait)
		}
	}
	cfg.checkLatest(ck, gids...)
	return gids
}

// joinMore joins five more groups to the npara of concurrentLeaveJoin,
// checking each change for minimal transfers, and returns them.
func joinMore(cfg *config, ck *ctrlClerk, mode joinMode) []int {
	cfg.w.T().Helper()
	c1 := ck.query(-1)
	stayed := slices.Sorted(maps.Keys(c1.Groups))
	var more []int
	batch := map[int][]string{}
	for i := range 5 {
		gid := npara + 1 + i
		more = append(more, gid)
		batch[gid] = []string{fmt.Sprintf("%da", gid), fmt.Sprintf("%db", gid), fmt.Sprintf("%dc", gid)}
		if mode == joinApart {
			before := ck.query(-1)
			ck.join(batch)
			after := cfg.checkLatest(ck, append(slices.Clone(stayed), more...)...)
			cfg.checkMinimal(fmt.Sprintf("Join(%d)", gid), before, after)
			batch = map[int][]string{}
		}
	}
	if mode == joinTogether {
		ck.join(batch)
	}
	c2 := cfg.checkLatest(ck, append(slices.Clone(stayed), more...)...)
	cfg.checkMinimal(fmt.Sprintf("the Joins of %v", more), c1, c2)
	return more
}

// leaveMore makes the groups more leave again, checking each change.
func leaveMore(cfg *config, ck *ctrlClerk, stay, more []int, mode joinMode) {
	cfg.w.T().Helper()
	c2 := ck.query(-1)
	if mode == joinTogether {
		ck.leave(more...)
	} else {
		for i, gid := range more {
			before := ck.query(-1)
			ck.leave(gid)
			after := cfg.checkLatest(ck, append(slices.Clone(stay), more[i+1:]...)...)
			cfg.checkMinimal(fmt.Sprintf("Leave(%d)", gid), before, after)
		}
	}
	c3 := cfg.checkLatest(ck, stay...)
	cfg.checkMinimal(fmt.Sprintf("the Leaves of %v", more), c2, c3)
}

// report closes the measured part of a test.
func (cfg *config) report() {
	cfg.w.T().Helper()
	cfg.w.H.Settle()
	cfg.w.End(fmt.Sprintf(", %d peers", cfg.N()))
}

// Minimal transfers where shards must move: fewer groups than shards, so
// every Join takes shards from the others and every Leave hands its
// shards out, one group at a time and several at once, and from uneven
// assignments that Moves left. Every change must move exactly as few
// shards as an even assignment can.
func TestMinimalAgain(t *testing.T) {
	cluster.Run(t, classicBudget, func(w *cluster.World) {
		cfg := makeConfig(w, suiteSetup)
		ck := cfg.clerk()
		var gids []int
		servers := func(gids ...int) map[int][]string {
			m := map[int][]string{}
			for _, g := range gids {
				m[g] = []string{fmt.Sprintf("s%da", g), fmt.Sprintf("s%db", g)}
			}
			return m
		}
		change := func(what string, do func(), gidsAfter []int) {
			w.T().Helper()
			before := ck.query(-1)
			do()
			gids = gidsAfter
			cfg.checkMinimal(what, before, cfg.checkLatest(ck, gids...))
		}

		w.Begin("minimal transfers, one group at a time")
		for g := 1; g <= NShards+2; g++ {
			change(fmt.Sprintf("Join(%d)", g), func() { ck.join(servers(g)) }, append(slices.Clone(gids), g))
		}
		w.Rand.Shuffle(len(gids), func(i, j int) { gids[i], gids[j] = gids[j], gids[i] })
		for len(gids) > 1 {
			g := gids[0]
			change(fmt.Sprintf("Leave(%d)", g), func() { ck.leave(g) }, slices.Clone(gids[1:]))
		}
		cfg.report()

		w.Begin("minimal transfers, several groups at once")
		for _, batch := range [][]int{{21, 22, 23}, {24, 25}, {26, 27, 28, 29}} {
			change(fmt.Sprintf("Join(%v)", batch), func() { ck.join(servers(batch...)) }, append(slices.Clone(gids), batch...))
		}
		for len(gids) > 2 {
			leaving := slices.Clone(gids[:min(3, len(gids)-2)])
			change(fmt.Sprintf("Leave(%v)", leaving), func() { ck.leave(leaving...) }, slices.Clone(gids[len(leaving):]))
		}
		cfg.report()

		w.Begin("minimal transfers from uneven assignments")
		for s := range NShards {
			ck.move(s, gids[0]) // all on one group
		}
		change("Join(31)", func() { ck.join(servers(31)) }, append(slices.Clone(gids), 31))
		for s := range NShards / 2 {
			ck.move(s, 31)
		}
		change(fmt.Sprintf("Leave(%d)", gids[1]), func() { ck.leave(gids[1]) }, []int{gids[0], 31})
		change("Join(32, 33)", func() { ck.join(servers(32, 33)) }, []int{gids[0], 31, 32, 33})
		cfg.report()
	})
}

func TestMulti(t *testing.T) {
	runPart(t, "LeaveJoin", func(cfg *config, ck *ctrlClerk) {
		cfg.w.Begin("multi-group join/leave")
		cfg.checkLatest(ck)
		servers := map[int][]string{1: {"x", "y", "z"}, 2: {"a", "b", "c"}, 3: {"j", "k", "l"}}
		ck.join(map[int][]string{1: servers[1], 2: servers[2]})
		cfg.checkLatest(ck, 1, 2)
		ck.join(map[int][]string{3: servers[3]})
		c := cfg.checkLatest(ck, 1, 2, 3)
		for gid, want := range servers {
			if got := c.Groups[gid]; !slices.Equal(got, want) {
				cfg.w.Fatalf("config %d gives group %d the servers %v, want %v as joined", c.Num, gid, got, want)
			}
		}
		ck.leave(1, 3)
		cfg.checkLatest(ck, 2)
		ck.leave(2)
		cfg.checkLatest(ck)
		cfg.report()
	})
	runPart(t, "ConcurrentLeaveJoin", func(cfg *config, ck *ctrlClerk) {
		cfg.w.Begin("concurrent multi leave/join")
		concurrentLeaveJoin(cfg, ck, joinTogether)
		cfg.report()
	})
	runPart(t, "MinimalTransfer", func(cfg *config, ck *ctrlClerk) {
		concurrentLeaveJoin(cfg, ck, joinTogether)
		cfg.w.Begin("minimal transfers after multijoins")
		joinMore(cfg, ck, joinTogether)
		cfg.report()
	})
	runPart(t, "MinimalTransferAfterLeave", func(cfg *config, ck *ctrlClerk) {
		gids := concurrentLeaveJoin(cfg, ck, joinTogether)
		more := joinMore(cfg, ck, joinTogether)
		cfg.w.Begin("minimal transfers after multileaves")
		leaveMore(cfg, ck, gids, more, joinTogether)
		cfg.report()
	})
	runPart(t, "AgreeConfig", func(cfg *config, ck *ctrlClerk) {
		concurrentLeaveJoin(cfg, ck, joinTogether)
		joinMore(cfg, ck, joinTogether)
		cfg.w.Begin("check same config on servers")
		// The classic check: the leader's successor has the same latest
		// configuration.
		leader := cfg.CheckOneLeader()
		latest := ck.query(-1)
		cfg.Crash(leader)
		cfg.CheckOneLeader()
		cfg.checkSame(fmt.Sprintf("Query(-1) after the leader, server %d, crashed", leader), latest, ck.query(-1))
		cfg.StartAll()
		// And every server's whole list, as far as each comes to lead.
		checked := cfg.checkServersAgree(ck, 8)
		cfg.w.Logf("determinism: compared the configurations of %d of %d servers", checked, cfg.N())
		cfg.report()
	})
}
