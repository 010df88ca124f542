package kvraft

import (
	"bytes"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"raftlab/dlog"
	"raftlab/internal/pending"
	"raftlab/labgob"
	"raftlab/labrpc"
	"raftlab/raft"
)

// The server. Puts, Appends (and Gets, when the Raft offers no ReadIndex)
// go through the Raft log; every server applies the log in order to its own
// copy of the map. Only the leader carries out operations; any server
// answers a retried Put or Append it has already applied.
//
// Locking: mu guards the state below it, and is never held while calling
// into the Raft, so the server also runs on a Raft that sends on applyCh
// while holding its own lock.
//
// Answering promptly: a handler waits for its operation until it is
// applied, and gives up (ErrWrongLeader, the clerk retries elsewhere) as
// soon as it is clear the operation may never be: another operation was
// applied at the index Start gave it, or the server's term changed or it
// stopped leading (a watcher polls GetState), or opTimeout passed, which
// is what a leader cut off in a minority, unaware it was deposed, needs.

const (
	// opTimeout bounds a handler's wait for its operation.
	opTimeout = 500 * time.Millisecond
	// watchInterval is how often the watcher polls GetState while handlers wait.
	watchInterval = 20 * time.Millisecond
)

// The kinds of Op.
const (
	opGet    = "Get"
	opPut    = "Put"
	opAppend = "Append"
)

// Op is a clerk's operation as it travels through the Raft log.
type Op struct {
	Kind    string
	Key     string
	Value   string
	ClerkId int64
	Seq     int64
}

type opResult struct {
	err   Err
	value string
}

var wrongLeader = opResult{err: ErrWrongLeader}

// readIndexer is the optional ReadIndex of a Raft (ours has it; a Raft
// without it makes every Get go through the log).
type readIndexer interface {
	ReadIndex() (index int, term int, ok bool)
}

type KVServer struct {
	me           int
	rf           *raft.Raft
	applyCh      chan raft.ApplyMsg
	persister    *raft.Persister
	maxraftstate int // snapshot once the persisted Raft state is this big; -1: never
	lg           *dlog.Logger
	dead         atomic.Bool
	done         chan struct{} // closed by Kill

	mu sync.Mutex
	// reads is the Raft's ReadIndex; nil sends Gets through the log.
	reads readIndexer

	// The state machine: what a snapshot holds.
	data    map[string]string
	lastSeq map[int64]int64 // clerk -> the Seq of its latest Put or Append applied
	applied int             // the index of the latest entry applied

	// ownTerm is the latest term in which an operation this server
	// proposed was applied at the index Start gave it: from then on the
	// Raft, leading that term, has committed an entry of the term, and
	// refuses no ReadIndex for lack of one.
	ownTerm int

	waiting *pending.Table[opResult] // handlers waiting for their operation
	readers []*pendingRead           // Gets waiting for the state to reach a read index
}

// pendingRead is a Get waiting until the state has applied through index.
type pendingRead struct {
	index int
	done  chan struct{}
}

// StartKVServer starts server me of servers, restoring it from persister;
// maxraftstate is the size of persisted Raft state, in bytes, at which it
// snapshots (-1: never). It returns at once.
func StartKVServer(servers []*labrpc.ClientEnd, me int, persister *raft.Persister, maxraftstate int) *KVServer {
	labgob.Register(Op{})
	kv := &KVServer{
		me:           me,
		applyCh:      make(chan raft.ApplyMsg),
		persister:    persister,
		maxraftstate: maxraftstate,
		lg:           servers[me].Logger(),
		done:         make(chan struct{}),
		data:         map[string]string{},
		lastSeq:      map[int64]int64{},
		waiting:      pending.NewTable(wrongLeader),
	}
	if snap := persister.ReadSnapshot(); len(snap) > 0 {
		index, err := kv.restore(snap)
		if err != nil {
			panic(fmt.Sprintf("kvraft %d: cannot decode its snapshot: %v", me, err))
		}
		kv.applied = index
		kv.lg.Printf(dlog.KV, "restart from snapshot through %d: %d keys, %d clerks", index, len(kv.data), len(kv.lastSeq))
	}
	kv.rf = raft.Make(servers, me, persister, kv.applyCh)
	kv.reads, _ = any(kv.rf).(readIndexer)
	go kv.applier()
	go kv.watchLeadership()
	return kv
}

// Kill stops the server and its Raft. Handlers still waiting answer
// ErrWrongLeader (nobody hears it: a crashed server's calls fail).
func (kv *KVServer) Kill() {
	if kv.dead.Swap(true) {
		return
	}
	kv.rf.Kill()
	close(kv.done)
}

// ---- RPC handlers -------------------------------------------------------

