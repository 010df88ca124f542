package raft

// A student's Raft as it sits in a classic lab tree: it imports the
// course's packages as 6.5840/labgob and 6.5840/labrpc and logs with
// DPrintf, which the classic util.go declares and this tree lacks, so
// adopting it exercises both the import rewrite and the supplied helper.

import (
	"bytes"
	"math/rand"
	"sync"
	"sync/atomic"
	"time"

	"6.5840/labgob"
	"6.5840/labrpc"
)

// ApplyMsg is what Raft sends on applyCh: a committed command
// (CommandValid) or a snapshot the service must install (SnapshotValid).
type ApplyMsg struct {
	CommandValid bool
	Command      any
	CommandIndex int

	SnapshotValid bool
	Snapshot      []byte
	SnapshotTerm  int
	SnapshotIndex int
}

// LogEntry is one slot of the log.
type LogEntry struct {
	Term    int
	Command any
}

type role int

const (
	follower role = iota
	candidate
	leader
)

const (
	// heartbeatInterval keeps the leader within the lab's limit of ten
	// heartbeats a second.
	heartbeatInterval = 100 * time.Millisecond
	// Election timeouts are drawn from [electionTimeoutMin,
	// electionTimeoutMin+electionTimeoutSpread): several heartbeats long,
	// so one lost heartbeat does not start an election, and spread wide
	// enough that two candidates rarely time out together.
	electionTimeoutMin    = 300 * time.Millisecond
	electionTimeoutSpread = 300 * time.Millisecond
	// tickInterval is how often the ticker looks at the clock; it bounds
	// how late a timeout is noticed.
	tickInterval = 10 * time.Millisecond
)

// Raft is one server.
type Raft struct {
	mu        sync.Mutex
	peers     []*labrpc.ClientEnd
	persister *Persister
	me        int
	dead      int32

	// Persistent state (Figure 2), saved before any reply that depends
	// on it. log[0] stands for the last entry covered by the snapshot:
	// its Term is that entry's term and lastIncluded is its index, so
	// the entry with index i sits at log[i-lastIncluded].
	currentTerm  int
	votedFor     int
	log          []LogEntry
	lastIncluded int
	snapshot     []byte

	// Volatile state.
	role          role
	commitIndex   int
	lastApplied   int
	electionAt    time.Time // when a follower or candidate starts an election
	lastHeartbeat time.Time
	votes         int

	// Leader state, reset on every election won.
	nextIndex  []int
	matchIndex []int

	applyCh   chan ApplyMsg
	applyCond *sync.Cond
	// snapshotPending: InstallSnapshot replaced the log with a snapshot
	// the service has not yet been given.
	snapshotPending bool
}

// ---- log indexing -----------------------------------------------------

func (rf *Raft) lastLogIndex() int { return rf.lastIncluded + len(rf.log) - 1 }

func (rf *Raft) lastLogTerm() int { return rf.log[len(rf.log)-1].Term }

// termAt is the term of the entry at index, which must be in
// [lastIncluded, lastLogIndex].
func (rf *Raft) termAt(index int) int { return rf.log[index-rf.lastIncluded].Term }

// entriesFrom copies the entries from index on, so that an RPC in flight
// never shares memory with a log that is later truncated.
func (rf *Raft) entriesFrom(index int) []LogEntry {
	return append([]LogEntry(nil), rf.log[index-rf.lastIncluded:]...)
}

// ---- persistence ------------------------------------------------------

func (rf *Raft) persist() {
	w := new(bytes.Buffer)
	e := labgob.NewEncoder(w)
	e.Encode(rf.currentTerm)
	e.Encode(rf.votedFor)
	e.Encode(rf.lastIncluded)
	e.Encode(rf.log)
	rf.persister.Save(w.Bytes(), rf.snapshot)
}

func (rf *Raft) readPersist(data []byte) {
	if len(data) == 0 {
		return
	}
	d := labgob.NewDecoder(bytes.NewBuffer(data))
	var term, votedFor, lastIncluded int
	var log []LogEntry
	if d.Decode(&term) != nil || d.Decode(&votedFor) != nil ||
		d.Decode(&lastIncluded) != nil || d.Decode(&log) != nil {
		panic("raft: cannot decode persisted state")
	}
	rf.currentTerm, rf.votedFor, rf.lastIncluded, rf.log = term, votedFor, lastIncluded, log
}

