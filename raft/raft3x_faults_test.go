package raft

// Beyond the classic tests: duplicated RPCs, one-way cuts, and partitions
// in which the groups overlap. Raft must elect a leader and commit wherever
// a majority can talk, and stay safe everywhere.

import (
	"testing"
	"time"

	"raftlab/labrpc"
	"raftlab/labtest/cluster"
)

// Every RPC may arrive twice, late and out of order. A follower must not
// append an entry twice, nor let a stale duplicate of an AppendEntries cut
// off entries it has already acknowledged: every command the cluster
// acknowledged must be in the final log, at its index, exactly once.
func TestDuplicateRPCs(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 60 * time.Second, RPCs: 20000}, func(w *cluster.World) {
		const servers = 5
		cfg := makeCluster(w, servers, cluster.Reliable, plainService)
		cfg.begin("duplicated and reordered RPCs")
		cfg.w.SetFaults(labrpc.Faults{Duplicates: 0.5, MaxDelay: 40 * time.Millisecond})

		acked := map[int]int{} // index -> command seen committed there
		crashed := -1
		total := 0
		for round := 0; round < 8; round++ {
			leader := cfg.CheckOneLeader()
			rf := cfg.raft(leader)
			type started struct{ index, cmd int }
			var cmds []started
			for k := 0; k < 10; k++ {
				x := cfg.randCmd()
				if index, _, ok := rf.Start(x); ok {
					cmds = append(cmds, started{index, x})
				}
			}
			total += len(cmds)
			time.Sleep(testElectionTimeout)
			for _, c := range cmds {
				if nd, v := cfg.nCommitted(c.index); nd > 0 && v == c.cmd {
					acked[c.index] = c.cmd
				}
			}
			// Every other round the leader crashes (a duplicate arriving at
			// a follower after that must not undo what it acknowledged).
			if round%2 == 1 {
				if crashed != -1 {
					cfg.Start(crashed)
					cfg.Connect(crashed)
				}
				cfg.Crash(leader)
				crashed = leader
			}
		}
		if len(acked) < total/2 {
			w.Fatalf("liveness: only %d of %d commands committed with duplicates and delays but no losses", len(acked), total)
		}

		if crashed != -1 {
			cfg.Start(crashed)
			cfg.Connect(crashed)
		}
		cfg.w.SetFaults(labrpc.Faults{})
		final := cfg.randCmd()
		last := cfg.one(final, servers, retry)

		seen := map[any]int{}
		for index := 1; index <= last; index++ {
			v := cfg.wait(index, servers, -1)
			if want, ok := acked[index]; ok && v != want {
				w.Fatalf("durability: %v was acknowledged at index %d but the final log holds %v there", want, index, v)
			}
			if prev, dup := seen[v]; dup && v != final {
				w.Fatalf("duplicate entry: command %v, started once, is in the log at indices %d and %d", v, prev, index)
			}
			seen[v] = index
		}
		cfg.end()
	})
}

// The leader cannot reach one follower, though the follower reaches it:
// the follower keeps campaigning and deposing that leader. A majority that
// talks both ways must still elect leaders and commit.
func TestOneWayCut(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 90 * time.Second, RPCs: 20000}, func(w *cluster.World) {
		const servers = 5
		cfg := makeCluster(w, servers, cluster.Reliable, plainService)
		cfg.begin("one-way cuts")

		cfg.one(cfg.randCmd(), servers, retry)

		// The leader's calls to one follower fail (and the leader's replies
		// to that follower are lost); the follower's calls still arrive.
		leader := cfg.CheckOneLeader()
		f := (leader + 1) % servers
		cfg.Cut(leader, f)
		for i := 0; i < 10; i++ {
			cfg.one(cfg.randCmd(), servers-1, retry)
		}
		cfg.CheckOneLeader()

		// A follower that hears everyone but whose every call and reply is
		// lost: the other four still commit.
		cfg.Heal()
		leader = cfg.CheckOneLeader()
		g := (leader + 2) % servers
		for j := 0; j < servers; j++ {
			if j != g {
				cfg.Cut(g, j)
			}
		}
		for i := 0; i < 10; i++ {
			cfg.one(cfg.randCmd(), servers-1, retry)
		}

		// Healed: everyone, g included, catches up.
		cfg.Heal()
		cfg.one(cfg.randCmd(), servers, retry)
		cfg.end()
	})
}

// Each server reaches only its ring neighbours: every one sees a majority,
// no two see the same one. Leaders come and go as the far side campaigns,
// and Figure 2 Raft promises no commit while it lasts; it promises safety
// (at most one leader a term, checked all along) and, once healed, progress.
func TestMajoritiesRing(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 120 * time.Second, RPCs: 40000}, func(w *cluster.World) {
		const servers = 5
		cfg := makeCluster(w, servers, cluster.Reliable, plainService)
		cfg.begin("majorities ring partition")

		cfg.one(cfg.randCmd(), servers, retry)
		cfg.PartitionNodes(labrpc.MajoritiesRing(cfg.Nodes()))
		cfg.proposeUnpromised(10)
		cfg.Heal()
		cfg.one(cfg.randCmd(), servers, retry)
		cfg.end()
	})
}