func (kv *KVServer) Get(args *GetArgs, reply *GetReply) {
	r, ok := kv.readAtIndex(args.Key)
	if !ok {
		r = kv.propose(Op{Kind: opGet, Key: args.Key, ClerkId: args.ClerkId, Seq: args.Seq})
	}
	reply.Err, reply.Value = r.err, r.value
}

func (kv *KVServer) Put(args *PutAppendArgs, reply *PutAppendReply) {
	reply.Err = kv.write(Op{Kind: opPut, Key: args.Key, Value: args.Value, ClerkId: args.ClerkId, Seq: args.Seq})
}

func (kv *KVServer) Append(args *PutAppendArgs, reply *PutAppendReply) {
	reply.Err = kv.write(Op{Kind: opAppend, Key: args.Key, Value: args.Value, ClerkId: args.ClerkId, Seq: args.Seq})
}

// write carries out a Put or an Append. One this server has applied
// already is done, whoever leads now: a retry whose reply was lost, or a
// duplicate, is answered at once.
func (kv *KVServer) write(op Op) Err {
	kv.mu.Lock()
	applied := kv.lastSeq[op.ClerkId] >= op.Seq
	kv.mu.Unlock()
	if applied {
		return OK
	}
	return kv.propose(op).err
}

// propose puts op through the log and waits for its result.
func (kv *KVServer) propose(op Op) opResult {
	if kv.dead.Load() {
		return wrongLeader
	}
	return pending.Propose(&kv.mu, kv.waiting, op.ClerkId, op.Seq,
		func() (int, int, bool) { return kv.rf.Start(op) },
		func() int { return kv.applied }, opTimeout, kv.done)
}

// readAtIndex serves a Get through the Raft's ReadIndex: the value once
// the state has applied through the confirmed read index. ok=false means
// the Get must go through the log instead: the Raft has no ReadIndex, or
// it leads but refused for want of an entry of its term, which the log
// Get will commit.
func (kv *KVServer) readAtIndex(key string) (r opResult, ok bool) {
	kv.mu.Lock()
	ri, ownTerm := kv.reads, kv.ownTerm
	kv.mu.Unlock()
	if ri == nil || kv.dead.Load() {
		return opResult{}, false
	}
	index, _, confirmed := ri.ReadIndex()
	if !confirmed {
		term, isLeader := kv.rf.GetState()
		if isLeader && ownTerm < term {
			return opResult{}, false
		}
		return wrongLeader, true
	}
	// The acknowledgement that confirms a read often commits entries too,
	// and the applier applies them at the same moment. Any state from the
	// read index on would do, but the read waits a nanosecond for those to
	// be applied, so that in the tests' virtual time the value it returns
	// does not depend on which goroutine ran first, and a seed replays.
	time.Sleep(time.Nanosecond)

	kv.mu.Lock()
	if kv.applied >= index {
		defer kv.mu.Unlock()
		return kv.getLocked(key), true
	}
	pr := &pendingRead{index: index, done: make(chan struct{})}
	kv.readers = append(kv.readers, pr)
	kv.mu.Unlock()

	timer := time.NewTimer(opTimeout)
	defer timer.Stop()
	select {
	case <-pr.done:
		kv.mu.Lock()
		defer kv.mu.Unlock()
		return kv.getLocked(key), true
	case <-timer.C:
	case <-kv.done:
	}
	return wrongLeader, true
}

func (kv *KVServer) getLocked(key string) opResult {
	v, ok := kv.data[key]
	if !ok {
		return opResult{err: ErrNoKey}
	}
	return opResult{err: OK, value: v}
}

// ---- applying the log -----------------------------------------------------

// applier applies what Raft commits, in order, and snapshots when the
// persisted Raft state grows past maxraftstate.
func (kv *KVServer) applier() {
	for {
		var msg raft.ApplyMsg
		select {
		case msg = <-kv.applyCh:
		case <-kv.done:
			return
		}
		switch {
		case msg.CommandValid:
			if snap := kv.applyCommand(msg.CommandIndex, msg.Command); snap != nil {
				kv.rf.Snapshot(msg.CommandIndex, snap)
			}
		case msg.SnapshotValid:
			kv.installSnapshot(msg.SnapshotIndex, msg.Snapshot)
		}
	}
}

// applyCommand applies the entry at index and answers whoever waits on it;
// it returns a snapshot to hand to Raft, or nil.
func (kv *KVServer) applyCommand(index int, command any) []byte {
	kv.mu.Lock()
	defer kv.mu.Unlock()
	if index <= kv.applied {
		return nil // covered by a snapshot installed meanwhile
	}
	kv.applied = index
	op, isOp := command.(Op)
	if !isOp {
		return kv.snapshotIfDueLocked()
	}
	r := kv.applyLocked(op)
	own, lost := kv.waiting.Applied(index, op.ClerkId, op.Seq, r)
	if own != nil {
		kv.ownTerm = max(kv.ownTerm, own.Term)
	}
	for _, p := range lost {
		kv.lg.Printf(dlog.KV, "index %d holds another operation than clerk %d's #%d: leadership of term %d lost", index, p.Clerk, p.Seq, p.Term)
	}
	kv.wakeReadersLocked()
	return kv.snapshotIfDueLocked()
}

