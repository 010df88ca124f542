package raft

// 3C: persistence.

import (
	"fmt"
	"raftlab/labtest/cluster"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// restartAll crashes and restarts every server, then reconnects them.
func (cfg *config) restartAll() {
	for i := 0; i < cfg.n; i++ {
		cfg.Start(i)
	}
	for i := 0; i < cfg.n; i++ {
		cfg.Connect(i)
	}
}

// Whole-cluster, leader and follower crashes: what was committed survives,
// and restarted servers take part again.
func TestPersist13C(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 30 * time.Second, RPCs: 1500}, func(w *cluster.World) {
		const servers = 3
		cfg := makeCluster(w, servers, cluster.Reliable, plainService)
		cfg.begin("basic persistence")

		cfg.one(11, servers, retry)

		// Everyone crashes and restarts.
		cfg.restartAll()
		cfg.one(12, servers, retry)

		// The leader crashes and restarts.
		leader1 := cfg.CheckOneLeader()
		cfg.Start(leader1)
		cfg.Connect(leader1)
		cfg.one(13, servers, retry)

		// The next leader is cut off, commits happen without it, then it
		// crashes and restarts: it must catch up from its persisted state.
		leader2 := cfg.CheckOneLeader()
		cfg.Disconnect(leader2)
		cfg.one(14, servers-1, retry)
		cfg.Start(leader2)
		cfg.Connect(leader2)
		cfg.wait(4, servers, -1) // wait for leader2 to join before killing i3

		i3 := (cfg.CheckOneLeader() + 1) % servers
		cfg.Disconnect(i3)
		cfg.one(15, servers-1, retry)
		cfg.Start(i3)
		cfg.Connect(i3)
		cfg.one(16, servers, retry)
		cfg.end()
	})
}

// Rounds of crashes of leaders and followers in a five-server cluster, each
// with commits made by a bare majority of freshly restarted servers.
func TestPersist23C(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 60 * time.Second, RPCs: 4000}, func(w *cluster.World) {
		const servers = 5
		cfg := makeCluster(w, servers, cluster.Reliable, plainService)
		cfg.begin("more persistence")

		index := 1
		for iters := 0; iters < 5; iters++ {
			cfg.one(10+index, servers, retry)
			index++

			leader1 := cfg.CheckOneLeader()
			cfg.Disconnect((leader1 + 1) % servers)
			cfg.Disconnect((leader1 + 2) % servers)
			cfg.one(10+index, servers-2, retry)
			index++

			// The three that saw the last entry go; the two that missed it
			// restart from their persisted state.
			cfg.Disconnect((leader1 + 0) % servers)
			cfg.Disconnect((leader1 + 3) % servers)
			cfg.Disconnect((leader1 + 4) % servers)
			cfg.Start((leader1 + 1) % servers)
			cfg.Start((leader1 + 2) % servers)
			cfg.Connect((leader1 + 1) % servers)
			cfg.Connect((leader1 + 2) % servers)
			time.Sleep(testElectionTimeout)

			// One that saw it restarts and joins them: with it they are a
			// majority, and its vote must go to a log as up to date as its own.
			cfg.Start((leader1 + 3) % servers)
			cfg.Connect((leader1 + 3) % servers)
			cfg.one(10+index, servers-2, retry)
			index++

			cfg.Connect((leader1 + 4) % servers)
			cfg.Connect((leader1 + 0) % servers)
		}
		cfg.one(1000, servers, retry)
		cfg.end()
	})
}

// A partitioned-off follower, then the leader and the other follower
// crash: what the cut-off follower missed must come back from disk.
func TestPersist33C(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 30 * time.Second, RPCs: 1500}, func(w *cluster.World) {
		const servers = 3
		cfg := makeCluster(w, servers, cluster.Reliable, plainService)
		cfg.begin("partitioned leader and one follower crash, leader restarts")

		cfg.one(101, servers, retry)

		leader := cfg.CheckOneLeader()
		cfg.Disconnect((leader + 2) % servers)
		cfg.one(102, 2, retry)

		cfg.Crash((leader + 0) % servers)
		cfg.Crash((leader + 1) % servers)
		cfg.Connect((leader + 2) % servers)
		cfg.Start((leader + 0) % servers)
		cfg.Connect((leader + 0) % servers)

		// The restarted leader must still hold 102 and bring the stale
		// follower up to date.
		cfg.one(103, 2, retry)

		cfg.Start((leader + 1) % servers)
		cfg.Connect((leader + 1) % servers)
		cfg.one(104, servers, retry)
		cfg.end()
	})
}

