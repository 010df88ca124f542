package shardctrler

// Beyond the classic tests: requests lost, delayed and delivered twice,
// and servers crashing, while clerks change the configuration at once.

import (
	"fmt"
	"testing"
	"time"

	"raftlab/labrpc"
	"raftlab/labtest/cluster"
)

// Each Join, Leave and Move makes exactly one configuration, however
// often its request was retried or duplicated on the way: after the
// clerks' changes the latest configuration's number is their count.
func TestExactlyOnce(t *testing.T) {
	cluster.Run(t, classicBudget, func(w *cluster.World) {
		cfg := makeConfig(w, suiteSetup)
		ck := cfg.clerk()
		w.Begin("each change once, with duplicated requests, lost replies and crashes")
		w.SetFaults(labrpc.Faults{DropRequests: 0.1, DropReplies: 0.2, Duplicates: 0.3, MaxDelay: 27 * time.Millisecond})

		// A crash of one server at a time, its restart a little later:
		// a majority is always up, so every change completes.
		stop, crasherDone := make(chan struct{}), make(chan struct{})
		crashed := 0
		crashes := w.H.NewRand("shardctrler crashes")
		w.H.Go("crash one server at a time", func() {
			defer close(crasherDone)
			for {
				select {
				case <-stop:
					return
				case <-time.After(time.Duration(200+crashes.IntN(500)) * time.Millisecond):
				}
				i := crashes.IntN(cfg.N())
				cfg.Crash(i)
				crashed++
				time.Sleep(time.Duration(200+crashes.IntN(800)) * time.Millisecond)
				cfg.StartAll()
			}
		})

		const clerks, rounds = 4, 6
		done := make(chan int, clerks)
		for c := range clerks {
			ckc := cfg.clerk()
			w.H.Go(fmt.Sprintf("clerk %d's changes", c), func() {
				changes := 0
				for r := range rounds {
					gid := 1000 + 100*c + r
					ckc.ck.Join(map[int][]string{gid: {fmt.Sprintf("s%d", gid)}})
					ckc.ck.Move((c+r)%NShards, gid)
					ckc.queryNow(-1)
					ckc.ck.Leave([]int{gid})
					changes += 3
				}
				ckc.ck.Join(map[int][]string{2000 + c: {fmt.Sprintf("s%d", 2000+c)}})
				done <- changes + 1
			})
		}
		total := 0
		deadline := time.After(2 * callWait)
		for range clerks {
			select {
			case n := <-done:
				total += n
			case <-deadline:
				w.Fatalf("liveness: the clerks' changes did not complete within %v (virtual) with a majority of the controllers up", 2*callWait)
			}
		}
		close(stop)
		<-crasherDone
		cfg.StartAll()
		w.SetFaults(labrpc.Faults{})

		latest := cfg.checkLatest(ck, 2000, 2001, 2002, 2003)
		if latest.Num != total {
			cfg.w.Fatalf("exactly once: the clerks made %d changes, each of which makes one configuration, but the latest is config %d: a retried or duplicated request %s",
				total, latest.Num, map[bool]string{true: "made a configuration twice", false: "was lost"}[latest.Num > total])
		}
		w.Logf("%d changes by %d clerks, %d crashes", total, clerks, crashed)
		cfg.report()
	})
}

// A leader cut off from the others must neither change the configuration
// nor answer a Query with the configurations it has, which the majority
// has moved past; once the partition heals, both complete, the Join once.
func TestPartitionedLeader(t *testing.T) {
	cluster.Run(t, classicBudget, func(w *cluster.World) {
		cfg := makeConfig(w, suiteSetup)
		ck := cfg.clerk()
		ck.join(map[int][]string{1: {"a"}})
		cfg.checkLatest(ck, 1)

		w.Begin("no progress, and no stale answer, in a minority")
		leader := cfg.CheckOneLeader()
		var others []int
		for i := range cfg.N() {
			if i != leader {
				others = append(others, i)
			}
		}
		cfg.Partition([]int{leader}, others)
		ckMajority := cfg.clerk()
		ckMajority.client.ConnectOnly(cfg, others)
		ckMajority.join(map[int][]string{2: {"b"}})
		ckMajority.join(map[int][]string{3: {"c"}})
		cfg.checkLatest(ckMajority, 1, 2, 3)

		ckQuery, ckJoin := cfg.clerk(), cfg.clerk()
		ckQuery.client.ConnectOnly(cfg, []int{leader})
		ckJoin.client.ConnectOnly(cfg, []int{leader})
		var got Config
		queried, joined := make(chan struct{}), make(chan struct{})
		w.H.Go("Query(-1) via the old leader", func() { got = ckQuery.queryNow(-1); close(queried) })
		w.H.Go("Join(4) via the old leader", func() { ckJoin.ck.Join(map[int][]string{4: {"d"}}); close(joined) })
		select {
		case <-queried:
			// checkAnswer has failed the test if got is stale; a fresh
			// one cannot come from the minority.
			w.Fatalf("a Query through a clerk that reaches only server %d, cut off from the majority, completed (config %d)", leader, got.Num)
		case <-joined:
			w.Fatalf("a Join through a clerk that reaches only server %d, cut off from the majority, completed", leader)
		case <-time.After(2 * time.Second):
		}

		cfg.Heal()
		for _, c := range []*ctrlClerk{ckQuery, ckJoin} {
			c.client.ConnectTo(cfg, others...)
		}
		for _, call := range []struct {
			what string
			done chan struct{}
		}{{"Query", queried}, {"Join", joined}} {
			select {
			case <-call.done:
			case <-time.After(callWait):
				w.Fatalf("liveness: the %s begun in the minority did not complete within %v (virtual) after the partition healed", call.what, callWait)
			}
		}
		if latest := cfg.checkLatest(ck, 1, 2, 3, 4); latest.Num != 4 {
			w.Fatalf("exactly once: four Joins made config %d as the latest, want config 4", latest.Num)
		}
		cfg.report()
	})
}
