package raft

// ReadIndex is an optional extra of our Raft (not in the classic API). The
// tests reach it through an interface assertion, as a service does, so
// that a raft.go without it still compiles against this file; they skip on
// such a Raft.

import (
	"sync"
	"testing"
	"time"

	"raftlab/labtest/cluster"
)

// readIndexer is the optional ReadIndex of a Raft.
type readIndexer interface {
	ReadIndex() (index int, term int, ok bool)
}

// readIndexOf returns server i's ReadIndex, skipping the test when this
// Raft has none.
func (cfg *config) readIndexOf(i int) readIndexer {
	rf := cfg.raft(i)
	if rf == nil {
		cfg.w.Fatalf("server %d is down", i)
	}
	ri, ok := any(rf).(readIndexer)
	if !ok {
		cfg.w.T().Skip("this Raft has no ReadIndex method; the tests of that optional extra do not apply")
	}
	return ri
}

// A leader answers reads at its commit index once it has committed an entry
// of its term, refuses them before; followers refuse them; and reads append
// nothing to the log.
func TestReadIndexOnLeaderAndFollowers(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 30 * time.Second}, func(w *cluster.World) {
		const servers = 3
		cfg := makeCluster(w, servers, cluster.Reliable, plainService)
		cfg.begin("ReadIndex on the leader and on followers")

		leader := cfg.CheckOneLeader()
		if _, _, ok := cfg.readIndexOf(leader).ReadIndex(); ok {
			w.Fatalf("a new leader that has committed nothing of its term confirmed a read: its commit index may lag behind an earlier leader's")
		}
		committed := cfg.one(cfg.randCmd(), servers, noRetry)
		leader = cfg.CheckOneLeader()
		wantTerm, _ := cfg.raft(leader).GetState()
		index, term, ok := cfg.readIndexOf(leader).ReadIndex()
		if !ok || index < committed || term != wantTerm {
			w.Fatalf("the leader of term %d answered ReadIndex with (%d, %d, %v), want index >= %d, term %d, ok",
				wantTerm, index, term, ok, committed, wantTerm)
		}
		for i := 0; i < servers; i++ {
			if i == leader {
				continue
			}
			if _, _, ok := cfg.readIndexOf(i).ReadIndex(); ok {
				w.Fatalf("follower %d confirmed a read", i)
			}
		}
		next := cfg.one(cfg.randCmd(), servers, noRetry)
		if next != committed+1 {
			w.Fatalf("the entry after the reads went to index %d, want %d: ReadIndex appended to the log", next, committed+1)
		}
		cfg.end()
	})
}

// Concurrent reads share heartbeat rounds: a hundred of them cost a few
// rounds of RPCs, not a hundred.
func TestReadIndexBatchesConcurrentReads(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 30 * time.Second}, func(w *cluster.World) {
		const servers, readers = 3, 100
		cfg := makeCluster(w, servers, cluster.Reliable, plainService)
		committed := cfg.one(cfg.randCmd(), servers, noRetry)
		leader := cfg.CheckOneLeader()
		ri := cfg.readIndexOf(leader)
		cfg.begin("concurrent ReadIndex calls share rounds")

		rpcs := w.Net.GetTotalCount()
		var wg sync.WaitGroup
		var mu sync.Mutex
		failed := 0
		for range readers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if index, _, ok := ri.ReadIndex(); !ok || index < committed {
					mu.Lock()
					failed++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if failed > 0 {
			w.Fatalf("%d of %d concurrent reads on a stable leader failed or came back below the commit index %d", failed, readers, committed)
		}
		if spent := w.Net.GetTotalCount() - rpcs; spent > 4*(servers-1) {
			w.Fatalf("%d concurrent reads cost %d RPCs: reads arriving together should share heartbeat rounds", readers, spent)
		}
		cfg.end()
	})
}

// A leader cut off in a minority keeps believing it leads, but it must not
// confirm reads: the majority has elected a leader that commits entries
// the old one has never seen.
func TestReadIndexPartitionedLeader(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 30 * time.Second}, func(w *cluster.World) {
		const servers = 5
		cfg := makeCluster(w, servers, cluster.Reliable, plainService)
		cfg.begin("ReadIndex on a leader partitioned into the minority")

		cfg.one(cfg.randCmd(), servers, noRetry)
		old := cfg.CheckOneLeader()
		oldReads := cfg.readIndexOf(old)
		majority, _, _ := cfg.PartitionLeaderInMinority()
		newer := cfg.one(cfg.randCmd(), len(majority), retry)

		start := time.Now()
		if index, term, ok := oldReads.ReadIndex(); ok {
			w.Fatalf("the deposed leader %d confirmed a read at index %d in term %d, while the majority committed index %d", old, index, term, newer)
		}
		if took := time.Since(start); took > 2*testElectionTimeout {
			w.Fatalf("a read on the deposed leader took %v to fail: a leader that cannot reach a majority must give up on reads within about an election timeout", took)
		}
		leader := cfg.CheckOneLeader()
		if index, _, ok := cfg.readIndexOf(leader).ReadIndex(); !ok || index < newer {
			w.Fatalf("the majority's leader %d answered ReadIndex with (%d, %v), want at least %d", leader, index, ok, newer)
		}

		cfg.Heal()
		cfg.one(cfg.randCmd(), servers, retry)
		cfg.end()
	})
}
