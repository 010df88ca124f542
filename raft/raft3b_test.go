package raft

// 3B: log replication.

import (
	"fmt"
	"raftlab/labtest/cluster"
	"strings"
	"testing"
	"time"
)

// Three commands, no failures: each commits on every server at exactly the
// next index.
func TestBasicAgree3B(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 10 * time.Second, RPCs: 300}, func(w *cluster.World) {
		const servers = 3
		cfg := makeCluster(w, servers, cluster.Reliable, plainService)
		cfg.begin("basic agreement")

		for index := 1; index <= 3; index++ {
			if nd, _ := cfg.nCommitted(index); nd > 0 {
				w.Fatalf("index %d was applied by %d servers before anyone called Start", index, nd)
			}
			if got := cfg.one(index*100, servers, noRetry); got != index {
				w.Fatalf("exact indices: command %d committed at index %d, want %d", index*100, got, index)
			}
		}
		cfg.end()
	})
}

// A big command must travel to each follower once, not once per heartbeat.
func TestRPCBytes3B(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 15 * time.Second, RPCs: 500}, func(w *cluster.World) {
		const servers = 3
		cfg := makeCluster(w, servers, cluster.Reliable, plainService)
		cfg.begin("RPC byte count")

		cfg.one(99, servers, noRetry)
		bytes0 := cfg.w.Net.GetTotalBytes()
		rpcs0 := cfg.w.Net.GetTotalCount()

		const iters = 10
		const size = 5000
		var sent int64
		for index := 2; index < iters+2; index++ {
			cmd := randCommandString(w, size)
			if got := cfg.one(cmd, servers, noRetry); got != index {
				w.Fatalf("exact indices: command committed at index %d, want %d", got, index)
			}
			sent += int64(len(cmd))
		}
		got := cfg.w.Net.GetTotalBytes() - bytes0
		// Each command once to each of the n-1 followers, plus slack for
		// headers, heartbeats and votes.
		want := sent*(servers-1) + 50000
		if got > want {
			w.Fatalf("byte budget: %d bytes of RPCs for %d bytes of commands; want at most %d (each command sent once per follower)",
				got, sent, want)
		}
		rpcs := cfg.w.Net.GetTotalCount() - rpcs0
		w.Logf("  %d bytes of RPCs carried %d bytes of commands to %d followers (%.2fx)",
			got, sent, servers-1, float64(got)/float64(sent*(servers-1)))
		w.Logf("  %d agreements one after another: %.1f RPCs and %d bytes of overhead per agreement",
			iters, float64(rpcs)/iters, (got-sent*(servers-1))/iters)
		cfg.end()
	})
}

// Followers fail one by one: agreement goes on while a majority is up, and
// stops (without a false commit) once the leader is alone.
func TestFollowerFailure3B(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 20 * time.Second, RPCs: 800}, func(w *cluster.World) {
		const servers = 3
		cfg := makeCluster(w, servers, cluster.Reliable, plainService)
		cfg.begin("progressive failure of followers")

		cfg.one(101, servers, noRetry)

		// One follower goes: the other two still agree.
		leader1 := cfg.CheckOneLeader()
		cfg.Disconnect((leader1 + 1) % servers)
		cfg.one(102, servers-1, noRetry)
		time.Sleep(testElectionTimeout)
		cfg.one(103, servers-1, noRetry)

		// The remaining follower goes too: the leader is alone.
		leader2 := cfg.CheckOneLeader()
		cfg.Disconnect((leader2 + 1) % servers)
		cfg.Disconnect((leader2 + 2) % servers)

		index, _, ok := cfg.raft(leader2).Start(104)
		if !ok {
			w.Fatalf("the leader %d rejected Start right after losing its followers", leader2)
		}
		if index != 4 {
			w.Fatalf("exact indices: Start(104) returned index %d, want 4", index)
		}
		time.Sleep(2 * testElectionTimeout)

		// No majority: nothing may commit.
		if nd, _ := cfg.nCommitted(index); nd > 0 {
			w.Fatalf("commit without majority: %d servers applied index %d, accepted by a leader with no followers", nd, index)
		}
		cfg.end()
	})
}

