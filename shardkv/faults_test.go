package shardkv

// Beyond the classic suite: partitions inside one group while the others
// are healthy, and TestChaos, randomized faults over many seeds.

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"raftlab/labrpc"
	"raftlab/labtest"
	"raftlab/labtest/cluster"
	"raftlab/labtest/kvtest"
)

// One group is partitioned, its leader in the minority, while shards move
// to and from it; the other groups are healthy. Its majority elects a
// leader and carries on: every append completes, and once healed the
// minority catches up.
func TestPartitionInsideGroup5B(t *testing.T) {
	cluster.Run(t, classicBudget, func(w *cluster.World) {
		cfg := makeConfig(w, setup{maxraftstate: 300})
		cfg.begin("a partition inside one group while shards move (5B)")
		cfg.join(0)
		ck, ka, va := cfg.seed(10)
		a := cfg.startAppenders(ka, va, 50*time.Millisecond)

		g := cfg.groups[0]
		g.CheckOneLeader()
		majority, minority, leader := g.PartitionLeaderInMinority()
		w.Logf("group %d: leader %d cut off with %v, majority %v", gidOf(0), leader, minority, majority)
		cfg.join(1)
		time.Sleep(time.Second)
		cfg.join(2)
		time.Sleep(time.Second)
		cfg.leave(1)
		time.Sleep(time.Second)

		// Now the other way: group 101's leader in a minority while its
		// shards come back to it.
		g.Heal()
		h := cfg.groups[1]
		h.CheckOneLeader()
		h.PartitionLeaderInMinority()
		cfg.join(1)
		time.Sleep(time.Second)
		cfg.leave(0)
		time.Sleep(time.Second)
		h.Heal()
		time.Sleep(time.Second)

		a.stop()
		cfg.checkAll(ck, ka, a.values())
		cfg.end()
	})
}

// A shard is served only once its data has arrived: with group 100 down,
// every shard moves to group 101, which cannot pull any of them. No Get may
// complete until 100 is back (a group that served the shards before they
// arrived would answer from an empty shard); then every Get returns what
// was put.
func TestServeOnlyArrived5B(t *testing.T) {
	cluster.Run(t, classicBudget, func(w *cluster.World) {
		cfg := makeConfig(w, setup{maxraftstate: -1})
		cfg.begin("no shard served before it arrives (5B)")
		ck := cfg.clerk()
		cfg.join(0)
		ka, va := keys(w.Rand, 10, 20)
		for i := range ka {
			cfg.put(ck, ka[i], va[i])
		}
		cfg.shutdownGroup(0)
		cfg.join(1)
		cfg.leave(0) // every shard is 101's, and all are with 100, down

		done := make(chan int, len(ka))
		got := make([]string, len(ka))
		for i := range ka {
			ck1 := cfg.clerk()
			w.H.Go(fmt.Sprintf("Get(%q)", ka[i]), func() { got[i] = ck1.Get(ka[i]); done <- i })
		}
		select {
		case i := <-done:
			// A wrong value fails with the history's picture.
			cfg.hist.Check(kvtest.CheckOptions{})
			w.Fatalf("a shard was served before its data arrived: Get(%q) (shard %d) returned %q while group %d, which holds the shard, is down",
				ka[i], key2shard(ka[i]), excerpt(got[i]), gidOf(0))
		case <-time.After(3 * time.Second):
		}

		cfg.startGroup(0)
		cfg.within("the Gets, once group 100 is back", func() {
			for range ka {
				<-done
			}
		})
		for i := range ka {
			if got[i] != va[i] {
				cfg.hist.Check(kvtest.CheckOptions{})
				w.Fatalf("Get(%q) (shard %d) returned %q, want %q", ka[i], key2shard(ka[i]), excerpt(got[i]), excerpt(va[i]))
			}
		}
		cfg.end()
	})
}

const (
	chaosDefaultSeeds = 2
	chaosSteps        = 30
)

// TestChaos5B: each seed draws its own mix of joins and leaves, crashes of
// servers and whole groups, partitions inside groups, and an unreliable
// network (drops, delays, duplicated requests, late replies), while
// appenders and random clients run. Checked: at the end,
// with everything healed and up, every clerk returns and every appender's
// key holds exactly what it appended; the whole history is linearizable,
// and each shard was served by one group at a time. -seeds N runs more
// seeds; a failure prints its seed, and -run TestChaos5B -seed S replays it.
func TestChaos5B(t *testing.T) {
	for _, seed := range labtest.Seeds(t, labtest.AtLeast(chaosDefaultSeeds)) {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			cluster.Run(t, cluster.Budget{Virtual: 300 * time.Second}, chaosRun, labtest.WithSeed(seed))
		})
	}
}