// Figure 8 of the Raft paper: leaders crash right after appending entries
// that only some followers got. A leader must never commit an entry of an
// earlier term by counting replicas; the apply checker catches the
// committed-then-overwritten entry if it does.
func TestFigure83C(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 120 * time.Second, RPCs: 40000}, func(w *cluster.World) {
		const servers = 5
		cfg := makeCluster(w, servers, cluster.Reliable, plainService)
		cfg.begin("Figure 8")

		cfg.one(cfg.randCmd(), 1, retry)

		nup := servers
		for iters := 0; iters < 1000; iters++ {
			leader := -1
			for i := 0; i < servers; i++ {
				if rf := cfg.raft(i); rf != nil {
					if _, _, ok := rf.Start(cfg.randCmd()); ok {
						leader = i
					}
				}
			}

			if w.Rand.IntN(1000) < 100 {
				time.Sleep(time.Duration(w.Rand.IntN(testElectionTimeoutMillis()/2)) * time.Millisecond)
			} else {
				time.Sleep(time.Duration(w.Rand.Int64N(13)) * time.Millisecond)
			}

			if leader != -1 {
				cfg.Crash(leader)
				nup--
			}
			if nup < 3 {
				s := w.Rand.IntN(servers)
				if cfg.raft(s) == nil {
					cfg.Start(s)
					cfg.Connect(s)
					nup++
				}
			}
		}

		for i := 0; i < servers; i++ {
			if cfg.raft(i) == nil {
				cfg.Start(i)
				cfg.Connect(i)
			}
		}
		cfg.one(cfg.randCmd(), servers, retry)
		cfg.end()
	})
}

// Concurrent clients on an unreliable network: every command commits.
func TestUnreliableAgree3C(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 60 * time.Second, RPCs: 20000}, func(w *cluster.World) {
		const servers = 5
		cfg := makeCluster(w, servers, cluster.Unreliable, plainService)
		cfg.begin("unreliable agreement")

		var wg sync.WaitGroup
		for iters := 1; iters < 50; iters++ {
			for j := 0; j < 4; j++ {
				wg.Add(1)
				cmd := 100*iters + j
				offset := time.Duration(1 + w.Rand.Int64N(int64(time.Millisecond)))
				w.H.Go(fmt.Sprintf("client-%d", cmd), func() {
					defer wg.Done()
					// Concurrent, but each on its own instant (a random
					// fraction of a millisecond apart), so that the order
					// of the Starts replays.
					time.Sleep(offset)
					if _, err := cfg.tryOne(cmd, 1, retry); err != nil {
						w.Report(err)
					}
				})
			}
			cfg.one(iters, 1, retry)
		}
		cfg.w.SetNet(cluster.Reliable)
		wg.Wait()
		cfg.one(100, servers, retry)
		cfg.end()
	})
}

// Figure 8 again, on an unreliable network with long reordering, with
// leaders partitioned away instead of crashed.
func TestFigure8Unreliable3C(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 120 * time.Second, RPCs: 100000}, func(w *cluster.World) {
		const servers = 5
		cfg := makeCluster(w, servers, cluster.Unreliable, plainService)
		cfg.begin("Figure 8 (unreliable)")

		cfg.one(w.Rand.IntN(10000), 1, retry)

		nup := servers
		for iters := 0; iters < 1000; iters++ {
			if iters == 200 {
				cfg.w.SetLongReordering(true)
			}
			leader := -1
			for i := 0; i < servers; i++ {
				if _, _, ok := cfg.raft(i).Start(w.Rand.IntN(10000)); ok && cfg.Connected(i) {
					leader = i
				}
			}

			if w.Rand.IntN(1000) < 100 {
				time.Sleep(time.Duration(w.Rand.IntN(testElectionTimeoutMillis()/2)) * time.Millisecond)
			} else {
				time.Sleep(time.Duration(w.Rand.Int64N(13)) * time.Millisecond)
			}

			if leader != -1 && w.Rand.IntN(2) == 0 {
				cfg.Disconnect(leader)
				nup--
			}
			if nup < 3 {
				s := w.Rand.IntN(servers)
				if !cfg.Connected(s) {
					cfg.Connect(s)
					nup++
				}
			}
		}

		// Healed: everyone connected and replies no longer held back for
		// seconds. With long reordering on, a Raft with election timeouts
		// at the short end of what the lab allows keeps deposing its
		// leaders; the lab promises progress only once the network lets a
		// majority hear each other within a timeout.
		cfg.w.SetLongReordering(false)
		for i := 0; i < servers; i++ {
			if !cfg.Connected(i) {
				cfg.Connect(i)
			}
		}
		cfg.one(w.Rand.IntN(10000), servers, retry)
		cfg.end()
	})
}