// ---- the public API ---------------------------------------------------

// GetState returns the current term and whether this server believes it
// is the leader.
func (rf *Raft) GetState() (int, bool) {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	return rf.currentTerm, rf.role == leader
}

// Start appends command to the leader's log and returns at once with the
// index it will have if it commits.
func (rf *Raft) Start(command any) (int, int, bool) {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	if rf.role != leader || rf.killed() {
		return -1, rf.currentTerm, false
	}
	rf.log = append(rf.log, LogEntry{Term: rf.currentTerm, Command: command})
	rf.persist()
	index := rf.lastLogIndex()
	rf.matchIndex[rf.me] = index
	// Replicate now rather than at the next heartbeat: a client waits on
	// every command.
	rf.broadcast()
	return index, rf.currentTerm, true
}

// Snapshot is the service saying it has a snapshot of everything through
// index: the log before it can go.
func (rf *Raft) Snapshot(index int, snapshot []byte) {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	if index <= rf.lastIncluded || index > rf.commitIndex {
		return
	}
	rf.log = rf.entriesFrom(index) // a new array, so the old one can be freed
	rf.log[0].Command = nil
	rf.lastIncluded = index
	rf.snapshot = snapshot
	rf.persist()
}

// Kill stops the server's goroutines; the tester calls it on a crash.
func (rf *Raft) Kill() {
	atomic.StoreInt32(&rf.dead, 1)
	rf.mu.Lock()
	rf.applyCond.Broadcast() // the applier may be waiting for work
	rf.mu.Unlock()
}

func (rf *Raft) killed() bool { return atomic.LoadInt32(&rf.dead) == 1 }

// Make creates a server, restores what persister holds and starts its
// goroutines.
func Make(peers []*labrpc.ClientEnd, me int, persister *Persister, applyCh chan ApplyMsg) *Raft {
	rf := &Raft{
		peers:     peers,
		persister: persister,
		me:        me,
		votedFor:  -1,
		log:       []LogEntry{{Term: 0}},
		applyCh:   applyCh,
	}
	rf.applyCond = sync.NewCond(&rf.mu)
	rf.readPersist(persister.ReadRaftState())
	rf.snapshot = persister.ReadSnapshot()
	// The service restores itself from the persisted snapshot on a
	// restart, so what it covers counts as applied already.
	rf.commitIndex = rf.lastIncluded
	rf.lastApplied = rf.lastIncluded
	rf.resetElectionTimer()

	go rf.ticker()
	go rf.applier()
	return rf
}

// ---- timers -----------------------------------------------------------

func (rf *Raft) resetElectionTimer() {
	rf.electionAt = time.Now().Add(electionTimeoutMin + time.Duration(rand.Int63n(int64(electionTimeoutSpread))))
}

// ticker starts elections when the election timer runs out and sends the
// leader's heartbeats.
func (rf *Raft) ticker() {
	for !rf.killed() {
		rf.mu.Lock()
		now := time.Now()
		switch {
		case rf.role == leader && now.Sub(rf.lastHeartbeat) >= heartbeatInterval:
			rf.broadcast()
		case rf.role != leader && now.After(rf.electionAt):
			rf.startElection()
		}
		rf.mu.Unlock()
		time.Sleep(tickInterval)
	}
}

// becomeFollower adopts a newer term seen in any request or reply. The
// caller persists.
func (rf *Raft) becomeFollower(term int) {
	DPrintf("S%d: term %d -> %d, following", rf.me, rf.currentTerm, term)
	rf.currentTerm = term
	rf.votedFor = -1
	rf.role = follower
}

// ---- elections --------------------------------------------------------

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

func (rf *Raft) startElection() {
	rf.currentTerm++
	DPrintf("S%d: election timeout, candidate in term %d", rf.me, rf.currentTerm)
	rf.role = candidate
	rf.votedFor = rf.me
	rf.votes = 1
	rf.persist()
	rf.resetElectionTimer()
	args := RequestVoteArgs{
		Term:         rf.currentTerm,
		CandidateId:  rf.me,
		LastLogIndex: rf.lastLogIndex(),
		LastLogTerm:  rf.lastLogTerm(),
	}
	for i := range rf.peers {
		if i != rf.me {
			go rf.askVote(i, args)
		}
	}
}