// Leaders fail one by one: a new leader takes over while a majority is up;
// a command given to every server once none has a majority never commits.
func TestLeaderFailure3B(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 20 * time.Second, RPCs: 800}, func(w *cluster.World) {
		const servers = 3
		cfg := makeCluster(w, servers, cluster.Reliable, plainService)
		cfg.begin("failure of leaders")

		cfg.one(101, servers, noRetry)

		// The first leader goes: the others elect one and agree.
		leader1 := cfg.CheckOneLeader()
		cfg.Disconnect(leader1)
		cfg.one(102, servers-1, noRetry)
		time.Sleep(testElectionTimeout)
		cfg.one(103, servers-1, noRetry)

		// The second leader goes: one server is left, with no majority.
		leader2 := cfg.CheckOneLeader()
		cfg.Disconnect(leader2)
		for i := 0; i < servers; i++ {
			cfg.raft(i).Start(104)
		}
		time.Sleep(2 * testElectionTimeout)

		if nd, _ := cfg.nCommitted(4); nd > 0 {
			w.Fatalf("commit without majority: %d servers applied index 4 with two of three servers cut off", nd)
		}
		cfg.end()
	})
}

// A follower misses some commands while disconnected and catches up after
// it rejoins.
func TestFailAgree3B(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 20 * time.Second, RPCs: 800}, func(w *cluster.World) {
		const servers = 3
		cfg := makeCluster(w, servers, cluster.Reliable, plainService)
		cfg.begin("agreement after follower reconnects")

		cfg.one(101, servers, noRetry)

		leader := cfg.CheckOneLeader()
		cfg.Disconnect((leader + 1) % servers)

		// The leader and the other follower go on.
		cfg.one(102, servers-1, noRetry)
		cfg.one(103, servers-1, noRetry)
		time.Sleep(testElectionTimeout)
		cfg.one(104, servers-1, noRetry)
		cfg.one(105, servers-1, noRetry)

		// The follower rejoins: it must catch up and take part again.
		cfg.Connect((leader + 1) % servers)
		cfg.one(106, servers, retry)
		time.Sleep(testElectionTimeout)
		cfg.one(107, servers, retry)
		cfg.end()
	})
}

// Three of five followers go: the leader's entry must not commit; after
// they return, agreement resumes at the right index.
func TestFailNoAgree3B(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 20 * time.Second, RPCs: 1200}, func(w *cluster.World) {
		const servers = 5
		cfg := makeCluster(w, servers, cluster.Reliable, plainService)
		cfg.begin("no agreement if too many followers disconnect")

		cfg.one(10, servers, noRetry)

		leader := cfg.CheckOneLeader()
		for k := 1; k <= 3; k++ {
			cfg.Disconnect((leader + k) % servers)
		}
		index, _, ok := cfg.raft(leader).Start(20)
		if !ok {
			w.Fatalf("the leader %d rejected Start", leader)
		}
		if index != 2 {
			w.Fatalf("exact indices: Start(20) returned index %d, want 2", index)
		}
		time.Sleep(2 * testElectionTimeout)
		if nd, _ := cfg.nCommitted(index); nd > 0 {
			w.Fatalf("commit without majority: %d servers applied index %d with three of five followers cut off", nd, index)
		}

		// Heal: the majority may choose either leader, but the next index
		// is 2 (the minority's entry was dropped) or 3 (it survived).
		for k := 1; k <= 3; k++ {
			cfg.Connect((leader + k) % servers)
		}
		leader2 := cfg.CheckOneLeader()
		index2, _, ok2 := cfg.raft(leader2).Start(30)
		if !ok2 {
			w.Fatalf("the new leader %d rejected Start", leader2)
		}
		if index2 < 2 || index2 > 3 {
			w.Fatalf("after healing, Start(30) returned index %d, want 2 or 3", index2)
		}
		cfg.one(1000, servers, retry)
		cfg.end()
	})
}

// Five clients call Start at once on the leader: each command gets its own
// index and all of them commit.
func TestConcurrentStarts3B(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 20 * time.Second, RPCs: 800}, func(w *cluster.World) {
		const servers = 3
		cfg := makeCluster(w, servers, cluster.Reliable, plainService)
		cfg.begin("concurrent Start()s")

		success := false
	loop:
		for try := 0; try < 5; try++ {
			if try > 0 {
				time.Sleep(3 * time.Second) // give the election time to settle
			}
			leader := cfg.CheckOneLeader()
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
				w.H.Go(fmt.Sprintf("start-%d", i), func() {
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
					w.Fatalf("two concurrent Starts got the same index %d", index)
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
					w.Fatalf("value %v at index %d is not an int", cmd, index)
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
					w.Fatalf("concurrent Starts: command %d was accepted but is missing from the committed entries %v", x, cmds)
				}
			}
			success = true
			break
		}
		if !success {
			w.Fatalf("concurrent Starts: the term kept changing; no try succeeded")
		}
		cfg.end()
	})
}

