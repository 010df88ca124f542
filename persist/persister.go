// Package persist is the stable storage of the labs: each Raft server saves
// its state and its snapshot in a Persister, and the test harness keeps a
// crashed server's Persister for its next incarnation.
//
// It is a leaf package so that the shared test harness (labtest/cluster)
// can hold Persisters without importing any lab; the labs' classic contract
// names the same type as raft.Persister, an alias.
package persist

import (
	"bytes"
	"sync"
)

// Persister is the stable storage that the test harness hands to each
// server. A server saves its Raft state and its snapshot here and reads them
// back when it is restarted; the harness keeps the Persister of a crashed
// server and gives a copy of it to the server's next incarnation.
//
// Save replaces both pieces at once, so a crash can never leave a snapshot
// from one moment beside Raft state from another. Every method copies its
// byte slices in and out: a caller that keeps mutating a slice after Save, or
// after a read, cannot corrupt what is stored.
type Persister struct {
	mu        sync.Mutex
	raftstate []byte
	snapshot  []byte
}

// MakePersister returns an empty Persister.
func MakePersister() *Persister {
	return &Persister{}
}

// Copy returns an independent Persister holding the same state and snapshot.
// The harness uses it so that a restarted server cannot reach into the
// storage of its previous, possibly still running, incarnation.
func (ps *Persister) Copy() *Persister {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return &Persister{raftstate: bytes.Clone(ps.raftstate), snapshot: bytes.Clone(ps.snapshot)}
}

// ReadRaftState returns a copy of the saved Raft state (nil if none).
func (ps *Persister) ReadRaftState() []byte {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return bytes.Clone(ps.raftstate)
}

// RaftStateSize returns the length in bytes of the saved Raft state.
func (ps *Persister) RaftStateSize() int {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return len(ps.raftstate)
}

// ReadSnapshot returns a copy of the saved snapshot (nil if none).
func (ps *Persister) ReadSnapshot() []byte {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return bytes.Clone(ps.snapshot)
}

// SnapshotSize returns the length in bytes of the saved snapshot.
func (ps *Persister) SnapshotSize() int {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return len(ps.snapshot)
}

// Save atomically replaces the Raft state and the snapshot with copies of the
// given slices. Pass the current snapshot again (ReadSnapshot) to change only
// the Raft state; a nil snapshot erases it.
func (ps *Persister) Save(raftstate []byte, snapshot []byte) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.raftstate = bytes.Clone(raftstate)
	ps.snapshot = bytes.Clone(snapshot)
}
