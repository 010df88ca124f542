package raft

// The snapshotting service above each Raft server: its state is the
// applied log, it calls rf.Snapshot from its apply loop, and it restores
// itself from the snapshot in its Persister at restart.

import (
	"bytes"
	"errors"
	"fmt"

	"raftlab/labgob"
	"raftlab/labtest/cluster"
)

// snapSchedule says at which indices one server snapshots: those with
// (index+phase) % every == 0. Servers draw their own from the seed, so
// they snapshot at different indices, as a service that snapshots on size
// does, and an InstallSnapshot can land between a follower's own.
type snapSchedule struct{ every, phase int }

func drawSnapSchedules(w *cluster.World, n int) []snapSchedule {
	r := w.H.NewRand("snapshot schedule")
	out := make([]snapSchedule, n)
	for i := range out {
		every := testSnapshotInterval/2 + r.IntN(testSnapshotInterval/2+1) // [5, 10]
		out[i] = snapSchedule{every: every, phase: r.IntN(every)}
	}
	return out
}

// snapshotDue reports whether server i's service snapshots at index.
func (cfg *config) snapshotDue(i, index int) bool {
	s := cfg.snapEvery[i]
	return (index+s.phase)%s.every == 0
}

// encodeSnapLocked encodes the service state of server i: the applied log
// prefix up to index.
func (cfg *config) encodeSnapLocked(i, index int) []byte {
	w := new(bytes.Buffer)
	e := labgob.NewEncoder(w)
	xlog := make([]any, index+1)
	for j := 1; j <= index; j++ {
		xlog[j] = cfg.logs[i][j]
	}
	xlog[0] = 0
	cfg.failLocked(errors.Join(e.Encode(index), e.Encode(xlog)))
	return w.Bytes()
}

// ingestSnapLocked replaces server i's service state by a snapshot, checking
// it against every server's applies. want is the ApplyMsg's SnapshotIndex,
// or -1 for a snapshot read from the Persister at restart.
func (cfg *config) ingestSnapLocked(i int, snap []byte, want int) error {
	d := labgob.NewDecoder(bytes.NewBuffer(snap))
	var lastIncluded int
	var xlog []any
	if d.Decode(&lastIncluded) != nil || d.Decode(&xlog) != nil {
		return fmt.Errorf("server %d: snapshot (index %d) does not decode: not the service's own bytes", i, want)
	}
	if want != -1 && want != lastIncluded {
		return fmt.Errorf("server %d: ApplyMsg.SnapshotIndex is %d but the snapshot covers up to index %d", i, want, lastIncluded)
	}
	if want != -1 && lastIncluded < cfg.lastApplied[i] {
		return fmt.Errorf("server %d: snapshot up to index %d would roll back the service, which has applied up to %d",
			i, lastIncluded, cfg.lastApplied[i])
	}
	for j := 1; j < len(xlog) && j <= lastIncluded; j++ {
		if prev, ok := cfg.committed[j]; ok && prev.value != xlog[j] {
			return fmt.Errorf("state machine safety: server %d installed a snapshot with %v at index %d, but server %d applied %v there",
				i, xlog[j], j, prev.server, prev.value)
		}
	}
	cfg.logs[i] = map[int]any{}
	for j := 1; j < len(xlog) && j <= lastIncluded; j++ {
		if _, ok := cfg.committed[j]; !ok {
			cfg.committed[j] = firstApply{value: xlog[j], server: i}
		}
		cfg.logs[i][j] = xlog[j]
	}
	cfg.lastApplied[i] = lastIncluded
	cfg.maxIndex = max(cfg.maxIndex, lastIncluded)
	return nil
}