// applyLocked applies op to the state machine, once per clerk and Seq.
func (kv *KVServer) applyLocked(op Op) opResult {
	switch op.Kind {
	case opGet:
		return kv.getLocked(op.Key)
	case opPut, opAppend:
		if kv.lastSeq[op.ClerkId] >= op.Seq {
			return opResult{err: OK}
		}
		if op.Kind == opPut {
			kv.data[op.Key] = op.Value
		} else {
			kv.data[op.Key] += op.Value
		}
		kv.lastSeq[op.ClerkId] = op.Seq
		return opResult{err: OK}
	}
	return opResult{err: Err("unknown operation " + op.Kind)}
}

func (kv *KVServer) wakeReadersLocked() {
	kv.readers = slices.DeleteFunc(kv.readers, func(pr *pendingRead) bool {
		if pr.index <= kv.applied {
			close(pr.done)
			return true
		}
		return false
	})
}

// installSnapshot replaces the state by a snapshot Raft received from the
// leader. Handlers waiting on entries it covers cannot learn their result
// from it (a Get's value is gone); they answer ErrWrongLeader, and the
// clerk's retry finds a Put or Append in the table of applied operations.
func (kv *KVServer) installSnapshot(index int, snap []byte) {
	kv.mu.Lock()
	defer kv.mu.Unlock()
	if index <= kv.applied {
		return
	}
	if _, err := kv.restore(snap); err != nil {
		panic(fmt.Sprintf("kvraft %d: cannot decode the snapshot through %d: %v", kv.me, index, err))
	}
	kv.applied = index
	kv.lg.Printf(dlog.KV, "installed snapshot through %d", index)
	kv.waiting.SnapshotInstalled(index)
	kv.wakeReadersLocked()
}

// ---- snapshots --------------------------------------------------------------

// snapshotIfDueLocked returns a snapshot of the state once the persisted
// Raft state has reached maxraftstate, else nil.
func (kv *KVServer) snapshotIfDueLocked() []byte {
	if kv.maxraftstate < 0 || kv.persister.RaftStateSize() < kv.maxraftstate {
		return nil
	}
	var b bytes.Buffer
	e := labgob.NewEncoder(&b)
	for _, v := range []any{kv.applied, kv.data, kv.lastSeq} {
		if err := e.Encode(v); err != nil {
			panic(fmt.Sprintf("kvraft %d: encode snapshot: %v", kv.me, err))
		}
	}
	kv.lg.Printf(dlog.KV, "snapshot through %d: %d bytes", kv.applied, b.Len())
	return b.Bytes()
}

// restore replaces the state machine by the one in snap and returns the
// index it was taken at.
func (kv *KVServer) restore(snap []byte) (int, error) {
	d := labgob.NewDecoder(bytes.NewReader(snap))
	var index int
	var data map[string]string
	var lastSeq map[int64]int64
	if err := d.Decode(&index); err != nil {
		return 0, err
	}
	if err := d.Decode(&data); err != nil {
		return 0, err
	}
	if err := d.Decode(&lastSeq); err != nil {
		return 0, err
	}
	kv.data, kv.lastSeq = data, lastSeq
	if kv.data == nil { // gob sends an empty map as nothing
		kv.data = map[string]string{}
	}
	if kv.lastSeq == nil {
		kv.lastSeq = map[int64]int64{}
	}
	return index, nil
}

// ---- leadership -------------------------------------------------------------

// watchLeadership answers the handlers waiting on a server that has lost
// its leadership, or moved to another term, since Start: their entries may
// be overwritten, and a leader of the new term may already hold the
// clerk's retry.
func (kv *KVServer) watchLeadership() {
	pending.Watch(&kv.mu, kv.waiting, kv.rf.GetState, watchInterval, kv.done)
}

// ---- the tests' switch between the two ways of serving a Get ---------------

// routeGetsThroughLog makes every Get go through the log, as on a Raft
// without ReadIndex. The suite finds it by an interface assertion, so that
// it also compiles with a server that has no such switch.
func (kv *KVServer) routeGetsThroughLog() {
	kv.mu.Lock()
	kv.reads = nil
	kv.mu.Unlock()
}

// routesGetsByReadIndex reports whether Gets use the Raft's ReadIndex.
func (kv *KVServer) routesGetsByReadIndex() bool {
	kv.mu.Lock()
	defer kv.mu.Unlock()
	return kv.reads != nil
}
