// Package raft is the lab's Raft server: the classic API (Make, Start,
// GetState, Snapshot, Kill, ApplyMsg and the three RPC handlers) over the
// deterministic protocol core in raftlab/raftcore, plus one optional
// extra, ReadIndex, for services that serve reads without log entries.
//
// This file is only the driver: it owns the goroutines, the clock, the lock
// and the I/O, and leaves every protocol decision to the core. Its rules:
//
//   - One mutex guards the core. Every input (a tick, an RPC request, an
//     RPC reply, Start, Snapshot, ReadIndex) is: lock, feed the core, handle
//     its Ready, unlock.
//   - Handling a Ready: save the state and snapshot to the Persister first,
//     then start the RPCs it asks for, then queue its committed entries for
//     the applier. An RPC handler returns its reply only after that save,
//     so no vote or acknowledgement is ever given that a crash could undo.
//   - The lock is never held across an RPC, a sleep or a channel send: each
//     outgoing RPC runs in its own goroutine, and a single applier goroutine
//     sends on applyCh without the lock (the service calls Snapshot from its
//     apply loop, which must not deadlock with us).
//   - Kill stops the ticker and the applier, and makes every later input a
//     no-op; RPC goroutines in flight finish as soon as labrpc returns.
//
// A student's raft.go replaces this file whole; nothing else in package raft
// depends on what is declared here beyond the classic API.
package raft

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"sync"
	"time"

	"raftlab/dlog"
	"raftlab/labgob"
	"raftlab/labrpc"
	"raftlab/raftcore"
)

// Timing. The core counts ticks; the driver ticks every tickInterval.
const (
	tickInterval = 10 * time.Millisecond
	// heartbeatTicks: 100 ms, the lab's limit of ten heartbeats a second.
	heartbeatTicks = 10
	// electionTicks: election timeouts drawn from [300, 600) ms, several
	// heartbeats long so that one lost heartbeat does not start an
	// election, short enough to elect a new leader well within 5 s.
	electionTicks = 30
	// retransmitTicks: an AppendEntries unanswered this long (200 ms) is
	// sent again, even if labrpc has not yet given up on it.
	retransmitTicks = 20
)

// timingEnv names the variable that sets this implementation's election
// timeouts to one end of what the lab allows, so that the graded suites
// can be checked for fairness to implementations timed unlike ours:
// "slow" draws them from [1.0, 1.5) s, "fast" from [150, 300) ms; both keep
// 100 ms heartbeats. Unset, the timeouts are [300, 600) ms. Only this file
// reads it: a student's raft.go is graded as it is.
const timingEnv = "RAFTLAB_RAFT_TIMING"

// electionRange returns the least election timeout and the width of the
// range timeouts are drawn from, in ticks.
func electionRange() (least, spread int) {
	switch os.Getenv(timingEnv) {
	case "slow":
		return 100, 50
	case "fast":
		return 15, 15
	}
	return electionTicks, electionTicks
}

// ApplyMsg is what Raft sends on applyCh: a committed command
// (CommandValid), or a snapshot the service must install (SnapshotValid),
// always in index order and without gaps.
type ApplyMsg struct {
	CommandValid bool
	Command      any
	CommandIndex int

	SnapshotValid bool
	Snapshot      []byte
	SnapshotTerm  int
	SnapshotIndex int
}

// Raft is one server.
type Raft struct {
	mu        sync.Mutex
	peers     []*labrpc.ClientEnd
	persister *Persister
	me        int
	lg        *dlog.Logger
	core      *raftcore.Core
	killed    bool

	applyCh    chan ApplyMsg
	applyQueue []ApplyMsg    // committed, not yet sent on applyCh; guarded by mu
	applyWake  chan struct{} // buffered(1): applyQueue has grown
	done       chan struct{} // closed by Kill

	codec stateCodec // encodes what Ready says to persist

	lastRead uint64                             // the id of the latest ReadIndex request
	readers  map[uint64]chan raftcore.ReadState // ReadIndex calls waiting for their answer
}

