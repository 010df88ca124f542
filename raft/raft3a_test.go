package raft

// 3A: leader election.

import (
	"raftlab/labtest/cluster"
	"testing"
	"time"

	"raftlab/labrpc"
)

// Three servers elect one leader, agree on its term, and keep both while
// nothing fails.
func TestInitialElection3A(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 10 * time.Second, RPCs: 400}, func(w *cluster.World) {
		cfg := makeCluster(w, 3, cluster.Reliable, plainService)
		cfg.begin("initial election")

		cfg.CheckOneLeader()

		// Let the followers hear the leader's heartbeats, then the term
		// must be the same everywhere.
		time.Sleep(50 * time.Millisecond)
		term1 := cfg.CheckTerms()
		if term1 < 1 {
			w.Fatalf("the first leader's term is %d; terms start at 0 and an election increments it", term1)
		}

		// No failures: the term must not change...
		time.Sleep(2 * testElectionTimeout)
		if term2 := cfg.CheckTerms(); term1 != term2 {
			w.Fatalf("stable term: the term moved from %d to %d although nothing failed", term1, term2)
		}
		// ... and there is still a leader.
		cfg.CheckOneLeader()
		cfg.end()
	})
}

// With no failures at all, the leader and its term stay put for many
// election timeouts: heartbeats must keep the followers from campaigning.
func TestStableLeader3A(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 25 * time.Second, RPCs: 1500}, func(w *cluster.World) {
		cfg := makeCluster(w, 5, cluster.Reliable, plainService)
		cfg.begin("stable leader and term with no failures")

		leader := cfg.CheckOneLeader()
		term := cfg.CheckTerms()
		for k := 0; k < 10; k++ {
			time.Sleep(testElectionTimeout)
			if l := cfg.CheckOneLeader(); l != leader {
				w.Fatalf("stable leader: leadership moved from %d to %d although nothing failed", leader, l)
			}
			if t2 := cfg.CheckTerms(); t2 != term {
				w.Fatalf("stable term: the term moved from %d to %d although nothing failed", term, t2)
			}
		}
		cfg.end()
	})
}

// When the leader is cut off, the rest elect a new one; the old leader
// rejoins without disturbing it; with no majority nobody leads.
func TestReElection3A(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 30 * time.Second, RPCs: 1000}, func(w *cluster.World) {
		const servers = 3
		cfg := makeCluster(w, servers, cluster.Reliable, plainService)
		cfg.begin("election after network failure")

		leader1 := cfg.CheckOneLeader()

		// The leader disconnects: a new one must be elected.
		cfg.Disconnect(leader1)
		cfg.CheckOneLeader()

		// The old leader rejoins: that must not disturb the new one.
		cfg.Connect(leader1)
		leader2 := cfg.CheckOneLeader()

		// Two of three gone: no majority, no leader.
		cfg.Disconnect(leader2)
		cfg.Disconnect((leader2 + 1) % servers)
		time.Sleep(2 * testElectionTimeout)
		cfg.CheckNoLeader()

		// A majority again: a leader again.
		cfg.Connect((leader2 + 1) % servers)
		cfg.CheckOneLeader()

		// The last server rejoins: still one leader.
		cfg.Connect(leader2)
		cfg.CheckOneLeader()
		cfg.end()
	})
}

// A minority of five never elects a leader, however long it waits; once a
// majority forms, it does.
func TestNoLeaderWithoutMajority3A(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 30 * time.Second, RPCs: 1500}, func(w *cluster.World) {
		const servers = 5
		cfg := makeCluster(w, servers, cluster.Reliable, plainService)
		cfg.begin("no leader without a majority")

		leader := cfg.CheckOneLeader()
		for k := 0; k < 3; k++ {
			cfg.Disconnect((leader + k) % servers)
		}
		// The two left behind keep timing out and campaigning; neither
		// can ever get three votes.
		for k := 0; k < 5; k++ {
			time.Sleep(testElectionTimeout)
			cfg.CheckNoLeader()
		}
		cfg.Connect(leader)
		cfg.CheckOneLeader()
		for k := 1; k < 3; k++ {
			cfg.Connect((leader + k) % servers)
		}
		cfg.CheckOneLeader()
		cfg.end()
	})
}

// Seven servers, random groups of three disconnected again and again: the
// remaining four must elect a leader every time.
func TestManyElections3A(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 60 * time.Second, RPCs: 6000}, func(w *cluster.World) {
		const servers = 7
		cfg := makeCluster(w, servers, cluster.Reliable, plainService)
		cfg.begin("multiple elections")

		cfg.CheckOneLeader()
		for iter := 0; iter < 10; iter++ {
			// Disconnect three distinct random servers.
			perm := w.Rand.Perm(servers)
			out := perm[:3]
			for _, i := range out {
				cfg.Disconnect(i)
			}
			// Four of seven remain: a majority, so a leader must emerge.
			cfg.CheckOneLeader()
			for _, i := range out {
				cfg.Connect(i)
			}
		}
		cfg.CheckOneLeader()
		cfg.end()
	})
}

