package raft

// 3D: log compaction. Every server runs the snapshotting service: it calls
// rf.Snapshot every few applied entries (each server at its own indices),
// from its apply loop, and reads its snapshot back from the Persister on
// restart.

import (
	"raftlab/labtest/cluster"
	"testing"
	"time"
)

// snapCommon drives a three-server cluster through 30 rounds. In each, a
// victim (a follower, or every third round the leader) is optionally
// disconnected or crashed while the others commit well past a snapshot;
// then the victim comes back and must catch up, by InstallSnapshot when
// the entries it needs are gone. The persisted Raft state must stay small
// throughout.
// victimFate is what snapCommon does to its victim each round.
type victimFate int

const (
	victimStays        victimFate = iota // stays up and connected
	victimDisconnected                   // is cut off from the others for the round
	victimCrashed                        // crashes and restarts
)

func snapCommon(w *cluster.World, name string, fate victimFate, mode cluster.NetMode) {
	disconnect, crash := fate == victimDisconnected, fate == victimCrashed
	const iters = 30
	const servers = 3
	cfg := makeCluster(w, servers, mode, snapshotService)
	cfg.begin(name)

	cfg.one(cfg.randCmd(), servers, retry)
	leader1 := cfg.CheckOneLeader()

	for i := 0; i < iters; i++ {
		victim := (leader1 + 1) % servers
		sender := leader1
		if i%3 == 1 {
			sender = (leader1 + 1) % servers
			victim = leader1
		}

		if disconnect {
			cfg.Disconnect(victim)
			cfg.one(cfg.randCmd(), servers-1, retry)
		}
		if crash {
			cfg.Crash(victim)
			cfg.one(cfg.randCmd(), servers-1, retry)
		}

		// Enough entries to trigger at least one snapshot; the sender may
		// not be the leader, in which case Start refuses them.
		nn := testSnapshotInterval/2 + w.Rand.IntN(testSnapshotInterval)
		for j := 0; j < nn; j++ {
			if rf := cfg.raft(sender); rf != nil {
				rf.Start(cfg.randCmd())
			}
		}

		// Let the entries commit (and the snapshots happen).
		if !disconnect && !crash {
			cfg.one(cfg.randCmd(), servers, retry)
		} else {
			cfg.one(cfg.randCmd(), servers-1, retry)
		}

		if size := cfg.MaxRaftStateSize(); size >= testMaxRaftState {
			w.Fatalf("log compaction: persisted Raft state is %d bytes after round %d, want < %d: the log is not trimmed at snapshots",
				size, i, testMaxRaftState)
		}

		if disconnect {
			// The victim may need an InstallSnapshot to catch up.
			cfg.Connect(victim)
			cfg.one(cfg.randCmd(), servers, retry)
			leader1 = cfg.CheckOneLeader()
		}
		if crash {
			cfg.Start(victim)
			cfg.Connect(victim)
			cfg.one(cfg.randCmd(), servers, retry)
			leader1 = cfg.CheckOneLeader()
		}
	}
	cfg.end()
}

func TestSnapshotBasic3D(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 60 * time.Second, RPCs: 8000}, func(w *cluster.World) {
		snapCommon(w, "snapshots basic", victimStays, cluster.Reliable)
	})
}

func TestSnapshotInstall3D(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 90 * time.Second, RPCs: 12000}, func(w *cluster.World) {
		snapCommon(w, "install snapshots (disconnect)", victimDisconnected, cluster.Reliable)
	})
}

func TestSnapshotInstallUnreliable3D(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 120 * time.Second, RPCs: 20000}, func(w *cluster.World) {
		snapCommon(w, "install snapshots (disconnect+unreliable)", victimDisconnected, cluster.Unreliable)
	})
}

func TestSnapshotInstallCrash3D(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 90 * time.Second, RPCs: 12000}, func(w *cluster.World) {
		snapCommon(w, "install snapshots (crash)", victimCrashed, cluster.Reliable)
	})
}

func TestSnapshotInstallUnCrash3D(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 120 * time.Second, RPCs: 20000}, func(w *cluster.World) {
		snapCommon(w, "install snapshots (unreliable+crash)", victimCrashed, cluster.Unreliable)
	})
}