// Make creates a Raft server that talks to peers (peers[me] is its own
// end), saves its state in persister and delivers committed commands on
// applyCh. It restores whatever persister holds (state and snapshot) and
// returns at once; the work happens in goroutines.
//
// After a restart the service restores itself from persister's snapshot, so
// Raft does not deliver that snapshot again: the first message on applyCh
// is the entry after it.
func Make(peers []*labrpc.ClientEnd, me int, persister *Persister, applyCh chan ApplyMsg) *Raft {
	rf := &Raft{
		peers:     peers,
		persister: persister,
		me:        me,
		lg:        peers[me].Logger(),
		applyCh:   applyCh,
		applyWake: make(chan struct{}, 1),
		done:      make(chan struct{}),
		readers:   map[uint64]chan raftcore.ReadState{},
	}
	st, err := decodeState(persister.ReadRaftState())
	if err != nil {
		panic(fmt.Sprintf("raft %d: cannot decode persisted state: %v", me, err))
	}
	least, spread := electionRange()
	rf.core = raftcore.New(raftcore.Config{
		ID:                  me,
		Peers:               len(peers),
		ElectionTicks:       least,
		ElectionSpreadTicks: spread,
		HeartbeatTicks:      heartbeatTicks,
		RetransmitTicks:     retransmitTicks,
		Rand:                peers[me].Rand(),
		Logger:              rf.lg,
		State:               st,
		Snapshot:            persister.ReadSnapshot(),
	})
	if st != nil {
		rf.lg.Printf(dlog.Persist, "restart: term %d, vote %d, snapshot %d@%d, %d entries",
			st.Term, st.VotedFor, st.SnapIndex, st.SnapTerm, len(st.Entries))
	}
	go rf.ticker()
	go rf.applier()
	return rf
}

// GetState returns the current term and whether this server believes it is
// the leader.
func (rf *Raft) GetState() (int, bool) {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	return rf.core.State()
}

// Start asks the leader to append command to the log and returns at once:
// the index it will have if committed, the current term, and whether this
// server is the leader (if not, nothing is appended). The leader sends the
// entry to its followers immediately.
func (rf *Raft) Start(command any) (int, int, bool) {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	if rf.killed {
		term, _ := rf.core.State()
		return -1, term, false
	}
	index, term, isLeader := rf.core.Propose(command)
	rf.handleReadyLocked()
	return index, term, isLeader
}

// Snapshot is the service saying it has a snapshot of its state through
// index: Raft trims its log up to index and saves the snapshot together
// with the trimmed state.
func (rf *Raft) Snapshot(index int, snapshot []byte) {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	if rf.killed {
		return
	}
	rf.core.Compact(index, snapshot)
	rf.handleReadyLocked()
}

// ReadIndex returns a point at which the service may answer a read from
// its state machine linearizably, without a log entry: once the service has
// applied through index, its state reflects every operation that completed
// before ReadIndex was called. It blocks until this server, as leader of
// term, has confirmed its leadership with a majority (a heartbeat round,
// about one round trip), and returns ok=false at once on a follower, on a
// leader that has not yet committed an entry of its term (§8: until then
// its commit index may lag behind; the service should put that read through
// the log, which commits one), and after about an election timeout on a
// leader that cannot reach a majority. It is not part of the classic API: a
// service finds it with an interface assertion, so that it also runs on a
// Raft without it.
func (rf *Raft) ReadIndex() (index int, term int, ok bool) {
	rf.mu.Lock()
	if rf.killed {
		term, _ = rf.core.State()
		rf.mu.Unlock()
		return 0, term, false
	}
	rf.lastRead++
	id := rf.lastRead
	answer := make(chan raftcore.ReadState, 1)
	rf.readers[id] = answer
	rf.core.ReadIndex(id)
	rf.handleReadyLocked()
	rf.mu.Unlock()

	select {
	case rs := <-answer:
		return rs.Index, rs.Term, rs.OK
	case <-rf.done:
		rf.mu.Lock()
		delete(rf.readers, id)
		term, _ = rf.core.State()
		rf.mu.Unlock()
		return 0, term, false
	}
}

// Kill stops the server: its goroutines exit and it ignores every later
// input. The tester calls it on a server it crashes or at the end of a test.
func (rf *Raft) Kill() {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	if !rf.killed {
		rf.killed = true
		close(rf.done)
	}
}