func chaosRun(w *cluster.World) {
	r := w.Rand
	s := setup{maxraftstate: []int{-1, 300, 1000}[r.IntN(3)]}
	cfg := makeConfig(w, s)
	cfg.begin(fmt.Sprintf("chaos, maxraftstate %d (5B)", s.maxraftstate))
	cfg.join(r.IntN(nGroups))
	ck, ka, va := cfg.seed(10)
	a := cfg.startAppenders(ka, va, 50*time.Millisecond)
	stopRandom := cfg.startRandomClients([]string{"r0", "r1", "r2", "r3", "r4"}, 4)

	joined := map[int]bool{}
	for _, gid := range cfg.latestConfig().Shards {
		if gid != 0 {
			joined[gid-firstGid] = true
		}
	}
	for step := 1; step <= chaosSteps; step++ {
		switch k := r.IntN(8); {
		case k == 0 || k == 1: // a join or a leave, leaving at least one group in
			gi := r.IntN(nGroups)
			if joined[gi] && len(joined) > 1 {
				w.SetStep(step, fmt.Sprintf("leave %d", gidOf(gi)))
				cfg.leave(gi)
				delete(joined, gi)
			} else if !joined[gi] {
				w.SetStep(step, fmt.Sprintf("join %d", gidOf(gi)))
				cfg.join(gi)
				joined[gi] = true
			}
		case k == 2: // a server crashes, or restarts
			gi, i := r.IntN(nGroups), r.IntN(nServers)
			if cfg.groups[gi].Alive(i) {
				w.SetStep(step, fmt.Sprintf("crash server %d of group %d", i, gidOf(gi)))
				cfg.shutdownServer(gi, i)
			} else {
				w.SetStep(step, fmt.Sprintf("restart server %d of group %d", i, gidOf(gi)))
				cfg.startServer(gi, i)
			}
		case k == 3: // a whole group goes down and comes back
			gi := r.IntN(nGroups)
			w.SetStep(step, fmt.Sprintf("restart group %d", gidOf(gi)))
			cfg.shutdownGroup(gi)
			time.Sleep(time.Duration(r.IntN(500)) * time.Millisecond)
			cfg.startGroup(gi)
		case k == 4: // a partition inside a group
			gi := r.IntN(nGroups)
			w.SetStep(step, fmt.Sprintf("partition group %d", gidOf(gi)))
			servers := []int{0, 1, 2}
			r.Shuffle(len(servers), func(i, j int) { servers[i], servers[j] = servers[j], servers[i] })
			cut := 1 + r.IntN(2)
			side := slices.Clone(servers[:cut])
			slices.Sort(side)
			rest := slices.Clone(servers[cut:])
			slices.Sort(rest)
			cfg.groups[gi].Partition(side, rest)
		case k == 5: // heal a group
			gi := r.IntN(nGroups)
			w.SetStep(step, fmt.Sprintf("heal group %d", gidOf(gi)))
			cfg.groups[gi].Heal()
		case k == 6: // the network: reliable, the classic unreliable, or duplicates and late replies
			switch r.IntN(3) {
			case 0, 1:
				net := cluster.NetMode(r.IntN(2))
				w.SetStep(step, fmt.Sprintf("network %v", net))
				w.SetNet(net)
			default:
				f := labrpc.Faults{Duplicates: 0.2 * r.Float64(), ReplyMaxDelay: time.Duration(r.IntN(50)) * time.Millisecond}
				w.SetStep(step, fmt.Sprintf("network faults %+v", f))
				w.SetFaults(f)
			}
		default:
			w.SetStep(step, "quiet")
		}
		time.Sleep(time.Duration(200+r.IntN(600)) * time.Millisecond)
	}

	w.SetStep(0, "")
	w.Action("chaos over: heal, restart everything, reliable network")
	w.SetNet(cluster.Reliable)
	w.SetFaults(labrpc.Faults{})
	for gi, g := range cfg.groups {
		g.Heal()
		for i := 0; i < nServers; i++ {
			if !g.Alive(i) {
				cfg.startServer(gi, i)
			}
		}
	}
	a.stop()
	stopRandom(nil)
	cfg.checkAll(ck, ka, a.values())
	cfg.end()
}