// testElectionTimeoutMillis is the election timeout in milliseconds.
func testElectionTimeoutMillis() int { return int(testElectionTimeout / time.Millisecond) }

// churnTest runs three clients against a cluster that is disconnected, crashed
// and restarted at random; at the end every value a client saw committed
// must be in the final log.
func churnTest(w *cluster.World, mode cluster.NetMode) {
	const servers = 5
	cfg := makeCluster(w, servers, mode, plainService)
	name := "churn"
	if mode == cluster.Unreliable {
		name = "unreliable churn"
	}
	cfg.begin(name)

	var stop sync.WaitGroup
	done := make(chan struct{})
	var stopOnce sync.Once
	stopClients := func() { stopOnce.Do(func() { close(done) }) }
	w.H.OnTeardown(stopClients) // also if the test fails midway
	const nclients = 3
	results := make([][]int, nclients)
	var acks atomic.Int64 // commands clients saw committed, so far
	for c := 0; c < nclients; c++ {
		// Each client has its own source, drawn from the test's.
		rnd := w.H.NewRand(fmt.Sprintf("client-%d", c))
		stop.Add(1)
		me := c
		w.H.Go(fmt.Sprintf("client-%d", me), func() {
			defer stop.Done()
			var values []int
			for {
				select {
				case <-done:
					results[me] = values
					return
				default:
				}
				// Think between commands: the test is about durability
				// under churn, and a flood of commands only costs wall
				// time (every server persists its whole log). The pause
				// is random to the nanosecond, which keeps the clients off
				// the instants of the body and the servers.
				time.Sleep(20*time.Millisecond + time.Duration(rnd.Int64N(int64(40*time.Millisecond))))
				x := rnd.Int()
				index, ok := -1, false
				for i := 0; i < servers; i++ {
					if rf := cfg.raft(i); rf != nil {
						if ix, _, isLeader := rf.Start(x); isLeader {
							index, ok = ix, true
						}
					}
				}
				if ok {
					// Poll for the commit with backoff, as a client would.
					for _, to := range []int{10, 20, 50, 100, 200} {
						nd, cmd := cfg.countApplied(index)
						if nd > 0 {
							if xx, isInt := cmd.(int); isInt && xx == x {
								values = append(values, x)
								acks.Add(1)
							}
							break
						}
						time.Sleep(time.Duration(to) * time.Millisecond)
					}
				} else {
					time.Sleep(50*time.Millisecond + time.Duration(rnd.Int64N(int64(50*time.Millisecond))))
				}
			}
		})
	}

	for iters := 0; iters < 20; iters++ {
		if w.Rand.IntN(1000) < 200 {
			cfg.Disconnect(w.Rand.IntN(servers))
		}
		if w.Rand.IntN(1000) < 500 {
			i := w.Rand.IntN(servers)
			if cfg.raft(i) == nil {
				cfg.Start(i)
			}
			cfg.Connect(i)
		}
		if w.Rand.IntN(1000) < 200 {
			i := w.Rand.IntN(servers)
			if cfg.raft(i) != nil {
				cfg.Crash(i)
			}
		}
		// Long enough for an election most of the time, short enough that
		// the cluster is often caught mid-election.
		time.Sleep(time.Duration(w.Rand.IntN(testElectionTimeoutMillis()*7/10)) * time.Millisecond)
	}

	time.Sleep(testElectionTimeout)
	cfg.w.SetNet(cluster.Reliable)
	for i := 0; i < servers; i++ {
		if cfg.raft(i) == nil {
			cfg.Start(i)
		}
		cfg.Connect(i)
	}

	// Progress is promised only once a majority can talk for long enough
	// to elect a leader: the churn above may leave no such window for a
	// Raft with the slowest election timeouts the lab allows. So the
	// clients go on, on the healed cluster, until one of them sees a
	// commit or twice the lab's 5 s for a new leader has passed.
	for deadline := time.Now().Add(2 * 5 * time.Second); acks.Load() == 0 && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
	}
	stopClients()
	stop.Wait()

	time.Sleep(testElectionTimeout)
	last := cfg.one(cfg.randCmd(), servers, retry)

	var really []int
	for index := 1; index <= last; index++ {
		v := cfg.wait(index, servers, -1)
		if vi, ok := v.(int); ok {
			really = append(really, vi)
		} else {
			w.Fatalf("index %d holds %v, not an int", index, v)
		}
	}
	acked := 0
	for _, values := range results {
		acked += len(values)
	}
	if acked == 0 {
		w.Fatalf("liveness: no client saw a single command commit, through the churn and 10s on the healed cluster")
	}
	inLog := map[int]bool{}
	for _, v := range really {
		inLog[v] = true
	}
	for c, values := range results {
		for _, v := range values {
			if !inLog[v] {
				w.Fatalf("durability: client %d saw %d committed, but it is not in the final log (1..%d)", c, v, last)
			}
		}
	}
	cfg.end()
}

