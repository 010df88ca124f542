package raft

// 3B: log replication.

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Three commands, no failures: each commits on every server at exactly the
// next index.
func TestBasicAgree3B(t *testing.T) {
	runTest(t, testBudget{virtual: 10 * time.Second, rpcs: 300}, func(h *harness) {
		const servers = 3
		cfg := makeCluster(h, servers, false, false)
		cfg.begin("basic agreement")

		for index := 1; index <= 3; index++ {
			if nd, _ := cfg.nCommitted(index); nd > 0 {
				h.fatalf("index %d was applied by %d servers before anyone called Start", index, nd)
			}
			if got := cfg.one(index*100, servers, false); got != index {
				h.fatalf("exact indices: command %d committed at index %d, want %d", index*100, got, index)
			}
		}
		cfg.end()
	})
}

// A big command must travel to each follower once, not once per heartbeat.
func TestRPCBytes3B(t *testing.T) {
	runTest(t, testBudget{virtual: 15 * time.Second, rpcs: 500}, func(h *harness) {
		const servers = 3
		cfg := makeCluster(h, servers, false, false)
		cfg.begin("RPC byte count")

		cfg.one(99, servers, false)
		bytes0 := cfg.bytesTotal()
		rpcs0 := cfg.rpcTotal()

		const iters = 10
		const size = 5000
		var sent int64
		for index := 2; index < iters+2; index++ {
			cmd := randCommandString(h, size)
			if got := cfg.one(cmd, servers, false); got != index {
				h.fatalf("exact indices: command committed at index %d, want %d", got, index)
			}
			sent += int64(len(cmd))
		}
		got := cfg.bytesTotal() - bytes0
		// Each command once to each of the n-1 followers, plus slack for
		// headers, heartbeats and votes.
		want := sent*(servers-1) + 50000
		if got > want {
			h.fatalf("byte budget: %d bytes of RPCs for %d bytes of commands; want at most %d (each command sent once per follower)",
				got, sent, want)
		}
		rpcs := cfg.rpcTotal() - rpcs0
		h.logf("  %d bytes of RPCs carried %d bytes of commands to %d followers (%.2fx)",
			got, sent, servers-1, float64(got)/float64(sent*(servers-1)))
		h.logf("  %d agreements one after another: %.1f RPCs and %d bytes of overhead per agreement",
			iters, float64(rpcs)/iters, (got-sent*(servers-1))/iters)
		cfg.end()
	})
}

// Followers fail one by one: agreement goes on while a majority is up, and
// stops (without a false commit) once the leader is alone.
func TestFollowerFailure3B(t *testing.T) {
	runTest(t, testBudget{virtual: 20 * time.Second, rpcs: 800}, func(h *harness) {
		const servers = 3
		cfg := makeCluster(h, servers, false, false)
		cfg.begin("progressive failure of followers")

		cfg.one(101, servers, false)

		// One follower goes: the other two still agree.
		leader1 := cfg.checkOneLeader()
		cfg.disconnect((leader1 + 1) % servers)
		cfg.one(102, servers-1, false)
		cfg.sleep(testElectionTimeout)
		cfg.one(103, servers-1, false)

		// The remaining follower goes too: the leader is alone.
		leader2 := cfg.checkOneLeader()
		cfg.disconnect((leader2 + 1) % servers)
		cfg.disconnect((leader2 + 2) % servers)

		index, _, ok := cfg.raft(leader2).Start(104)
		if !ok {
			h.fatalf("the leader %d rejected Start right after losing its followers", leader2)
		}
		if index != 4 {
			h.fatalf("exact indices: Start(104) returned index %d, want 4", index)
		}
		cfg.sleep(2 * testElectionTimeout)

		// No majority: nothing may commit.
		if nd, _ := cfg.nCommitted(index); nd > 0 {
			h.fatalf("commit without majority: %d servers applied index %d, accepted by a leader with no followers", nd, index)
		}
		cfg.end()
	})
}

// Leaders fail one by one: a new leader takes over while a majority is up;
// a command given to every server once none has a majority never commits.
func TestLeaderFailure3B(t *testing.T) {
	runTest(t, testBudget{virtual: 20 * time.Second, rpcs: 800}, func(h *harness) {
		const servers = 3
		cfg := makeCluster(h, servers, false, false)
		cfg.begin("failure of leaders")

		cfg.one(101, servers, false)

		// The first leader goes: the others elect one and agree.
		leader1 := cfg.checkOneLeader()
		cfg.disconnect(leader1)
		cfg.one(102, servers-1, false)
		cfg.sleep(testElectionTimeout)
		cfg.one(103, servers-1, false)

		// The second leader goes: one server is left, with no majority.
		leader2 := cfg.checkOneLeader()
		cfg.disconnect(leader2)
		for i := 0; i < servers; i++ {
			cfg.raft(i).Start(104)
		}
		cfg.sleep(2 * testElectionTimeout)

		if nd, _ := cfg.nCommitted(4); nd > 0 {
			h.fatalf("commit without majority: %d servers applied index 4 with two of three servers cut off", nd)
		}
		cfg.end()
	})
}

