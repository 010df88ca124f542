package raft

// 3D: log compaction. Every server runs the snapshotting service: it calls
// rf.Snapshot every testSnapshotInterval applied entries, from its apply
// loop, and reads its snapshot back from the Persister on restart.

import (
	"testing"
	"time"
)

// snapCommon drives a three-server cluster through 30 rounds. In each, a
// victim (a follower, or every third round the leader) is optionally
// disconnected or crashed while the others commit well past a snapshot;
// then the victim comes back and must catch up, by InstallSnapshot when
// the entries it needs are gone. The persisted Raft state must stay small
// throughout.
func snapCommon(h *harness, name string, disconnect, reliable, crash bool) {
	const iters = 30
	const servers = 3
	cfg := makeCluster(h, servers, !reliable, true)
	cfg.begin(name)

	cfg.one(cfg.randCmd(), servers, true)
	leader1 := cfg.checkOneLeader()

	for i := 0; i < iters; i++ {
		victim := (leader1 + 1) % servers
		sender := leader1
		if i%3 == 1 {
			sender = (leader1 + 1) % servers
			victim = leader1
		}

		if disconnect {
			cfg.disconnect(victim)
			cfg.one(cfg.randCmd(), servers-1, true)
		}
		if crash {
			cfg.crash1(victim)
			cfg.one(cfg.randCmd(), servers-1, true)
		}

		// Enough entries to trigger at least one snapshot; the sender may
		// not be the leader, in which case Start refuses them.
		nn := testSnapshotInterval/2 + h.rand.IntN(testSnapshotInterval)
		for j := 0; j < nn; j++ {
			if rf := cfg.raft(sender); rf != nil {
				rf.Start(cfg.randCmd())
			}
		}

		// Let the entries commit (and the snapshots happen).
		if !disconnect && !crash {
			cfg.one(cfg.randCmd(), servers, true)
		} else {
			cfg.one(cfg.randCmd(), servers-1, true)
		}

		if size := cfg.LogSize(); size >= testMaxRaftState {
			h.fatalf("log compaction: persisted Raft state is %d bytes after round %d, want < %d: the log is not trimmed at snapshots",
				size, i, testMaxRaftState)
		}

		if disconnect {
			// The victim may need an InstallSnapshot to catch up.
			cfg.connect(victim)
			cfg.one(cfg.randCmd(), servers, true)
			leader1 = cfg.checkOneLeader()
		}
		if crash {
			cfg.start1(victim)
			cfg.connect(victim)
			cfg.one(cfg.randCmd(), servers, true)
			leader1 = cfg.checkOneLeader()
		}
	}
	cfg.end()
}

func TestSnapshotBasic3D(t *testing.T) {
	runTest(t, testBudget{virtual: 60 * time.Second, rpcs: 8000}, func(h *harness) {
		snapCommon(h, "snapshots basic", false, true, false)
	})
}

func TestSnapshotInstall3D(t *testing.T) {
	runTest(t, testBudget{virtual: 90 * time.Second, rpcs: 12000}, func(h *harness) {
		snapCommon(h, "install snapshots (disconnect)", true, true, false)
	})
}

func TestSnapshotInstallUnreliable3D(t *testing.T) {
	runTest(t, testBudget{virtual: 120 * time.Second, rpcs: 20000}, func(h *harness) {
		snapCommon(h, "install snapshots (disconnect+unreliable)", true, false, false)
	})
}

func TestSnapshotInstallCrash3D(t *testing.T) {
	runTest(t, testBudget{virtual: 90 * time.Second, rpcs: 12000}, func(h *harness) {
		snapCommon(h, "install snapshots (crash)", false, true, true)
	})
}

func TestSnapshotInstallUnCrash3D(t *testing.T) {
	runTest(t, testBudget{virtual: 120 * time.Second, rpcs: 20000}, func(h *harness) {
		snapCommon(h, "install snapshots (unreliable+crash)", false, false, true)
	})
}

// Every server crashes at once, repeatedly: each restarts from its snapshot
// and Raft state, and the log's index never goes backwards.
func TestSnapshotAllCrash3D(t *testing.T) {
	runTest(t, testBudget{virtual: 60 * time.Second, rpcs: 8000}, func(h *harness) {
		const servers = 3
		const iters = 5
		cfg := makeCluster(h, servers, false, true)
		cfg.begin("crash and restart all servers")

		cfg.one(cfg.randCmd(), servers, true)
		for i := 0; i < iters; i++ {
			// Enough entries to trigger a snapshot.
			nn := testSnapshotInterval/2 + h.rand.IntN(testSnapshotInterval)
			for j := 0; j < nn; j++ {
				cfg.one(cfg.randCmd(), servers, true)
			}
			index1 := cfg.one(cfg.randCmd(), servers, true)

			cfg.restartAll()

			index2 := cfg.one(cfg.randCmd(), servers, true)
			if index2 < index1+1 {
				h.fatalf("durability: after a crash of all servers the next command committed at index %d, but index %d was committed before",
					index2, index1)
			}
		}
		cfg.end()
	})
}

// A snapshot survives a restart before anything new commits: the restarted
// servers must start from it, not re-apply what it covers.
func TestSnapshotInit3D(t *testing.T) {
	runTest(t, testBudget{virtual: 30 * time.Second, rpcs: 3000}, func(h *harness) {
		const servers = 3
		cfg := makeCluster(h, servers, false, true)
		cfg.begin("snapshot initialization after crash")

		cfg.one(cfg.randCmd(), servers, true)

		// Enough entries for a snapshot.
		for i := 0; i < testSnapshotInterval+1; i++ {
			cfg.one(cfg.randCmd(), servers, true)
		}

		cfg.sleep(100 * time.Millisecond)
		for i := 0; i < servers; i++ {
			if cfg.snapshotSize(i) == 0 {
				h.fatalf("persistence: server %d applied %d entries and was asked to snapshot at index %d, but its Persister holds no snapshot",
					i, testSnapshotInterval+2, testSnapshotInterval)
			}
		}

		// Restart with the snapshot in the Persister, and commit one
		// entry (which may not be persisted with a new snapshot).
		cfg.restartAll()
		cfg.one(cfg.randCmd(), servers, true)

		// Restart again: the snapshot must still be the starting point.
		cfg.restartAll()
		cfg.one(cfg.randCmd(), servers, true)
		cfg.end()
	})
}