func TestReliableChurn3C(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 60 * time.Second, RPCs: 40000}, func(w *cluster.World) {
		churnTest(w, cluster.Reliable)
	})
}

func TestUnreliableChurn3C(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 60 * time.Second, RPCs: 40000}, func(w *cluster.World) {
		churnTest(w, cluster.Unreliable)
	})
}

// leaderAmong waits up to 5 s for one of group to claim leadership of a
// term above minTerm, and returns it and its term.
func (cfg *config) leaderAmong(group []int, minTerm int) (int, int) {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		cfg.PollLeaders() // election safety, on the way
		for _, i := range group {
			if rf := cfg.raft(i); rf != nil {
				if term, isLeader := rf.GetState(); isLeader && term > minTerm {
					return i, term
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	cfg.w.Fatalf("liveness: none of servers %v became leader (of a term above %d) within 5s, though they form a majority", group, minTerm)
	return -1, -1
}

// Figure 8 of the Raft paper, step by step, with partitions instead of
// luck. An entry X of an old term sits on a minority; a leader of a later
// term replicates it to a majority without any entry of its own term. It
// must not count that as committed: a server holding a conflicting entry of
// a term between the two can still be elected and overwrite X.
//
//	(a) leader s0 (term T1) puts X at index 2 on s0 and s1 only
//	(b) p, of the other three, leads term T2, is cut off, takes Y at index 2
//	(c) s0 or s1 leads term T3 and copies X to q and r: X is on a majority
//	(d) p, q, r elect p (its last term T2 beats T1) and p commits Y at 2
//
// An implementation that committed X in (c) has applied it, and the apply
// checker catches Y at the same index.
func TestFigure8Scenario3C(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 40 * time.Second, RPCs: 3000}, func(w *cluster.World) {
		const servers = 5
		cfg := makeCluster(w, servers, cluster.Reliable, plainService)
		cfg.begin("Figure 8, scripted")

		if index := cfg.one(cfg.randCmd(), servers, noRetry); index != 1 {
			w.Fatalf("exact indices: the first command committed at index %d", index)
		}
		s0, t1 := cfg.leaderAmong([]int{0, 1, 2, 3, 4}, 0)
		s1 := (s0 + 1) % servers
		others := []int{(s0 + 2) % servers, (s0 + 3) % servers, (s0 + 4) % servers}

		// (a)
		cfg.PartitionNodes([][]any{{s0, s1}, {others[0], others[1], others[2]}})
		x := cfg.randCmd()
		if index, _, ok := cfg.raft(s0).Start(x); !ok || index != 2 {
			w.Fatalf("Start(X) on leader %d returned index %d, ok=%v; want index 2", s0, index, ok)
		}
		time.Sleep(200 * time.Millisecond) // X reaches s1

		// (b)
		p, t2 := cfg.leaderAmong(others, 0)
		var q, r int
		switch p {
		case others[0]:
			q, r = others[1], others[2]
		case others[1]:
			q, r = others[0], others[2]
		default:
			q, r = others[0], others[1]
		}
		cfg.PartitionNodes([][]any{{p}, {s0, s1, q, r}})
		y := cfg.randCmd()
		if index, _, ok := cfg.raft(p).Start(y); !ok || index != 2 {
			w.Fatalf("Start(Y) on leader %d returned index %d, ok=%v; want index 2", p, index, ok)
		}

		// (c) Only s0 and s1 have a log as up to date as X's; nobody
		// starts anything, so the new leader has no entry of its own term.
		l3, t3 := cfg.leaderAmong([]int{s0, s1}, t2)
		time.Sleep(testElectionTimeout) // X reaches q and r
		w.Logf("  X on %d, %d and (via leader %d) %d, %d; Y on %d", s0, s1, l3, q, r, p)

		// (d)
		cfg.PartitionNodes([][]any{{s0, s1}, {p, q, r}})
		// Only p can win: q and r hold X (term T1), p holds Y (term T2).
		// It must lead a term above T3 (its leadership of T2 is stale).
		if leader, _ := cfg.leaderAmong([]int{p, q, r}, t3); leader != p {
			w.Fatalf("election restriction: server %d, whose last entry is X of term %d, was elected over p=%d whose last entry is Y of term %d",
				leader, t1, p, t2)
		}
		// p commits an entry of its own term, and with it Y at index 2.
		cfg.one(cfg.randCmd(), 3, retry)
		if nd, v := cfg.nCommitted(2); nd < 3 || v != y {
			w.Fatalf("index 2 holds %v on %d servers, want Y=%v on p, q and r", v, nd, y)
		}

		cfg.Heal()
		cfg.one(cfg.randCmd(), servers, retry)
		cfg.end()
	})
}

// A vote is a promise that must survive a crash. A voter that forgets it
// on restart can vote again in the same term and give that term two
// leaders. Each round: a leader of term T is elected with one vote from v;
// v restarts; b, restarted with term T-1 and cut off from the leader,
// campaigns for term T and asks v. The election safety check catches two
// leaders of T.
func TestPersistVote3C(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 90 * time.Second, RPCs: 6000}, func(w *cluster.World) {
		const servers = 3
		cfg := makeCluster(w, servers, cluster.Reliable, plainService)
		cfg.begin("votes survive a restart")

		cfg.one(cfg.randCmd(), servers, retry)
		for round := 0; round < 8; round++ {
			a, b, v := cfg.electWithOneDown(round)

			// v restarts, b restarts in the same partition as v only.
			cfg.PartitionNodes([][]any{{a}, {b, v}})
			cfg.Start(v)
			cfg.Connect(v)
			cfg.Start(b)
			cfg.Connect(b)
			time.Sleep(2 * testElectionTimeout)
			cfg.PollLeaders()

			cfg.Heal()
			cfg.one(cfg.randCmd(), servers, retry)
		}
		cfg.end()
	})
}