func (rf *Raft) askVote(server int, args RequestVoteArgs) {
	var reply RequestVoteReply
	if !rf.peers[server].Call("Raft.RequestVote", &args, &reply) {
		return
	}
	rf.mu.Lock()
	defer rf.mu.Unlock()
	if reply.Term > rf.currentTerm {
		rf.becomeFollower(reply.Term)
		rf.persist()
		return
	}
	// A vote counts only in the election it was asked for.
	if rf.role != candidate || rf.currentTerm != args.Term || !reply.VoteGranted {
		return
	}
	rf.votes++
	if rf.votes > len(rf.peers)/2 {
		rf.becomeLeader()
	}
}

func (rf *Raft) becomeLeader() {
	rf.role = leader
	DPrintf("S%d: leader of term %d with %d votes", rf.me, rf.currentTerm, rf.votes)
	rf.nextIndex = make([]int, len(rf.peers))
	rf.matchIndex = make([]int, len(rf.peers))
	for i := range rf.peers {
		rf.nextIndex[i] = rf.lastLogIndex() + 1
	}
	rf.matchIndex[rf.me] = rf.lastLogIndex()
	// Announce the victory before anyone else's timer runs out.
	rf.broadcast()
}

// RequestVote is the RequestVote RPC handler.
func (rf *Raft) RequestVote(args *RequestVoteArgs, reply *RequestVoteReply) {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	if args.Term > rf.currentTerm {
		rf.becomeFollower(args.Term)
		rf.persist()
	}
	reply.Term = rf.currentTerm
	if args.Term < rf.currentTerm {
		return
	}
	// The election restriction (§5.4.1): a leader must hold every
	// committed entry, so only a log at least as up to date gets a vote.
	upToDate := args.LastLogTerm > rf.lastLogTerm() ||
		(args.LastLogTerm == rf.lastLogTerm() && args.LastLogIndex >= rf.lastLogIndex())
	if (rf.votedFor == -1 || rf.votedFor == args.CandidateId) && upToDate {
		rf.votedFor = args.CandidateId
		rf.persist()
		reply.VoteGranted = true
		// Only a granted vote delays our own candidacy: a candidate we
		// refused must not hold the cluster back.
		rf.resetElectionTimer()
	}
}

// ---- replication ------------------------------------------------------

type AppendEntriesArgs struct {
	Term         int
	LeaderId     int
	PrevLogIndex int
	PrevLogTerm  int
	Entries      []LogEntry
	LeaderCommit int
}

// AppendEntriesReply carries, on a mismatch, what the leader needs to
// skip back a whole term at a time: the term of the conflicting entry
// (XTerm, -1 if the log is too short), the first index of that term
// (XIndex), and the log's length (XLen).
type AppendEntriesReply struct {
	Term    int
	Success bool
	XTerm   int
	XIndex  int
	XLen    int
}

// broadcast sends every follower what it is missing, or a heartbeat.
func (rf *Raft) broadcast() {
	rf.lastHeartbeat = time.Now()
	for i := range rf.peers {
		if i != rf.me {
			rf.replicateTo(i)
		}
	}
}

// replicateTo sends one follower an AppendEntries from its nextIndex, or
// the snapshot if the entries it needs are gone.
func (rf *Raft) replicateTo(server int) {
	next := rf.nextIndex[server]
	if next <= rf.lastIncluded {
		args := InstallSnapshotArgs{
			Term:              rf.currentTerm,
			LeaderId:          rf.me,
			LastIncludedIndex: rf.lastIncluded,
			LastIncludedTerm:  rf.log[0].Term,
			Data:              rf.snapshot,
		}
		go rf.sendSnapshot(server, args)
		return
	}
	args := AppendEntriesArgs{
		Term:         rf.currentTerm,
		LeaderId:     rf.me,
		PrevLogIndex: next - 1,
		PrevLogTerm:  rf.termAt(next - 1),
		Entries:      rf.entriesFrom(next),
		LeaderCommit: rf.commitIndex,
	}
	go rf.sendAppend(server, args)
}