// ticker feeds the core its clock.
func (rf *Raft) ticker() {
	t := time.NewTicker(tickInterval)
	defer t.Stop()
	for {
		select {
		case <-rf.done:
			return
		case <-t.C:
		}
		rf.mu.Lock()
		if !rf.killed {
			rf.core.Tick()
			rf.handleReadyLocked()
		}
		rf.mu.Unlock()
	}
}

// applier delivers queued ApplyMsgs on applyCh, in order, without holding
// the lock while it sends.
func (rf *Raft) applier() {
	for {
		rf.mu.Lock()
		batch := rf.applyQueue
		rf.applyQueue = nil
		rf.mu.Unlock()
		for _, msg := range batch {
			select {
			case rf.applyCh <- msg:
			case <-rf.done:
				return
			}
		}
		if len(batch) > 0 {
			continue
		}
		select {
		case <-rf.applyWake:
		case <-rf.done:
			return
		}
	}
}

// handleReadyLocked carries out the core's Ready: persist, then send, then
// queue for the applier. Called with rf.mu held after every input.
func (rf *Raft) handleReadyLocked() {
	if !rf.core.HasReady() {
		return
	}
	rd := rf.core.Ready()
	if rd.Persist {
		rf.persister.Save(rf.codec.encode(rd.State), rd.Snapshot)
	}
	for _, m := range rd.Messages {
		go rf.sendRPC(m)
	}
	for _, r := range rd.Reads {
		if answer, ok := rf.readers[r.ID]; ok {
			answer <- r // buffered: the reader takes it after we unlock
			delete(rf.readers, r.ID)
		}
	}
	if len(rd.Apply) == 0 {
		return
	}
	for _, a := range rd.Apply {
		rf.applyQueue = append(rf.applyQueue, ApplyMsg{
			CommandValid: a.CommandValid, Command: a.Command, CommandIndex: a.CommandIndex,
			SnapshotValid: a.SnapshotValid, Snapshot: a.Snapshot,
			SnapshotTerm: a.SnapshotTerm, SnapshotIndex: a.SnapshotIndex,
		})
	}
	select {
	case rf.applyWake <- struct{}{}:
	default: // the applier has a wake-up pending already
	}
}

// stepLocked feeds the core a message and handles the Ready, returning the
// core's reply to a request (nil for a reply). Malformed peer ids are
// dropped rather than allowed to panic the core.
func (rf *Raft) stepLocked(m raftcore.Message) *raftcore.Message {
	if rf.killed || m.From < 0 || m.From >= len(rf.peers) || m.From == rf.me {
		return nil
	}
	m.To = rf.me
	reply := rf.core.Step(m)
	rf.handleReadyLocked()
	return reply
}

// ---- RPCs --------------------------------------------------------------

// RequestVoteArgs is the RequestVote RPC of Figure 2.
type RequestVoteArgs struct {
	Term         int
	CandidateId  int
	LastLogIndex int
	LastLogTerm  int
}

type RequestVoteReply struct {
	Term        int
	VoteGranted bool
}

// AppendEntriesArgs is the AppendEntries RPC of Figure 2.
type AppendEntriesArgs struct {
	Term         int
	LeaderId     int
	PrevLogIndex int
	PrevLogTerm  int
	Entries      []raftcore.Entry
	LeaderCommit int
	// ReadRound is the leader's latest ReadIndex round; the reply echoes
	// it (raftcore/read.go).
	ReadRound int
}

// AppendEntriesReply adds to Figure 2's reply what the leader needs to use
// it well: on success, how far the follower's log now matches; on failure,
// the fast-backup hint (see raftcore.Message).
type AppendEntriesReply struct {
	Term          int
	Success       bool
	MatchIndex    int
	RejectIndex   int
	ConflictTerm  int
	ConflictIndex int
	ReadRound     int
}

// InstallSnapshotArgs is the InstallSnapshot RPC of Figure 13, with the
// whole snapshot in one message.
type InstallSnapshotArgs struct {
	Term              int
	LeaderId          int
	LastIncludedIndex int
	LastIncludedTerm  int
	Data              []byte
}

type InstallSnapshotReply struct {
	Term       int
	Success    bool
	MatchIndex int
}