// A candidate saves its new term and its vote for itself before it asks
// for votes (Figure 2: persistent state is updated before responding to
// RPCs, and a RequestVote carries that term). Here the winner of an
// election crashes and restarts at once, with a server that was down
// during that election and still has the term before it. If the winner
// forgot its term and vote, it grants the returning server's campaign for
// the very term it won, and that term has two leaders.
func TestPersistCandidacy3C(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 180 * time.Second, RPCs: 12000}, func(w *cluster.World) {
		const servers = 3
		cfg := makeCluster(w, servers, cluster.Reliable, plainService)
		cfg.begin("a candidate's term and vote survive a restart")

		cfg.one(cfg.randCmd(), servers, retry)
		// Sixteen rounds: the forgotten term bites only when the returning
		// server campaigns before the winner has bumped its term again.
		for round := 0; round < 16; round++ {
			a, b, v := cfg.electWithOneDown(round)

			// The winner restarts at once, alone with b.
			cfg.Start(a)
			cfg.PartitionNodes([][]any{{a, b}, {v}})
			cfg.Connect(a)
			cfg.Start(b)
			cfg.Connect(b)
			time.Sleep(2 * testElectionTimeout)
			cfg.PollLeaders()

			cfg.Heal()
			cfg.one(cfg.randCmd(), servers, retry)
		}
		cfg.end()
	})
}

// electWithOneDown is the first half of a persistence round on three
// servers: b crashes holding the current term T on disk, and the other two
// hold a fresh election (the leader restarts, so that its timer or the
// other's runs out); a wins a term after T with the vote of v.
func (cfg *config) electWithOneDown(round int) (a, b, v int) {
	l0, t0 := cfg.leaderAmong([]int{0, 1, 2}, 0)
	b = (l0 + 1 + cfg.w.Rand.IntN(2)) % 3
	cfg.Crash(b)
	cfg.Start(l0)
	cfg.Connect(l0)
	a, ta := cfg.leaderAmong([]int{0, 1, 2}, t0)
	v = 3 - a - b
	cfg.w.Logf("  round %d: %d leads term %d with the vote of %d; %d is down with term <= %d", round, a, ta, v, b, t0)
	return a, b, v
}
