package raft

// The classic 2024 lab's staff tests (config.go and test_test.go) live in
// package raft and call the names below. This file calls each of them the
// way those tests do, so that a change which would stop the staff tests (or
// a student's raft.go written against them) from compiling fails here
// first: the Persister alias, Make's signature, ApplyMsg's fields, and the
// labrpc and labgob calls the classic config makes.

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"

	"raftlab/labgob"
	"raftlab/labrpc"
	"raftlab/persist"
)

// The classic signatures, checked by the compiler.
var (
	_ func([]*labrpc.ClientEnd, int, *Persister, chan ApplyMsg) *Raft = Make
	_ func() *Persister                                               = MakePersister
	_ func(*Raft) (int, bool)                                         = (*Raft).GetState
	_ func(*Raft, any) (int, int, bool)                               = (*Raft).Start
	_ func(*Raft, int, []byte)                                        = (*Raft).Snapshot
	_ func(*Raft)                                                     = (*Raft).Kill
	_ *persist.Persister                                              = (*Persister)(nil) // the alias is the same type
)

// classicApplyMsg builds an ApplyMsg with every field the classic tests read.
func classicApplyMsg() ApplyMsg {
	return ApplyMsg{CommandValid: true, Command: 7, CommandIndex: 1,
		SnapshotValid: false, Snapshot: nil, SnapshotTerm: 0, SnapshotIndex: 0}
}

func TestClassicPersisterContract(t *testing.T) {
	ps := &Persister{} // the classic tests' composite literal
	ps.Save([]byte("state"), []byte("snap"))
	cp := ps.Copy()
	var saved []*Persister = []*Persister{MakePersister(), cp}
	assert.Equal(t, []byte("state"), saved[1].ReadRaftState(), "Copy keeps the Raft state")
	assert.Equal(t, []byte("snap"), saved[1].ReadSnapshot(), "Copy keeps the snapshot")
	assert.Equal(t, 5, saved[1].RaftStateSize())
	assert.Equal(t, 4, saved[1].SnapshotSize())
	assert.Zero(t, saved[0].RaftStateSize(), "MakePersister is empty")
}

func TestClassicConfigCalls(t *testing.T) {
	// The classic config's snapshot encoding, through labgob.
	w := new(bytes.Buffer)
	e := labgob.NewEncoder(w)
	m := classicApplyMsg()
	assert.NoError(t, e.Encode(m.CommandIndex))
	assert.NoError(t, e.Encode([]any{0, m.Command}))
	d := labgob.NewDecoder(bytes.NewBuffer(w.Bytes()))
	var index int
	var xlog []any
	assert.NoError(t, d.Decode(&index))
	assert.NoError(t, d.Decode(&xlog))
	assert.Equal(t, 1, index)
	assert.Len(t, xlog, 2)

	// The classic config's network calls, on a server that is not a Raft
	// (starting a Raft here would outlive the test).
	net := labrpc.MakeNetwork()
	defer net.Cleanup()
	net.Reliable(false)
	net.LongReordering(false)
	net.LongDelays(true)
	_ = net.MakeEnd("end-0-0")
	net.Connect("end-0-0", 0)
	net.Enable("end-0-0", true)
	srv := labrpc.MakeServer()
	srv.AddService(labrpc.MakeService(&Raft{}))
	net.AddServer(0, srv)
	assert.Zero(t, net.GetCount(0))
	assert.Zero(t, net.GetTotalCount())
	assert.Zero(t, net.GetTotalBytes())
	net.DeleteServer(0)
}