// A vote counts only in the election it was cast for. Candidate c cannot
// reach the leader at all, and its RequestVotes reach the third server v
// two seconds late, long after c has timed out and moved on to a later
// term. v grants each (c's log is as up to date as its own), but each
// grant answers an election c has abandoned; a candidate that counts it
// toward its current election "wins" a term nobody else has even reached.
// The survey of terms catches that at once: a leader of term T needs a
// majority at term T or beyond.
func TestStaleVoteReplies3A(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 30 * time.Second, RPCs: 3000}, func(w *cluster.World) {
		const servers = 3
		cfg := makeCluster(w, servers, cluster.Reliable, plainService)
		cfg.begin("votes from abandoned elections do not count")

		leader := cfg.CheckOneLeader()
		c := (leader + 1) % servers
		v := (leader + 2) % servers
		cfg.Cut(c, leader)
		cfg.Cut(leader, c)
		cfg.w.SetLinkFaults(c, v, labrpc.Faults{MinDelay: 2 * time.Second, MaxDelay: 2*time.Second + time.Millisecond})

		// Survey often: the false leadership may last only until c hears
		// of a higher term.
		for k := 0; k < 400; k++ {
			time.Sleep(20 * time.Millisecond)
			cfg.PollLeaders()
		}

		cfg.w.ClearLinkFaults()
		cfg.Heal()
		cfg.one(cfg.randCmd(), servers, retry)
		cfg.end()
	})
}

// A leader cut off from the others goes on sending AppendEntries of its old
// term to them after they have moved on; their replies never reach it. A
// follower must not take those stale heartbeats as a sign of a live leader
// (reset its election timer on them): once the new leader crashes, the
// remaining majority must elect another within the lab's 5 s.
func TestStaleLeaderHeartbeats3A(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 40 * time.Second, RPCs: 4000}, func(w *cluster.World) {
		const servers = 5
		cfg := makeCluster(w, servers, cluster.Reliable, plainService)
		cfg.begin("heartbeats of a stale leader do not hold back an election")

		old := cfg.CheckOneLeader()
		oldTerm, _ := cfg.raft(old).GetState()
		cfg.Disconnect(old)
		others := []int{}
		for i := 0; i < servers; i++ {
			if i != old {
				others = append(others, i)
			}
		}
		newLeader, _ := cfg.leaderAmong(others, oldTerm)

		// The old leader's calls reach everyone again, nothing reaches it.
		cfg.Crash(newLeader)
		cfg.Connect(old)
		var rest []int
		for _, i := range others {
			if i != newLeader {
				cfg.Cut(i, old)
				rest = append(rest, i)
			}
		}
		// (A leader that steps down on losing touch with a majority, as
		// some do, sends nothing more, and the test simply passes.)
		cfg.leaderAmong(rest, oldTerm)

		cfg.Heal()
		cfg.Start(newLeader)
		cfg.Connect(newLeader)
		cfg.one(cfg.randCmd(), servers, retry)
		cfg.end()
	})
}

// A leader learns of a later term only from the replies to its own
// AppendEntries: the others' calls to it fail. It must step down at once
// (Figure 2: if a response contains a term higher than currentTerm,
// convert to follower), and certainly within two election timeouts.
func TestStepDownOnReply3A(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 40 * time.Second, RPCs: 4000}, func(w *cluster.World) {
		const servers = 3
		cfg := makeCluster(w, servers, cluster.Reliable, plainService)
		cfg.begin("a higher term in a reply deposes the leader")

		old := cfg.CheckOneLeader()
		oldTerm, _ := cfg.raft(old).GetState()
		cfg.Disconnect(old)
		var others []int
		for i := 0; i < servers; i++ {
			if i != old {
				others = append(others, i)
			}
		}
		cfg.leaderAmong(others, oldTerm)

		cfg.Connect(old)
		for _, i := range others {
			cfg.BlockCalls(i, old)
		}
		for deadline := time.Now().Add(2 * testElectionTimeout); ; time.Sleep(10 * time.Millisecond) {
			if _, isLeader := cfg.raft(old).GetState(); !isLeader {
				break
			}
			if time.Now().After(deadline) {
				w.Fatalf("step down: leader %d of term %d still leads %v after its heartbeats were answered with a later term",
					old, oldTerm, 2*testElectionTimeout)
			}
		}
		cfg.PollLeaders()

		cfg.Connect(old)
		cfg.one(cfg.randCmd(), servers, retry)
		cfg.end()
	})
}