func (rf *Raft) sendAppend(server int, args AppendEntriesArgs) {
	var reply AppendEntriesReply
	if !rf.peers[server].Call("Raft.AppendEntries", &args, &reply) {
		return
	}
	rf.mu.Lock()
	defer rf.mu.Unlock()
	if reply.Term > rf.currentTerm {
		rf.becomeFollower(reply.Term)
		rf.persist()
		rf.resetElectionTimer()
		return
	}
	if rf.role != leader || rf.currentTerm != args.Term {
		return // a reply to an earlier leadership
	}
	if reply.Success {
		// Replies can come back out of order: never move backwards.
		match := args.PrevLogIndex + len(args.Entries)
		rf.matchIndex[server] = max(rf.matchIndex[server], match)
		rf.nextIndex[server] = max(rf.nextIndex[server], match+1)
		rf.advanceCommit()
		return
	}
	if reply.XTerm == -1 {
		rf.nextIndex[server] = reply.XLen
	} else {
		// If we have entries of XTerm, the follower's may match up to our
		// last one of that term; if not, its whole XTerm run is wrong.
		next := reply.XIndex
		for i := rf.lastLogIndex(); i > rf.lastIncluded; i-- {
			if rf.termAt(i) == reply.XTerm {
				next = i + 1
				break
			}
			if rf.termAt(i) < reply.XTerm {
				break
			}
		}
		rf.nextIndex[server] = next
	}
	// Try again at once if we backed up: waiting for the next heartbeat
	// would make a long divergent log take seconds to repair. A reply
	// that does not move us back (a stale one) waits for the heartbeat,
	// so retries can never spin.
	if rf.nextIndex[server] <= args.PrevLogIndex {
		rf.replicateTo(server)
	}
}

// advanceCommit commits the highest index stored on a majority, but only
// if its entry is of the current term: an older entry on a majority can
// still be overwritten (Figure 8), and becomes committed with the first
// entry of the current term after it.
func (rf *Raft) advanceCommit() {
	for n := rf.lastLogIndex(); n > rf.commitIndex && n > rf.lastIncluded; n-- {
		if rf.termAt(n) != rf.currentTerm {
			break
		}
		count := 0
		for i := range rf.peers {
			if rf.matchIndex[i] >= n {
				count++
			}
		}
		if count > len(rf.peers)/2 {
			rf.commitIndex = n
			rf.applyCond.Signal()
			return
		}
	}
}

// AppendEntries is the AppendEntries RPC handler.
func (rf *Raft) AppendEntries(args *AppendEntriesArgs, reply *AppendEntriesReply) {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	if args.Term > rf.currentTerm {
		rf.becomeFollower(args.Term)
		rf.persist()
	}
	reply.Term = rf.currentTerm
	if args.Term < rf.currentTerm {
		return
	}
	// A current leader exists: a candidate of this term gives up.
	rf.role = follower
	rf.resetElectionTimer()

	if args.PrevLogIndex < rf.lastIncluded {
		// The start of this request is inside our snapshot, which holds
		// only committed entries: ask for what follows it.
		reply.XTerm, reply.XLen = -1, rf.lastIncluded+1
		return
	}
	if args.PrevLogIndex > rf.lastLogIndex() {
		reply.XTerm, reply.XLen = -1, rf.lastLogIndex()+1
		return
	}
	if t := rf.termAt(args.PrevLogIndex); t != args.PrevLogTerm {
		reply.XTerm = t
		i := args.PrevLogIndex
		for i-1 > rf.lastIncluded && rf.termAt(i-1) == t {
			i--
		}
		reply.XIndex = i
		reply.XLen = rf.lastLogIndex() + 1
		return
	}

	// Append what is new. Entries we already hold stay, and so does
	// anything after them: this request may be an old, shorter one that
	// arrived late, and cutting the log back would drop entries we have
	// acknowledged.
	for i, e := range args.Entries {
		index := args.PrevLogIndex + 1 + i
		if index > rf.lastLogIndex() || rf.termAt(index) != e.Term {
			rf.log = append(rf.log[:index-rf.lastIncluded], args.Entries[i:]...)
			rf.persist()
			break
		}
	}

	// Only what this request showed to match the leader may be
	// committed; entries after it may still be from a stale term.
	if args.LeaderCommit > rf.commitIndex {
		rf.commitIndex = min(args.LeaderCommit, args.PrevLogIndex+len(args.Entries))
		rf.applyCond.Signal()
	}
	reply.Success = true
}