// A follower misses some commands while disconnected and catches up after
// it rejoins.
func TestFailAgree3B(t *testing.T) {
	runTest(t, testBudget{virtual: 20 * time.Second, rpcs: 800}, func(h *harness) {
		const servers = 3
		cfg := makeCluster(h, servers, false, false)
		cfg.begin("agreement after follower reconnects")

		cfg.one(101, servers, false)

		leader := cfg.checkOneLeader()
		cfg.disconnect((leader + 1) % servers)

		// The leader and the other follower go on.
		cfg.one(102, servers-1, false)
		cfg.one(103, servers-1, false)
		cfg.sleep(testElectionTimeout)
		cfg.one(104, servers-1, false)
		cfg.one(105, servers-1, false)

		// The follower rejoins: it must catch up and take part again.
		cfg.connect((leader + 1) % servers)
		cfg.one(106, servers, true)
		cfg.sleep(testElectionTimeout)
		cfg.one(107, servers, true)
		cfg.end()
	})
}

// Three of five followers go: the leader's entry must not commit; after
// they return, agreement resumes at the right index.
func TestFailNoAgree3B(t *testing.T) {
	runTest(t, testBudget{virtual: 20 * time.Second, rpcs: 1200}, func(h *harness) {
		const servers = 5
		cfg := makeCluster(h, servers, false, false)
		cfg.begin("no agreement if too many followers disconnect")

		cfg.one(10, servers, false)

		leader := cfg.checkOneLeader()
		for k := 1; k <= 3; k++ {
			cfg.disconnect((leader + k) % servers)
		}
		index, _, ok := cfg.raft(leader).Start(20)
		if !ok {
			h.fatalf("the leader %d rejected Start", leader)
		}
		if index != 2 {
			h.fatalf("exact indices: Start(20) returned index %d, want 2", index)
		}
		cfg.sleep(2 * testElectionTimeout)
		if nd, _ := cfg.nCommitted(index); nd > 0 {
			h.fatalf("commit without majority: %d servers applied index %d with three of five followers cut off", nd, index)
		}

		// Heal: the majority may choose either leader, but the next index
		// is 2 (the minority's entry was dropped) or 3 (it survived).
		for k := 1; k <= 3; k++ {
			cfg.connect((leader + k) % servers)
		}
		leader2 := cfg.checkOneLeader()
		index2, _, ok2 := cfg.raft(leader2).Start(30)
		if !ok2 {
			h.fatalf("the new leader %d rejected Start", leader2)
		}
		if index2 < 2 || index2 > 3 {
			h.fatalf("after healing, Start(30) returned index %d, want 2 or 3", index2)
		}
		cfg.one(1000, servers, true)
		cfg.end()
	})
}

// Five clients call Start at once on the leader: each command gets its own
// index and all of them commit.
func TestConcurrentStarts3B(t *testing.T) {
	runTest(t, testBudget{virtual: 20 * time.Second, rpcs: 800}, func(h *harness) {
		const servers = 3
		cfg := makeCluster(h, servers, false, false)
		cfg.begin("concurrent Start()s")

		success := false
	loop:
		for try := 0; try < 5; try++ {
			if try > 0 {
				cfg.sleep(3 * time.Second) // give the election time to settle
			}
			leader := cfg.checkOneLeader()
			_, term, ok := cfg.raft(leader).Start(1)
			if !ok {
				continue // leader moved on quickly
			}

			type started struct {
				index int
				ok    bool
			}
			const iters = 5
			results := make(chan started, iters)
			rf := cfg.raft(leader)
			for ii := 0; ii < iters; ii++ {
				i := ii
				h.goHelper(fmt.Sprintf("start-%d", i), func() {
					index, term1, ok := rf.Start(100 + i)
					results <- started{index, ok && term1 == term}
				})
			}
			var indices []int
			for ii := 0; ii < iters; ii++ {
				r := <-results
				if !r.ok {
					continue loop // the term changed under us: try again
				}
				indices = append(indices, r.index)
			}
			seen := map[int]bool{}
			for _, index := range indices {
				if seen[index] {
					h.fatalf("two concurrent Starts got the same index %d", index)
				}
				seen[index] = true
			}

			for j := 0; j < servers; j++ {
				if t, _ := cfg.raft(j).GetState(); t != term {
					continue loop // a term change could lose the commands
				}
			}

			var cmds []int
			for _, index := range indices {
				cmd := cfg.wait(index, servers, term)
				if ix, ok := cmd.(int); ok {
					if ix == -1 {
						continue loop // peers moved on to a later term
					}
					cmds = append(cmds, ix)
				} else {
					h.fatalf("value %v at index %d is not an int", cmd, index)
				}
			}
			for ii := 0; ii < iters; ii++ {
				x := 100 + ii
				found := false
				for _, c := range cmds {
					if c == x {
						found = true
					}
				}
				if !found {
					h.fatalf("concurrent Starts: command %d was accepted but is missing from the committed entries %v", x, cmds)
				}
			}
			success = true
			break
		}
		if !success {
			h.fatalf("concurrent Starts: the term kept changing; no try succeeded")
		}
		cfg.end()
	})
}