// Two halves joined by one bridge server that reaches both. Each half with
// the bridge is a majority, but the half that does not hear the leader
// keeps campaigning and can depose it through the bridge, so progress is
// promised only after the heal; safety throughout.
func TestBridgePartition(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 120 * time.Second, RPCs: 40000}, func(w *cluster.World) {
		const servers = 5
		cfg := makeCluster(w, servers, cluster.Reliable, plainService)
		cfg.begin("bridge partition")

		cfg.one(cfg.randCmd(), servers, retry)
		for round := 0; round < 3; round++ {
			groups := labrpc.Bridge(cfg.Nodes(), w.Rand)
			cfg.PartitionNodes(groups)
			cfg.proposeUnpromised(5)
			cfg.Heal()
			cfg.one(cfg.randCmd(), servers, retry)
		}
		cfg.end()
	})
}

// proposeUnpromised submits a command to every server that claims to lead,
// rounds times, half a second apart, checking election safety each round,
// under a partition where Raft promises no progress: whatever commits is
// held to the apply checker, and nothing is required to.
func (cfg *config) proposeUnpromised(rounds int) {
	for r := 0; r < rounds; r++ {
		for i := 0; i < cfg.n; i++ {
			if rf := cfg.raft(i); rf != nil {
				rf.Start(cfg.randCmd())
			}
		}
		time.Sleep(500 * time.Millisecond)
		cfg.PollLeaders()
		cfg.checkApplyErr()
	}
}

// A minority partition with duplicates and delays: the minority's leader
// must not commit, and after healing its entries give way.
func TestMinorityLeaderUnderDuplicates(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 60 * time.Second, RPCs: 20000}, func(w *cluster.World) {
		const servers = 5
		cfg := makeCluster(w, servers, cluster.Reliable, plainService)
		cfg.begin("minority leader with duplicated RPCs")
		cfg.w.SetFaults(labrpc.Faults{Duplicates: 0.3, MaxDelay: 20 * time.Millisecond})

		cfg.one(cfg.randCmd(), servers, retry)
		leader := cfg.CheckOneLeader()
		minority := []any{leader, (leader + 1) % servers}
		var majority []any
		for i := 0; i < servers; i++ {
			if i != leader && i != (leader+1)%servers {
				majority = append(majority, i)
			}
		}
		cfg.PartitionNodes([][]any{minority, majority})

		x := cfg.randCmd()
		index, _, ok := cfg.raft(leader).Start(x)
		if !ok {
			w.Fatalf("the leader %d rejected Start", leader)
		}
		time.Sleep(2 * testElectionTimeout)
		if nd, v := cfg.nCommitted(index); nd > 0 && v == x {
			w.Fatalf("commit without majority: %d servers applied index %d, accepted by a leader partitioned with one follower", nd, index)
		}
		for i := 0; i < 5; i++ {
			cfg.one(cfg.randCmd(), 3, retry)
		}
		cfg.Heal()
		cfg.one(cfg.randCmd(), servers, retry)
		cfg.end()
	})
}

// A follower receives, after a newer AppendEntries, a stale or duplicated
// one carrying fewer entries. It must not cut its log back to the stale
// request's end: it has acknowledged the longer log and the leader has
// committed entries on the strength of that. Here the leader crashes right
// after committing, with stale requests still on their way to its only
// follower, and a server that missed everything comes back: if the follower
// cut its log, the new majority elects a log without the committed entries
// and the apply checker catches the overwrite.
func TestStaleAppendEntries(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 90 * time.Second, RPCs: 20000}, func(w *cluster.World) {
		staleRequests(w, plainService, "stale AppendEntries must not truncate a follower's log")
	})
}

// staleRequests runs eight rounds of lateRequestsRound on three servers
// with svc above them, b missing each round.
func staleRequests(w *cluster.World, svc service, title string) {
	const servers = 3
	cfg := makeCluster(w, servers, cluster.Reliable, svc)
	cfg.begin(title)

	cfg.one(cfg.randCmd(), servers, retry)
	for round := 0; round < 8; round++ {
		leader := cfg.CheckOneLeader()
		a, b := (leader+1)%servers, (leader+2)%servers
		cfg.Disconnect(b)
		cfg.lateRequestsRound(leader, a, b)
	}
	cfg.end()
}

// lateRequestsRound runs one round of a stale-request scenario on three
// servers, b already disconnected: the leader's requests to a are
// duplicated and delivered up to 200 ms late, out of order, while it
// commits six commands with a; it crashes as soon as it has applied the
// last, with stale requests still on their way to a. Then a and b form the
// majority, and a must still hold every entry the old leader committed
// (the apply checker catches an overwrite); finally the old leader returns.
func (cfg *config) lateRequestsRound(leader, a, b int) {
	w := cfg.w
	w.SetLinkFaults(leader, a, labrpc.Faults{Duplicates: 0.9, MaxDelay: 200 * time.Millisecond})
	rf := cfg.raft(leader)
	last, x := -1, 0
	for k := 0; k < 6; k++ {
		x = cfg.randCmd()
		if index, _, ok := rf.Start(x); ok {
			last = index
		}
		time.Sleep(15 * time.Millisecond)
	}
	if last == -1 {
		w.Fatalf("the leader %d refused every Start", leader)
	}
	// Crash the leader as soon as it has applied its last entry: then a
	// has acknowledged it, and a stale request may still be in flight.
	for wait := 0; wait < 300; wait++ {
		if nd, v := cfg.nCommitted(last); nd >= 1 && v == x {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cfg.Crash(leader)
	time.Sleep(300 * time.Millisecond) // the stale requests land
	w.ClearLinkFaults()

	cfg.Connect(b)
	cfg.one(cfg.randCmd(), 2, retry)
	cfg.Start(leader)
	cfg.Connect(leader)
	cfg.one(cfg.randCmd(), cfg.n, retry)
}