// ---- snapshots --------------------------------------------------------

type InstallSnapshotArgs struct {
	Term              int
	LeaderId          int
	LastIncludedIndex int
	LastIncludedTerm  int
	Data              []byte
}

type InstallSnapshotReply struct {
	Term int
}

func (rf *Raft) sendSnapshot(server int, args InstallSnapshotArgs) {
	var reply InstallSnapshotReply
	if !rf.peers[server].Call("Raft.InstallSnapshot", &args, &reply) {
		return
	}
	rf.mu.Lock()
	defer rf.mu.Unlock()
	if reply.Term > rf.currentTerm {
		rf.becomeFollower(reply.Term)
		rf.persist()
		rf.resetElectionTimer()
		return
	}
	if rf.role != leader || rf.currentTerm != args.Term {
		return
	}
	rf.matchIndex[server] = max(rf.matchIndex[server], args.LastIncludedIndex)
	rf.nextIndex[server] = max(rf.nextIndex[server], args.LastIncludedIndex+1)
	rf.advanceCommit()
}

// InstallSnapshot is the InstallSnapshot RPC handler (Figure 13).
func (rf *Raft) InstallSnapshot(args *InstallSnapshotArgs, reply *InstallSnapshotReply) {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	if args.Term > rf.currentTerm {
		rf.becomeFollower(args.Term)
		rf.persist()
	}
	reply.Term = rf.currentTerm
	if args.Term < rf.currentTerm {
		return
	}
	rf.role = follower
	rf.resetElectionTimer()

	// A snapshot we have already committed past would take the service
	// backwards.
	if args.LastIncludedIndex <= rf.commitIndex {
		return
	}
	if args.LastIncludedIndex < rf.lastLogIndex() && rf.termAt(args.LastIncludedIndex) == args.LastIncludedTerm {
		// Our log agrees with the snapshot's end: what follows may be
		// entries we have acknowledged, so keep them.
		rf.log = rf.entriesFrom(args.LastIncludedIndex)
	} else {
		rf.log = []LogEntry{{}}
	}
	rf.log[0] = LogEntry{Term: args.LastIncludedTerm}
	rf.lastIncluded = args.LastIncludedIndex
	rf.snapshot = args.Data
	rf.persist()

	rf.commitIndex = args.LastIncludedIndex
	rf.snapshotPending = true
	rf.applyCond.Signal()
}

// ---- applying ---------------------------------------------------------

// applier delivers committed entries, and snapshots installed by the
// leader, in index order. It sends without holding the lock: the service
// calls Snapshot from the loop that reads applyCh.
func (rf *Raft) applier() {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	for !rf.killed() {
		switch {
		case rf.snapshotPending:
			rf.snapshotPending = false
			msg := ApplyMsg{
				SnapshotValid: true,
				Snapshot:      rf.snapshot,
				SnapshotTerm:  rf.log[0].Term,
				SnapshotIndex: rf.lastIncluded,
			}
			rf.lastApplied = rf.lastIncluded
			rf.mu.Unlock()
			rf.applyCh <- msg
			rf.mu.Lock()
		case rf.lastApplied < rf.commitIndex:
			first := rf.lastApplied + 1
			entries := append([]LogEntry(nil), rf.log[first-rf.lastIncluded:rf.commitIndex-rf.lastIncluded+1]...)
			rf.mu.Unlock()
			for i, e := range entries {
				rf.applyCh <- ApplyMsg{CommandValid: true, Command: e.Command, CommandIndex: first + i}
			}
			rf.mu.Lock()
			// A snapshot installed meanwhile is past everything we sent
			// (it had to be past commitIndex), so it is never skipped.
			rf.lastApplied = max(rf.lastApplied, first+len(entries)-1)
		default:
			rf.applyCond.Wait()
		}
	}
}