// RequestVote is the RequestVote RPC handler.
func (rf *Raft) RequestVote(args *RequestVoteArgs, reply *RequestVoteReply) {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	r := rf.stepLocked(raftcore.Message{
		Kind: raftcore.MsgVote, From: args.CandidateId, Term: args.Term,
		LastLogIndex: args.LastLogIndex, LastLogTerm: args.LastLogTerm,
	})
	if r != nil {
		reply.Term, reply.VoteGranted = r.Term, r.VoteGranted
	}
}

// AppendEntries is the AppendEntries RPC handler.
func (rf *Raft) AppendEntries(args *AppendEntriesArgs, reply *AppendEntriesReply) {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	r := rf.stepLocked(raftcore.Message{
		Kind: raftcore.MsgApp, From: args.LeaderId, Term: args.Term,
		PrevLogIndex: args.PrevLogIndex, PrevLogTerm: args.PrevLogTerm,
		Entries: args.Entries, LeaderCommit: args.LeaderCommit, Round: args.ReadRound,
	})
	if r != nil {
		*reply = AppendEntriesReply{
			Term: r.Term, Success: r.Success, MatchIndex: r.MatchIndex,
			RejectIndex: r.RejectIndex, ConflictTerm: r.ConflictTerm, ConflictIndex: r.ConflictIndex,
			ReadRound: r.Round,
		}
	}
}

// InstallSnapshot is the InstallSnapshot RPC handler.
func (rf *Raft) InstallSnapshot(args *InstallSnapshotArgs, reply *InstallSnapshotReply) {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	r := rf.stepLocked(raftcore.Message{
		Kind: raftcore.MsgSnap, From: args.LeaderId, Term: args.Term,
		SnapIndex: args.LastIncludedIndex, SnapTerm: args.LastIncludedTerm, SnapData: args.Data,
	})
	if r != nil {
		reply.Term, reply.Success, reply.MatchIndex = r.Term, r.Success, r.MatchIndex
	}
}

// sendRPC sends one of the core's requests, without the lock, and feeds
// the reply (or the failure) back to the core.
func (rf *Raft) sendRPC(m raftcore.Message) {
	var resp raftcore.Message
	var ok bool
	peer := rf.peers[m.To]
	switch m.Kind {
	case raftcore.MsgVote:
		args := RequestVoteArgs{Term: m.Term, CandidateId: m.From, LastLogIndex: m.LastLogIndex, LastLogTerm: m.LastLogTerm}
		var reply RequestVoteReply
		if ok = peer.Call("Raft.RequestVote", &args, &reply); ok {
			resp = raftcore.Message{Kind: raftcore.MsgVoteResp, Term: reply.Term, VoteGranted: reply.VoteGranted}
		}
	case raftcore.MsgApp:
		args := AppendEntriesArgs{
			Term: m.Term, LeaderId: m.From, PrevLogIndex: m.PrevLogIndex, PrevLogTerm: m.PrevLogTerm,
			Entries: m.Entries, LeaderCommit: m.LeaderCommit, ReadRound: m.Round,
		}
		var reply AppendEntriesReply
		if ok = peer.Call("Raft.AppendEntries", &args, &reply); ok {
			resp = raftcore.Message{
				Kind: raftcore.MsgAppResp, Term: reply.Term, Success: reply.Success, MatchIndex: reply.MatchIndex,
				RejectIndex: reply.RejectIndex, ConflictTerm: reply.ConflictTerm, ConflictIndex: reply.ConflictIndex,
				Round: reply.ReadRound,
			}
		}
	case raftcore.MsgSnap:
		args := InstallSnapshotArgs{
			Term: m.Term, LeaderId: m.From, LastIncludedIndex: m.SnapIndex, LastIncludedTerm: m.SnapTerm, Data: m.SnapData,
		}
		var reply InstallSnapshotReply
		if ok = peer.Call("Raft.InstallSnapshot", &args, &reply); ok {
			resp = raftcore.Message{Kind: raftcore.MsgSnapResp, Term: reply.Term, Success: reply.Success, MatchIndex: reply.MatchIndex}
		}
	default:
		panic(fmt.Sprintf("raft %d: core asked to send %v", rf.me, m))
	}

	rf.mu.Lock()
	defer rf.mu.Unlock()
	if rf.killed {
		return
	}
	if !ok {
		rf.core.ReportUnreachable(m)
		rf.handleReadyLocked()
		return
	}
	resp.From = m.To
	rf.stepLocked(resp)
}