// A partitioned leader accepts entries nobody else sees; after it rejoins,
// the new leader's log wins and the stale entries are overwritten.
func TestRejoin3B(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 20 * time.Second, RPCs: 800}, func(w *cluster.World) {
		const servers = 3
		cfg := makeCluster(w, servers, cluster.Reliable, plainService)
		cfg.begin("rejoin of partitioned leader")

		cfg.one(101, servers, retry)

		// The leader is cut off and takes commands it can never commit.
		leader1 := cfg.CheckOneLeader()
		cfg.Disconnect(leader1)
		cfg.raft(leader1).Start(102)
		cfg.raft(leader1).Start(103)
		cfg.raft(leader1).Start(104)

		// The others elect a new leader and commit 103 at index 2.
		leader2 := cfg.CheckOneLeader()
		if got := cfg.one(103, 2, retry); got != 2 {
			w.Fatalf("the new leader committed 103 at index %d, want 2", got)
		}

		// The new leader is cut off; the old one comes back.
		cfg.Disconnect(leader2)
		cfg.Connect(leader1)
		cfg.one(104, 2, retry)

		// Everyone together.
		cfg.Connect(leader2)
		cfg.one(105, servers, retry)

		// The old leader's 102 was never committed: index 2 holds 103 on
		// every server (the apply checker already failed any server that
		// applied 102 there).
		if nd, v := cfg.nCommitted(2); nd != servers || v != 103 {
			w.Fatalf("log matching: index 2 holds %v on %d servers, want 103 on all %d (the stale leader's 102 must be overwritten)",
				v, nd, servers)
		}
		cfg.end()
	})
}

// Leaders in minorities pile up 50 uncommitted entries each; the majority
// must back them up over those divergent logs quickly.
func TestBackup3B(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 60 * time.Second, RPCs: 5000}, func(w *cluster.World) {
		const servers = 5
		cfg := makeCluster(w, servers, cluster.Reliable, plainService)
		cfg.begin("leader backs up quickly over incorrect follower logs")

		cfg.one(cfg.randCmd(), servers, retry)

		// The leader and one follower in a minority.
		leader1 := cfg.CheckOneLeader()
		cfg.Disconnect((leader1 + 2) % servers)
		cfg.Disconnect((leader1 + 3) % servers)
		cfg.Disconnect((leader1 + 4) % servers)

		// Entries the minority will never commit.
		for i := 0; i < 50; i++ {
			cfg.raft(leader1).Start(cfg.randCmd())
		}
		time.Sleep(testElectionTimeout / 2)

		cfg.Disconnect((leader1 + 0) % servers)
		cfg.Disconnect((leader1 + 1) % servers)

		// The other three become the majority and commit 50 entries.
		cfg.Connect((leader1 + 2) % servers)
		cfg.Connect((leader1 + 3) % servers)
		cfg.Connect((leader1 + 4) % servers)
		for i := 0; i < 50; i++ {
			cfg.one(cfg.randCmd(), 3, retry)
		}

		// Its leader loses one follower and piles up 50 more uncommitted
		// entries.
		leader2 := cfg.CheckOneLeader()
		other := (leader1 + 2) % servers
		if leader2 == other {
			other = (leader2 + 1) % servers
		}
		cfg.Disconnect(other)
		for i := 0; i < 50; i++ {
			cfg.raft(leader2).Start(cfg.randCmd())
		}
		time.Sleep(testElectionTimeout / 2)

		// Everyone off; the first minority and "other" form a majority.
		for i := 0; i < servers; i++ {
			cfg.Disconnect(i)
		}
		cfg.Connect((leader1 + 0) % servers)
		cfg.Connect((leader1 + 1) % servers)
		cfg.Connect(other)

		// They commit 50 entries: the first minority's 50 stale entries
		// must be overwritten.
		last3 := -1
		for i := 0; i < 50; i++ {
			last3 = cfg.one(cfg.randCmd(), 3, retry)
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
				received[i] = cfg.RPCCount(i)
			}
		}
		t0 := time.Now()
		for i := 0; i < servers; i++ {
			cfg.Connect(i)
		}
		for time.Since(t0) < 5*time.Second {
			if nd, _ := cfg.nCommitted(last3); nd == servers {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		for _, i := range lagging {
			got := cfg.RPCCount(i) - received[i]
			w.Logf("  server %d caught up over 50 divergent entries with %d RPCs in %v", i, got, time.Since(t0).Round(time.Millisecond))
			if got > 40 {
				w.Fatalf("fast backup: server %d received %d RPCs to replace its 50 divergent entries, want at most 40: back nextIndex up a term at a time, not an entry at a time",
					i, got)
			}
		}
		cfg.one(cfg.randCmd(), servers, retry)
		cfg.end()
	})
}

