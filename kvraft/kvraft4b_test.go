package kvraft

import (
	"strconv"
	"testing"
	"time"

	"raftlab/labtest/cluster"
	"raftlab/labtest/kvtest"
)

// The classic suite's snapshot threshold, and its bound on the snapshot of
// a store holding one short key.
const (
	snapshotMaxRaftState = 1000
	tinySnapshotLimit    = 500
)

var (
	fiveReliableSnapshots   = setup{servers: 5, net: cluster.Reliable, maxraftstate: snapshotMaxRaftState}
	fiveUnreliableSnapshots = setup{servers: 5, net: cluster.Unreliable, maxraftstate: snapshotMaxRaftState}
)

// A server cut off while the others trim their logs must be brought up to
// date with InstallSnapshot; the logs stay within 8*maxraftstate.
func TestSnapshotRPC4B(t *testing.T) {
	cluster.Run(t, classicBudget, func(w *cluster.World) {
		cfg := makeConfig(w, setup{servers: 3, maxraftstate: snapshotMaxRaftState})
		ck := cfg.clerk()
		cfg.begin("InstallSnapshot RPC (4B)")
		cfg.put(ck, "a", "A")
		cfg.check(ck, "a", "A")

		// Many Puts in the majority {0, 1}: they snapshot and trim.
		cfg.Partition([]int{0, 1}, []int{2})
		ck01 := cfg.clerk(0, 1)
		for i := range 50 {
			cfg.put(ck01, strconv.Itoa(i), strconv.Itoa(i))
		}
		time.Sleep(cluster.ElectionTimeout)
		cfg.put(ck01, "b", "B")
		cfg.checkLogSize()

		// A majority that needs server 2, which lags behind the trimmed
		// logs: it has to catch up through a snapshot.
		cfg.Partition([]int{0, 2}, []int{1})
		ck02 := cfg.clerk(0, 2)
		cfg.put(ck02, "c", "C")
		cfg.put(ck02, "d", "D")
		for _, kv := range [][2]string{{"a", "A"}, {"b", "B"}, {"1", "1"}, {"49", "49"}} {
			cfg.check(ck02, kv[0], kv[1])
		}

		cfg.Heal()
		cfg.put(ck, "e", "E")
		for _, kv := range [][2]string{{"c", "C"}, {"e", "E"}, {"1", "1"}} {
			cfg.check(ck, kv[0], kv[1])
		}
		cfg.end()
	})
}

// A store of one short key, rewritten over and over, has a short log and
// a small snapshot.
func TestSnapshotSize4B(t *testing.T) {
	cluster.Run(t, classicBudget, func(w *cluster.World) {
		cfg := makeConfig(w, setup{servers: 3, maxraftstate: snapshotMaxRaftState})
		ck := cfg.clerk()
		cfg.begin("snapshot size is reasonable (4B)")
		for range 200 {
			cfg.put(ck, "x", "0")
			cfg.check(ck, "x", "0")
			cfg.put(ck, "x", "1")
			cfg.check(ck, "x", "1")
		}
		cfg.checkLogSize()
		if size := cfg.MaxSnapshotSize(); size > tinySnapshotLimit {
			w.Fatalf("a snapshot of a store holding one key of one byte is %d bytes, more than %d", size, tinySnapshotLimit)
		}
		cfg.end()
	})
}

func TestSpeed4B(t *testing.T) {
	speedTest(t, "4B", snapshotMaxRaftState)
}

func TestSnapshotRecover4B(t *testing.T) {
	genericTest(t, "4B", fiveReliableSnapshots, kvtest.Options{Clients: 1, Crashes: kvtest.CrashAndRestart})
}

func TestSnapshotRecoverManyClients4B(t *testing.T) {
	genericTest(t, "4B", fiveReliableSnapshots, kvtest.Options{Clients: 20, Crashes: kvtest.CrashAndRestart})
}

func TestSnapshotUnreliable4B(t *testing.T) {
	genericTest(t, "4B", fiveUnreliableSnapshots, kvtest.Options{Clients: 5})
}

func TestSnapshotUnreliableRecover4B(t *testing.T) {
	genericTest(t, "4B", fiveUnreliableSnapshots, kvtest.Options{Clients: 5, Crashes: kvtest.CrashAndRestart})
}

func TestSnapshotUnreliableRecoverConcurrentPartition4B(t *testing.T) {
	genericTest(t, "4B", fiveUnreliableSnapshots, kvtest.Options{
		Clients: 5, Crashes: kvtest.CrashAndRestart, Partitions: kvtest.RandomPartitions,
	})
}

func TestSnapshotUnreliableRecoverConcurrentPartitionLinearizable4B(t *testing.T) {
	genericTest(t, "4B", setup{servers: 7, net: cluster.Unreliable, maxraftstate: snapshotMaxRaftState}, kvtest.Options{
		Clients: 15, Crashes: kvtest.CrashAndRestart, Partitions: kvtest.RandomPartitions, Keys: kvtest.RandomKeys,
	})
}

// checkLogSize fails the test if a server's persisted Raft state exceeds
// 8*maxraftstate, the classic bound.
func (cfg *config) checkLogSize() {
	cfg.w.T().Helper()
	if size := cfg.MaxRaftStateSize(); size > 8*cfg.s.maxraftstate {
		cfg.w.Fatalf("logs were not trimmed: a server's persisted Raft state is %d bytes, more than 8*maxraftstate = %d", size, 8*cfg.s.maxraftstate)
	}
}