// ---- persistence ------------------------------------------------------

// persistedEntry is a log entry as saved: its index is implied by its
// position, so only the term and the command are stored.
type persistedEntry struct {
	Term    int
	Command any
}

// stateCodec turns the core's persistent state into the bytes saved in the
// Persister. A Persister holds one blob, so every save writes the whole
// log; encoding the whole log each time would make a long log cost
// quadratic time. But an entry never changes once in the log (one index
// and term name one entry, §5.3), so the codec keeps the encoding of the
// log's entries and on each save encodes only the entries appended since:
// the term and vote go in a small header encoded afresh, the entries in
// one gob stream that grows. A truncation or a new snapshot starts the
// stream again.
//
// Layout: uvarint(len(header)) header entries, where header is the gob
// stream of term, votedFor, snapIndex, snapTerm and the number of entries,
// and entries the gob stream of each entry in turn.
type stateCodec struct {
	snapIndex int
	terms     []int // the term of each entry in stream, from snapIndex+1
	stream    bytes.Buffer
	enc       *labgob.LabEncoder
}

func (c *stateCodec) encode(st raftcore.PersistentState) []byte {
	n := len(c.terms)
	extends := c.enc != nil && c.snapIndex == st.SnapIndex && n <= len(st.Entries) &&
		(n == 0 || st.Entries[n-1].Term == c.terms[n-1])
	if !extends {
		c.stream.Reset()
		c.enc = labgob.NewEncoder(&c.stream)
		c.snapIndex, c.terms, n = st.SnapIndex, c.terms[:0], 0
	}
	for _, e := range st.Entries[n:] {
		mustEncode(c.enc, persistedEntry{Term: e.Term, Command: e.Command})
		c.terms = append(c.terms, e.Term)
	}
	var head bytes.Buffer
	h := labgob.NewEncoder(&head)
	for _, v := range []any{st.Term, st.VotedFor, st.SnapIndex, st.SnapTerm, len(st.Entries)} {
		mustEncode(h, v)
	}
	out := make([]byte, 0, binary.MaxVarintLen64+head.Len()+c.stream.Len())
	out = binary.AppendUvarint(out, uint64(head.Len()))
	out = append(out, head.Bytes()...)
	return append(out, c.stream.Bytes()...)
}

func mustEncode(e *labgob.LabEncoder, v any) {
	if err := e.Encode(v); err != nil {
		panic(fmt.Sprintf("raft: encode state: %v", err))
	}
}

// decodeState reverses stateCodec.encode; nil state (a fresh server) gives
// nil.
func decodeState(data []byte) (*raftcore.PersistentState, error) {
	if len(data) == 0 {
		return nil, nil
	}
	headLen, k := binary.Uvarint(data)
	if k <= 0 || uint64(len(data)-k) < headLen {
		return nil, fmt.Errorf("bad header length")
	}
	head := labgob.NewDecoder(bytes.NewReader(data[k : k+int(headLen)]))
	var term, votedFor, snapIndex, snapTerm, n int
	for _, p := range []any{&term, &votedFor, &snapIndex, &snapTerm, &n} {
		if err := head.Decode(p); err != nil {
			return nil, err
		}
	}
	st := &raftcore.PersistentState{Term: term, VotedFor: votedFor, SnapIndex: snapIndex, SnapTerm: snapTerm}
	st.Entries = make([]raftcore.Entry, n)
	entries := labgob.NewDecoder(bytes.NewReader(data[k+int(headLen):]))
	for i := range st.Entries {
		var e persistedEntry
		if err := entries.Decode(&e); err != nil {
			return nil, fmt.Errorf("entry %d of %d: %w", i+1, n, err)
		}
		st.Entries[i] = raftcore.Entry{Index: snapIndex + 1 + i, Term: e.Term, Command: e.Command}
	}
	return st, nil
}