// Every server crashes at once, repeatedly: each restarts from its snapshot
// and Raft state, and the log's index never goes backwards.
func TestSnapshotAllCrash3D(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 60 * time.Second, RPCs: 8000}, func(w *cluster.World) {
		const servers = 3
		const iters = 5
		cfg := makeCluster(w, servers, cluster.Reliable, snapshotService)
		cfg.begin("crash and restart all servers")

		cfg.one(cfg.randCmd(), servers, retry)
		for i := 0; i < iters; i++ {
			// Enough entries to trigger a snapshot.
			nn := testSnapshotInterval/2 + w.Rand.IntN(testSnapshotInterval)
			for j := 0; j < nn; j++ {
				cfg.one(cfg.randCmd(), servers, retry)
			}
			index1 := cfg.one(cfg.randCmd(), servers, retry)

			cfg.restartAll()

			index2 := cfg.one(cfg.randCmd(), servers, retry)
			if index2 < index1+1 {
				w.Fatalf("durability: after a crash of all servers the next command committed at index %d, but index %d was committed before",
					index2, index1)
			}
		}
		cfg.end()
	})
}

// A snapshot survives a restart before anything new commits: the restarted
// servers must start from it, not re-apply what it covers.
func TestSnapshotInit3D(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 30 * time.Second, RPCs: 3000}, func(w *cluster.World) {
		const servers = 3
		cfg := makeCluster(w, servers, cluster.Reliable, snapshotService)
		cfg.begin("snapshot initialization after crash")

		cfg.one(cfg.randCmd(), servers, retry)

		// Enough entries for a snapshot.
		for i := 0; i < testSnapshotInterval+1; i++ {
			cfg.one(cfg.randCmd(), servers, retry)
		}

		time.Sleep(100 * time.Millisecond)
		for i := 0; i < servers; i++ {
			if cfg.Persister(i).SnapshotSize() == 0 {
				w.Fatalf("persistence: server %d applied %d entries and was asked to snapshot at least once (every %d from index %d), but its Persister holds no snapshot",
					i, testSnapshotInterval+2, cfg.snapEvery[i].every, cfg.snapEvery[i].every-cfg.snapEvery[i].phase)
			}
		}

		// Restart with the snapshot in the Persister, and commit one
		// entry (which may not be persisted with a new snapshot).
		cfg.restartAll()
		cfg.one(cfg.randCmd(), servers, retry)

		// Restart again: the snapshot must still be the starting point.
		cfg.restartAll()
		cfg.one(cfg.randCmd(), servers, retry)
		cfg.end()
	})
}

// Five servers, each snapshotting at its own indices: two at a time crash
// (the leader among them every other round) while the rest commit past
// several snapshots; back up, they must catch up (by InstallSnapshot where
// the leader no longer has what they lack) and restart from their own
// snapshots.
func TestSnapshotFiveServers3D(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 90 * time.Second, RPCs: 20000}, func(w *cluster.World) {
		const servers = 5
		const rounds = 6
		cfg := makeCluster(w, servers, cluster.Reliable, snapshotService)
		cfg.begin("five servers: snapshots, crashes and restarts")

		cfg.one(cfg.randCmd(), servers, retry)
		for round := 0; round < rounds; round++ {
			leader := cfg.CheckOneLeader()
			first := (leader + 1 + w.Rand.IntN(servers-1)) % servers // a follower
			if round%2 == 1 {
				first = leader
			}
			victims := []int{first, (first + 1 + w.Rand.IntN(servers-1)) % servers}
			for _, v := range victims {
				cfg.Crash(v)
			}
			for j := 0; j < 2*testSnapshotInterval+w.Rand.IntN(testSnapshotInterval); j++ {
				cfg.one(cfg.randCmd(), servers-len(victims), retry)
			}
			for _, v := range victims {
				cfg.Start(v)
				cfg.Connect(v)
			}
			cfg.one(cfg.randCmd(), servers, retry)
			if size := cfg.MaxRaftStateSize(); size >= testMaxRaftState {
				w.Fatalf("log compaction: persisted Raft state is %d bytes after round %d, want < %d: the log is not trimmed at snapshots",
					size, round, testMaxRaftState)
			}
			if round == rounds/2 {
				cfg.restartAll()
				cfg.one(cfg.randCmd(), servers, retry)
			}
		}
		cfg.end()
	})
}

// TestStaleAppendEntries' scenario (requests duplicated and up to 200 ms
// late, the leader crashing right after it commits) with the snapshotting
// service, whose servers snapshot at indices of their own: a late
// InstallSnapshot, or one older than the follower's own snapshot, must not
// take the follower's state back, nor cut entries it has acknowledged.
func TestSnapshotStaleRequests3D(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 90 * time.Second, RPCs: 20000}, func(w *cluster.World) {
		staleRequests(w, snapshotService, "stale requests and snapshots")
	})
}