// A partitioned leader accepts entries nobody else sees; after it rejoins,
// the new leader's log wins and the stale entries are overwritten.
func TestRejoin3B(t *testing.T) {
	runTest(t, testBudget{virtual: 20 * time.Second, rpcs: 800}, func(h *harness) {
		const servers = 3
		cfg := makeCluster(h, servers, false, false)
		cfg.begin("rejoin of partitioned leader")

		cfg.one(101, servers, true)

		// The leader is cut off and takes commands it can never commit.
		leader1 := cfg.checkOneLeader()
		cfg.disconnect(leader1)
		cfg.raft(leader1).Start(102)
		cfg.raft(leader1).Start(103)
		cfg.raft(leader1).Start(104)

		// The others elect a new leader and commit 103 at index 2.
		leader2 := cfg.checkOneLeader()
		if got := cfg.one(103, 2, true); got != 2 {
			h.fatalf("the new leader committed 103 at index %d, want 2", got)
		}

		// The new leader is cut off; the old one comes back.
		cfg.disconnect(leader2)
		cfg.connect(leader1)
		cfg.one(104, 2, true)

		// Everyone together.
		cfg.connect(leader2)
		cfg.one(105, servers, true)

		// The old leader's 102 was never committed: index 2 holds 103 on
		// every server (the apply checker already failed any server that
		// applied 102 there).
		if nd, v := cfg.nCommitted(2); nd != servers || v != 103 {
			h.fatalf("log matching: index 2 holds %v on %d servers, want 103 on all %d (the stale leader's 102 must be overwritten)",
				v, nd, servers)
		}
		cfg.end()
	})
}

// Leaders in minorities pile up 50 uncommitted entries each; the majority
// must back them up over those divergent logs quickly.
func TestBackup3B(t *testing.T) {
	runTest(t, testBudget{virtual: 60 * time.Second, rpcs: 5000}, func(h *harness) {
		const servers = 5
		cfg := makeCluster(h, servers, false, false)
		cfg.begin("leader backs up quickly over incorrect follower logs")

		cfg.one(cfg.randCmd(), servers, true)

		// The leader and one follower in a minority.
		leader1 := cfg.checkOneLeader()
		cfg.disconnect((leader1 + 2) % servers)
		cfg.disconnect((leader1 + 3) % servers)
		cfg.disconnect((leader1 + 4) % servers)

		// Entries the minority will never commit.
		for i := 0; i < 50; i++ {
			cfg.raft(leader1).Start(cfg.randCmd())
		}
		cfg.sleep(testElectionTimeout / 2)

		cfg.disconnect((leader1 + 0) % servers)
		cfg.disconnect((leader1 + 1) % servers)

		// The other three become the majority and commit 50 entries.
		cfg.connect((leader1 + 2) % servers)
		cfg.connect((leader1 + 3) % servers)
		cfg.connect((leader1 + 4) % servers)
		for i := 0; i < 50; i++ {
			cfg.one(cfg.randCmd(), 3, true)
		}

		// Its leader loses one follower and piles up 50 more uncommitted
		// entries.
		leader2 := cfg.checkOneLeader()
		other := (leader1 + 2) % servers
		if leader2 == other {
			other = (leader2 + 1) % servers
		}
		cfg.disconnect(other)
		for i := 0; i < 50; i++ {
			cfg.raft(leader2).Start(cfg.randCmd())
		}
		cfg.sleep(testElectionTimeout / 2)

		// Everyone off; the first minority and "other" form a majority.
		for i := 0; i < servers; i++ {
			cfg.disconnect(i)
		}
		cfg.connect((leader1 + 0) % servers)
		cfg.connect((leader1 + 1) % servers)
		cfg.connect(other)

		// They commit 50 entries: the first minority's 50 stale entries
		// must be overwritten.
		last3 := -1
		for i := 0; i < 50; i++ {
			last3 = cfg.one(cfg.randCmd(), 3, true)
		}

		// Everyone back: the second leader and its follower have 50 stale
		// entries of their own to lose. Fast backup (a term at a time, not
		// an entry at a time) brings them up to date with a few RPCs each,
		// on top of heartbeats.
		var lagging []int
		received := map[int]int{}
		for i := 0; i < servers; i++ {
			if i != (leader1+0)%servers && i != (leader1+1)%servers && i != other {
				lagging = append(lagging, i)
				received[i] = cfg.rpcCount(i)
			}
		}
		t0 := time.Now()
		for i := 0; i < servers; i++ {
			cfg.connect(i)
		}
		for time.Since(t0) < 5*time.Second {
			if nd, _ := cfg.nCommitted(last3); nd == servers {
				break
			}
			cfg.sleep(10 * time.Millisecond)
		}
		for _, i := range lagging {
			got := cfg.rpcCount(i) - received[i]
			h.logf("  server %d caught up over 50 divergent entries with %d RPCs in %v", i, got, time.Since(t0).Round(time.Millisecond))
			if got > 40 {
				h.fatalf("fast backup: server %d received %d RPCs to replace its 50 divergent entries, want at most 40: back nextIndex up a term at a time, not an entry at a time",
					i, got)
			}
		}
		cfg.one(cfg.randCmd(), servers, true)
		cfg.end()
	})
}

