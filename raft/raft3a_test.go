package raft

// 3A: leader election.

import (
	"testing"
	"time"

	"raftlab/labrpc"
)

// Three servers elect one leader, agree on its term, and keep both while
// nothing fails.
func TestInitialElection3A(t *testing.T) {
	runTest(t, testBudget{virtual: 10 * time.Second, rpcs: 400}, func(h *harness) {
		cfg := makeCluster(h, 3, false, false)
		cfg.begin("initial election")

		cfg.checkOneLeader()

		// Let the followers hear the leader's heartbeats, then the term
		// must be the same everywhere.
		cfg.sleep(50 * time.Millisecond)
		term1 := cfg.checkTerms()
		if term1 < 1 {
			h.fatalf("the first leader's term is %d; terms start at 0 and an election increments it", term1)
		}

		// No failures: the term must not change...
		cfg.sleep(2 * testElectionTimeout)
		if term2 := cfg.checkTerms(); term1 != term2 {
			h.fatalf("stable term: the term moved from %d to %d although nothing failed", term1, term2)
		}
		// ... and there is still a leader.
		cfg.checkOneLeader()
		cfg.end()
	})
}

// With no failures at all, the leader and its term stay put for many
// election timeouts: heartbeats must keep the followers from campaigning.
func TestStableLeader3A(t *testing.T) {
	runTest(t, testBudget{virtual: 25 * time.Second, rpcs: 1500}, func(h *harness) {
		cfg := makeCluster(h, 5, false, false)
		cfg.begin("stable leader and term with no failures")

		leader := cfg.checkOneLeader()
		term := cfg.checkTerms()
		for k := 0; k < 10; k++ {
			cfg.sleep(testElectionTimeout)
			if l := cfg.checkOneLeader(); l != leader {
				h.fatalf("stable leader: leadership moved from %d to %d although nothing failed", leader, l)
			}
			if t2 := cfg.checkTerms(); t2 != term {
				h.fatalf("stable term: the term moved from %d to %d although nothing failed", term, t2)
			}
		}
		cfg.end()
	})
}

// When the leader is cut off, the rest elect a new one; the old leader
// rejoins without disturbing it; with no majority nobody leads.
func TestReElection3A(t *testing.T) {
	runTest(t, testBudget{virtual: 30 * time.Second, rpcs: 1000}, func(h *harness) {
		const servers = 3
		cfg := makeCluster(h, servers, false, false)
		cfg.begin("election after network failure")

		leader1 := cfg.checkOneLeader()

		// The leader disconnects: a new one must be elected.
		cfg.disconnect(leader1)
		cfg.checkOneLeader()

		// The old leader rejoins: that must not disturb the new one.
		cfg.connect(leader1)
		leader2 := cfg.checkOneLeader()

		// Two of three gone: no majority, no leader.
		cfg.disconnect(leader2)
		cfg.disconnect((leader2 + 1) % servers)
		cfg.sleep(2 * testElectionTimeout)
		cfg.checkNoLeader()

		// A majority again: a leader again.
		cfg.connect((leader2 + 1) % servers)
		cfg.checkOneLeader()

		// The last server rejoins: still one leader.
		cfg.connect(leader2)
		cfg.checkOneLeader()
		cfg.end()
	})
}

// A minority of five never elects a leader, however long it waits; once a
// majority forms, it does.
func TestNoLeaderWithoutMajority3A(t *testing.T) {
	runTest(t, testBudget{virtual: 30 * time.Second, rpcs: 1500}, func(h *harness) {
		const servers = 5
		cfg := makeCluster(h, servers, false, false)
		cfg.begin("no leader without a majority")

		leader := cfg.checkOneLeader()
		for k := 0; k < 3; k++ {
			cfg.disconnect((leader + k) % servers)
		}
		// The two left behind keep timing out and campaigning; neither
		// can ever get three votes.
		for k := 0; k < 5; k++ {
			cfg.sleep(testElectionTimeout)
			cfg.checkNoLeader()
		}
		cfg.connect(leader)
		cfg.checkOneLeader()
		for k := 1; k < 3; k++ {
			cfg.connect((leader + k) % servers)
		}
		cfg.checkOneLeader()
		cfg.end()
	})
}

// Seven servers, random groups of three disconnected again and again: the
// remaining four must elect a leader every time.
func TestManyElections3A(t *testing.T) {
	runTest(t, testBudget{virtual: 60 * time.Second, rpcs: 6000}, func(h *harness) {
		const servers = 7
		cfg := makeCluster(h, servers, false, false)
		cfg.begin("multiple elections")

		cfg.checkOneLeader()
		for iter := 0; iter < 10; iter++ {
			// Disconnect three distinct random servers.
			perm := h.rand.Perm(servers)
			out := perm[:3]
			for _, i := range out {
				cfg.disconnect(i)
			}
			// Four of seven remain: a majority, so a leader must emerge.
			cfg.checkOneLeader()
			for _, i := range out {
				cfg.connect(i)
			}
		}
		cfg.checkOneLeader()
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
	runTest(t, testBudget{virtual: 30 * time.Second, rpcs: 3000}, func(h *harness) {
		const servers = 3
		cfg := makeCluster(h, servers, false, false)
		cfg.begin("votes from abandoned elections do not count")

		leader := cfg.checkOneLeader()
		c := (leader + 1) % servers
		v := (leader + 2) % servers
		cfg.cut(c, leader)
		cfg.cut(leader, c)
		cfg.net.SetLinkFaults(c, v, labrpc.Faults{MinDelay: 2 * time.Second, MaxDelay: 2*time.Second + time.Millisecond})
		cfg.h.event("link %d -> %d: every request 2s late", c, v)

		// Survey often: the false leadership may last only until c hears
		// of a higher term.
		for k := 0; k < 400; k++ {
			cfg.sleep(20 * time.Millisecond)
			cfg.pollLeaders()
		}

		cfg.net.ClearLinkFaults()
		cfg.heal()
		cfg.one(cfg.randCmd(), servers, true)
		cfg.end()
	})
}
