package raft

// Your Raft goes here. The tests (raft3*_test.go) call only what this file
// declares with the classic lab's signatures:
//
//	rf := Make(peers, me, persister, applyCh)
//	index, term, isLeader := rf.Start(command)
//	term, isLeader := rf.GetState()
//	rf.Snapshot(index, snapshot)
//	rf.Kill()
//
// and reach the RPC handlers as "Raft.RequestVote", "Raft.AppendEntries"
// and "Raft.InstallSnapshot". Keep those names; add whatever else you need.
//
// Two optional extras make your failures replay from their seed and show
// in the failure timeline: peers[me].Rand() is a *rand.Rand seeded from
// the test's seed (use it for election timeouts), and peers[me].Logger()
// is a logger whose lines land in the timeline file.

import (
	"math/rand"
	"sync"
	"sync/atomic"
	"time"

	"raftlab/labrpc"
)

// ApplyMsg is what Raft sends on applyCh for each newly committed entry
// (CommandValid) and, in part 3D, for a snapshot the service must install
// (SnapshotValid).
type ApplyMsg struct {
	CommandValid bool
	Command      interface{}
	CommandIndex int

	SnapshotValid bool
	Snapshot      []byte
	SnapshotTerm  int
	SnapshotIndex int
}

// Raft is one peer.
type Raft struct {
	mu        sync.Mutex          // guards the fields below
	peers     []*labrpc.ClientEnd // every peer's RPC end, this one's included
	persister *Persister          // where this peer saves its persistent state
	me        int                 // this peer's index in peers
	dead      int32               // set by Kill()

	// TODO(3A, 3B, 3C) fields: the state of Figure 2 of the Raft paper.
}

// GetState returns the current term and whether this peer believes it is
// the leader.
func (rf *Raft) GetState() (int, bool) {
	var term int
	var isleader bool
	// TODO(3A)
	return term, isleader
}

// persist saves the state Figure 2 calls persistent, with
// rf.persister.Save(raftstate, snapshot) (nil for no snapshot before 3D).
func (rf *Raft) persist() {
	// TODO(3C): encode with labgob, then save.
}

// readPersist restores the state saved by persist.
func (rf *Raft) readPersist(data []byte) {
	if len(data) < 1 {
		return // a fresh start
	}
	// TODO(3C)
}

// Snapshot says that the service has made a snapshot holding everything
// through index: Raft may now discard the log up to and including it.
func (rf *Raft) Snapshot(index int, snapshot []byte) {
	// TODO(3D)
}

// RequestVoteArgs is the RequestVote RPC's request. Field names must
// start with capital letters.
type RequestVoteArgs struct {
	// TODO(3A, 3B) fields.
}

// RequestVoteReply is the RequestVote RPC's reply.
type RequestVoteReply struct {
	// TODO(3A) fields.
}

// RequestVote is the RequestVote RPC handler.
func (rf *Raft) RequestVote(args *RequestVoteArgs, reply *RequestVoteReply) {
	// TODO(3A, 3B)
}

// sendRequestVote calls RequestVote on peer server and says whether a
// reply came back. A false return means the request or its reply was
// lost, or the peer is down; Call always returns, after a while, so there
// is no need for a timeout of your own. Pass a fresh reply each time.
func (rf *Raft) sendRequestVote(server int, args *RequestVoteArgs, reply *RequestVoteReply) bool {
	return rf.peers[server].Call("Raft.RequestVote", args, reply)
}

// Start asks Raft to agree on command as the next log entry. It returns at
// once: the index the command will have if it is ever committed, the
// current term, and whether this peer believes it is the leader (if not,
// nothing is appended). Agreement is announced on applyCh.
func (rf *Raft) Start(command interface{}) (int, int, bool) {
	index := -1
	term := -1
	isLeader := false
	// TODO(3B)
	return index, term, isLeader
}

// Kill stops this peer: the tests call it on a crashed or finished server
// and expect its goroutines to stop soon after (check rf.killed() in every
// long-running loop).
func (rf *Raft) Kill() {
	atomic.StoreInt32(&rf.dead, 1)
	// TODO: stop your goroutines, if they need more than killed().
}

func (rf *Raft) killed() bool {
	return atomic.LoadInt32(&rf.dead) == 1
}

// ticker starts an election when this peer has heard from no leader for
// an election timeout.
func (rf *Raft) ticker() {
	for !rf.killed() {
		// TODO(3A): start an election if no leader was heard from for a timeout.

		// Sleep a random 50-350 ms, so that peers' timeouts differ.
		ms := 50 + rand.Int63n(300)
		time.Sleep(time.Duration(ms) * time.Millisecond)
	}
}

// Make creates peer me of the servers in peers (all of them have peers in
// the same order). persister holds this peer's saved state, if any, and is
// where it saves; applyCh is where it sends ApplyMsgs. Make must return
// quickly: start goroutines for any long-running work.
func Make(peers []*labrpc.ClientEnd, me int,
	persister *Persister, applyCh chan ApplyMsg) *Raft {
	rf := &Raft{}
	rf.peers = peers
	rf.persister = persister
	rf.me = me

	// TODO(3A, 3B, 3C): initialize the state.

	rf.readPersist(persister.ReadRaftState()) // the state saved before a crash, if any
	go rf.ticker()

	return rf
}