// RPC budgets: an election, ten agreements in one term, an idle second.
func TestCount3B(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 20 * time.Second, RPCs: 600}, func(w *cluster.World) {
		const servers = 3
		cfg := makeCluster(w, servers, cluster.Reliable, plainService)
		cfg.begin("RPC counts aren't too high")

		rpcs := func() int {
			n := 0
			for j := 0; j < servers; j++ {
				n += cfg.RPCCount(j)
			}
			return n
		}

		leader := cfg.CheckOneLeader()
		if total1 := rpcs(); total1 > 30 || total1 < 1 {
			w.Fatalf("RPC budget: the first election took %d RPCs, want 1..30", total1)
		}

		var total2 int
		success := false
	loop:
		for try := 0; try < 5; try++ {
			if try > 0 {
				time.Sleep(3 * time.Second) // give the election time to settle
			}
			leader = cfg.CheckOneLeader()
			total1 := rpcs()
			bytes1 := cfg.w.Net.GetTotalBytes()

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
					w.Fatalf("exact indices: Start returned index %d, want %d", index1, starti+i)
				}
			}
			for i := 1; i < iters+1; i++ {
				cmd := cfg.wait(starti+i, servers, term)
				if ix, ok := cmd.(int); !ok || ix == -1 {
					continue loop // the term changed while waiting
				} else if ix != cmds[i-1] {
					w.Fatalf("index %d holds %v, want %v", starti+i, ix, cmds[i-1])
				}
			}
			for j := 0; j < servers; j++ {
				if t, _ := cfg.raft(j).GetState(); t != term {
					continue loop // the term changed: counts would be off
				}
			}

			total2 = rpcs()
			if total2-total1 > (iters+1+3)*3 {
				w.Fatalf("RPC budget: %d RPCs for %d agreements in one term, want at most %d", total2-total1, iters, (iters+1+3)*3)
			}
			nbytes := cfg.w.Net.GetTotalBytes() - bytes1
			w.Logf("  %d agreements in one term took %d RPCs and %d bytes (%.1f RPCs, %d bytes per agreement)",
				iters+1, total2-total1, nbytes, float64(total2-total1)/float64(iters+1), nbytes/int64(iters+1))
			success = true
			break
		}
		if !success {
			w.Fatalf("the term changed too often")
		}

		// An idle second: heartbeats only.
		time.Sleep(testElectionTimeout)
		if total3 := rpcs(); total3-total2 > 3*20 {
			w.Fatalf("RPC budget: %d RPCs in one idle second, want at most 60", total3-total2)
		}
		cfg.end()
	})
}

// randCommandString draws a printable string of n bytes from the test's source.
func randCommandString(w *cluster.World, n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	var b strings.Builder
	b.Grow(n)
	for i := 0; i < n; i++ {
		b.WriteByte(alphabet[w.Rand.IntN(len(alphabet))])
	}
	return b.String()
}

// testMaxAgreement is the average time one agreement may take when
// commands come one after another: kvraft's speed test allows 33 ms per
// operation, three within a heartbeat interval, which a leader that waits
// for its next heartbeat to send a new entry cannot meet.
const testMaxAgreement = 33 * time.Millisecond

// Sequential agreements must not wait for heartbeats: the leader sends a
// new entry as soon as Start gives it one.
func TestSpeed3B(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 30 * time.Second, RPCs: 3000}, func(w *cluster.World) {
		const servers = 3
		const agreements = 100
		cfg := makeCluster(w, servers, cluster.Reliable, plainService)
		cfg.begin("agreement speed")

		cfg.one(cfg.randCmd(), servers, retry)
		start := time.Now()
		for k := 0; k < agreements; k++ {
			x := cfg.randCmd()
			leader, ok := cfg.Leader()
			if !ok {
				leader = cfg.CheckOneLeader()
			}
			index, _, isLeader := cfg.raft(leader).Start(x)
			if !isLeader {
				k-- // leadership moved: try again on the new leader
				continue
			}
			for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(time.Millisecond) {
				if nd, v := cfg.nCommitted(index); nd > 0 && v == x {
					break
				}
				if time.Now().After(deadline) {
					w.Fatalf("agreement: command %d, accepted at index %d, was not applied within 2s on a reliable network", x, index)
				}
			}
		}
		if per := time.Since(start) / agreements; per > testMaxAgreement {
			w.Fatalf("agreement speed: %d sequential agreements took %v each on average, want at most %v: the leader should send a new entry at once on Start, not with its next heartbeat (kvraft's speed test needs this)",
				agreements, per.Round(time.Microsecond), testMaxAgreement)
		}
		cfg.end()
	})
}