// RPC budgets: an election, ten agreements in one term, an idle second.
func TestCount3B(t *testing.T) {
	runTest(t, testBudget{virtual: 20 * time.Second, rpcs: 600}, func(h *harness) {
		const servers = 3
		cfg := makeCluster(h, servers, false, false)
		cfg.begin("RPC counts aren't too high")

		rpcs := func() int {
			n := 0
			for j := 0; j < servers; j++ {
				n += cfg.rpcCount(j)
			}
			return n
		}

		leader := cfg.checkOneLeader()
		if total1 := rpcs(); total1 > 30 || total1 < 1 {
			h.fatalf("RPC budget: the first election took %d RPCs, want 1..30", total1)
		}

		var total2 int
		success := false
	loop:
		for try := 0; try < 5; try++ {
			if try > 0 {
				cfg.sleep(3 * time.Second) // give the election time to settle
			}
			leader = cfg.checkOneLeader()
			total1 := rpcs()
			bytes1 := cfg.bytesTotal()

			const iters = 10
			starti, term, ok := cfg.raft(leader).Start(1)
			if !ok {
				continue // leader moved on quickly
			}
			var cmds []int
			for i := 1; i < iters+2; i++ {
				x := cfg.randCmd()
				cmds = append(cmds, x)
				index1, term1, ok := cfg.raft(leader).Start(x)
				if term1 != term || !ok {
					continue loop // the term changed while starting
				}
				if starti+i != index1 {
					h.fatalf("exact indices: Start returned index %d, want %d", index1, starti+i)
				}
			}
			for i := 1; i < iters+1; i++ {
				cmd := cfg.wait(starti+i, servers, term)
				if ix, ok := cmd.(int); !ok || ix == -1 {
					continue loop // the term changed while waiting
				} else if ix != cmds[i-1] {
					h.fatalf("index %d holds %v, want %v", starti+i, ix, cmds[i-1])
				}
			}
			for j := 0; j < servers; j++ {
				if t, _ := cfg.raft(j).GetState(); t != term {
					continue loop // the term changed: counts would be off
				}
			}

			total2 = rpcs()
			if total2-total1 > (iters+1+3)*3 {
				h.fatalf("RPC budget: %d RPCs for %d agreements in one term, want at most %d", total2-total1, iters, (iters+1+3)*3)
			}
			nbytes := cfg.bytesTotal() - bytes1
			h.logf("  %d agreements in one term took %d RPCs and %d bytes (%.1f RPCs, %d bytes per agreement)",
				iters+1, total2-total1, nbytes, float64(total2-total1)/float64(iters+1), nbytes/int64(iters+1))
			success = true
			break
		}
		if !success {
			h.fatalf("the term changed too often")
		}

		// An idle second: heartbeats only.
		cfg.sleep(testElectionTimeout)
		if total3 := rpcs(); total3-total2 > 3*20 {
			h.fatalf("RPC budget: %d RPCs in one idle second, want at most 60", total3-total2)
		}
		cfg.end()
	})
}

// randCommandString draws a printable string of n bytes from the test's source.
func randCommandString(h *harness, n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	var b strings.Builder
	b.Grow(n)
	for i := 0; i < n; i++ {
		b.WriteByte(alphabet[h.rand.IntN(len(alphabet))])
	}
	return b.String()
}
