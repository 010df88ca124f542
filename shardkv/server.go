package shardkv

import (
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
	"raftlab/shardctrler"
)

// The server: one replica of group gid. Everything that changes the state
// goes through the group's Raft log and is applied in log order on every
// replica: clerks' Puts and Appends (and Gets, on a Raft without
// ReadIndex), configuration changes, shards arriving from their previous
// owner, and the two steps of garbage collection. The leader's background
// loops (migration.go) propose the last three; the RPC handlers below
// propose the clerks' operations, as kvraft's do, with the same
// bookkeeping of waiting handlers (internal/pending) and the same
// ReadIndex path for Gets.
//
// Locking: mu guards the state below it, and is never held while calling
// into the Raft or making an RPC.

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

type ShardKV struct {
	me           int
	gid          int
	rf           *raft.Raft
	applyCh      chan raft.ApplyMsg
	persister    *raft.Persister
	maxraftstate int // snapshot once the persisted Raft state is this big; -1: never
	lg           *dlog.Logger
	dead         atomic.Bool
	done         chan struct{} // closed by Kill

	// Talking to the controllers and to other groups (migration.go).
	ctrlers  []*labrpc.ClientEnd
	noopTerm atomic.Int64 // the latest term in which this server proposed a Noop
	makeEnd  func(string) *labrpc.ClientEnd
	endsMu   sync.Mutex
	ends     map[string]*labrpc.ClientEnd // made once per server name

	mu sync.Mutex
	// reads is the Raft's ReadIndex; nil sends Gets through the log.
	reads readIndexer
	// flaw is a deliberate bug, for the suite's test that it catches it
	// (flawed_test.go); zero in the reference.
	flaw flaw

	// The state machine: what a snapshot holds.
	cur, prev shardctrler.Config // the current configuration and the one before it
	shards    [shardctrler.NShards]*shard
	applied   int // the index of the latest entry applied

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

// StartServer starts server me of group gid, restoring it from persister.
// maxraftstate is the size of persisted Raft state, in bytes, at which it
// snapshots (-1: never); ctrlers are the shard controllers; make_end turns
// a server name from a configuration into an end to it. It returns at once.
func StartServer(servers []*labrpc.ClientEnd, me int, persister *raft.Persister, maxraftstate int, gid int, ctrlers []*labrpc.ClientEnd, make_end func(string) *labrpc.ClientEnd) *ShardKV {
	for _, c := range []any{Op{}, ConfigChange{}, InstallShards{}, DeleteShards{}, CollectDone{}, Noop{}} {
		labgob.Register(c)
	}
	rng := servers[me].Rand()
	kv := &ShardKV{
		me:           me,
		gid:          gid,
		applyCh:      make(chan raft.ApplyMsg),
		persister:    persister,
		maxraftstate: maxraftstate,
		lg:           servers[me].Logger(),
		done:         make(chan struct{}),
		ctrlers:      ctrlers,
		makeEnd:      make_end,
		ends:         map[string]*labrpc.ClientEnd{},
		cur:          shardctrler.Config{Groups: map[int][]string{}},
		prev:         shardctrler.Config{Groups: map[int][]string{}},
		waiting:      pending.NewTable(wrongLeader),
	}
	for i := range kv.shards {
		kv.shards[i] = newShard(Idle)
	}
	if snap := persister.ReadSnapshot(); len(snap) > 0 {
		index, err := kv.restore(snap)
		if err != nil {
			panic(fmt.Sprintf("shardkv %d-%d: cannot decode its snapshot: %v", gid, me, err))
		}
		kv.applied = index
		kv.lg.Printf(dlog.Shard, "restart from snapshot through %d: config %d, shards %v", index, kv.cur.Num, kv.statesLocked())
	}
	kv.rf = raft.Make(servers, me, persister, kv.applyCh)
	kv.reads, _ = any(kv.rf).(readIndexer)
	go kv.applier()
	go kv.watchLeadership()
	// The loops tick at offsets of their own, off the Raft's timer
	// instants: a Start at the instant the Raft's ticker sends heartbeats
	// would race it to the same ends, and a seed would not replay.
	go kv.every(configPollInterval, rng.Int64N(int64(configPollInterval)), kv.pollConfig)
	go kv.every(migrateInterval, rng.Int64N(int64(migrateInterval)), kv.pullShards)
	go kv.every(migrateInterval, rng.Int64N(int64(migrateInterval)), kv.collectShards)
	return kv
}

// Kill stops the server and its Raft.
func (kv *ShardKV) Kill() {
	if kv.dead.Swap(true) {
		return
	}
	kv.rf.Kill()
	close(kv.done)
}

// ---- RPC handlers for clerks -----------------------------------------------

func (kv *ShardKV) Get(args *GetArgs, reply *GetReply) {
	r, ok := kv.readAtIndex(args.Key)
	if !ok {
		r = kv.propose(Op{Kind: opGet, Key: args.Key, ClerkId: args.ClerkId, Seq: args.Seq})
	}
	reply.Err, reply.Value = r.err, r.value
}

func (kv *ShardKV) Put(args *PutAppendArgs, reply *PutAppendReply) {
	reply.Err = kv.write(Op{Kind: opPut, Key: args.Key, Value: args.Value, ClerkId: args.ClerkId, Seq: args.Seq})
}

func (kv *ShardKV) Append(args *PutAppendArgs, reply *PutAppendReply) {
	reply.Err = kv.write(Op{Kind: opAppend, Key: args.Key, Value: args.Value, ClerkId: args.ClerkId, Seq: args.Seq})
}

// write carries out a Put or an Append. One already applied to the shard,
// which this group serves, is done: a retry whose reply was lost, or a
// duplicate, is answered at once.
func (kv *ShardKV) write(op Op) Err {
	kv.mu.Lock()
	id := key2shard(op.Key)
	applied := kv.servesLocked(id) && kv.shards[id].lastSeq[op.ClerkId] >= op.Seq
	kv.mu.Unlock()
	if applied {
		return OK
	}
	return kv.propose(op).err
}

// servesLocked reports whether the group serves shard id: it owns it in
// its current configuration and holds its data.
func (kv *ShardKV) servesLocked(id int) bool {
	if kv.cur.Shards[id] != kv.gid {
		return false
	}
	switch kv.shards[id].state {
	case Serving, Collecting:
		return true
	case Pulling:
		return kv.flaw == serveBeforeArrival
	}
	return false
}

// propose puts op through the log and waits for its result.
func (kv *ShardKV) propose(op Op) opResult {
	if kv.dead.Load() {
		return wrongLeader
	}
	return pending.Propose(&kv.mu, kv.waiting, op.ClerkId, op.Seq,
		func() (int, int, bool) { return kv.rf.Start(op) },
		func() int { return kv.applied }, opTimeout, kv.done)
}

// readAtIndex serves a Get through the Raft's ReadIndex: the value once
// the state has applied through the confirmed read index, if the group
// then serves the key's shard. ok=false means the Get must go through the
// log instead: the Raft has no ReadIndex, or it leads but refused for want
// of an entry of its term, which the log Get will commit.
func (kv *ShardKV) readAtIndex(key string) (r opResult, ok bool) {
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
	// As in kvraft: the acknowledgement that confirms a read often commits
	// entries too; waiting a nanosecond lets the applier apply them first,
	// so that the value does not depend on which goroutine ran first, and
	// a seed replays.
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

func (kv *ShardKV) getLocked(key string) opResult {
	id := key2shard(key)
	if !kv.servesLocked(id) {
		return opResult{err: ErrWrongGroup}
	}
	v, ok := kv.shards[id].data[key]
	if !ok {
		return opResult{err: ErrNoKey}
	}
	return opResult{err: OK, value: v}
}

// ---- applying the log -----------------------------------------------------

// applier applies what Raft commits, in order, and snapshots when the
// persisted Raft state grows past maxraftstate.
func (kv *ShardKV) applier() {
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
func (kv *ShardKV) applyCommand(index int, command any) []byte {
	kv.mu.Lock()
	defer kv.mu.Unlock()
	if index <= kv.applied {
		return nil // covered by a snapshot installed meanwhile
	}
	kv.applied = index
	switch c := command.(type) {
	case Op:
		kv.applyOpLocked(index, c)
		kv.wakeReadersLocked()
		return kv.snapshotIfDueLocked()
	case ConfigChange:
		kv.applyConfigLocked(c)
	case InstallShards:
		kv.applyInstallLocked(c)
	case DeleteShards:
		kv.applyDeleteLocked(c)
	case CollectDone:
		kv.applyCollectedLocked(c)
	}
	// No clerk's operation: a handler whose Start gave this index lost
	// its leadership (no operation has Seq 0).
	_, lost := kv.waiting.Applied(index, 0, 0, opResult{})
	kv.reportLostLocked(index, lost)
	kv.wakeReadersLocked()
	return kv.snapshotIfDueLocked()
}

// applyOpLocked applies a clerk's operation and answers its handler.
func (kv *ShardKV) applyOpLocked(index int, op Op) {
	r := kv.applyLocked(op)
	own, lost := kv.waiting.Applied(index, op.ClerkId, op.Seq, r)
	if own != nil {
		kv.ownTerm = max(kv.ownTerm, own.Term)
	}
	kv.reportLostLocked(index, lost)
}

// reportLostLocked logs the handlers whose index another entry took.
func (kv *ShardKV) reportLostLocked(index int, lost []*pending.Op[opResult]) {
	for _, p := range lost {
		kv.lg.Printf(dlog.Shard, "index %d holds another entry than clerk %d's #%d: leadership of term %d lost", index, p.Clerk, p.Seq, p.Term)
	}
}

// applyLocked applies op to its shard, once per clerk and Seq, if the group
// serves the shard at this point of the log; otherwise the clerk must ask
// the shard's group in a newer configuration.
func (kv *ShardKV) applyLocked(op Op) opResult {
	id := key2shard(op.Key)
	if !kv.servesLocked(id) {
		return opResult{err: ErrWrongGroup}
	}
	s := kv.shards[id]
	switch op.Kind {
	case opGet:
		return kv.getLocked(op.Key)
	case opPut, opAppend:
		if s.lastSeq[op.ClerkId] >= op.Seq {
			return opResult{err: OK}
		}
		if op.Kind == opPut {
			s.data[op.Key] = op.Value
		} else {
			s.data[op.Key] += op.Value
		}
		s.lastSeq[op.ClerkId] = op.Seq
		return opResult{err: OK}
	}
	return opResult{err: Err("unknown operation " + op.Kind)}
}

func (kv *ShardKV) wakeReadersLocked() {
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
// from it; they answer ErrWrongLeader, and the clerk's retry finds a Put
// or Append in the shard's table of applied operations.
func (kv *ShardKV) installSnapshot(index int, snap []byte) {
	kv.mu.Lock()
	defer kv.mu.Unlock()
	if index <= kv.applied {
		return
	}
	if _, err := kv.restore(snap); err != nil {
		panic(fmt.Sprintf("shardkv %d-%d: cannot decode the snapshot through %d: %v", kv.gid, kv.me, index, err))
	}
	kv.applied = index
	kv.lg.Printf(dlog.Shard, "installed snapshot through %d: config %d, shards %v", index, kv.cur.Num, kv.statesLocked())
	kv.waiting.SnapshotInstalled(index)
	kv.wakeReadersLocked()
}

// statesLocked lists the shards' states, for the log.
func (kv *ShardKV) statesLocked() []shardState {
	out := make([]shardState, len(kv.shards))
	for i, s := range kv.shards {
		out[i] = s.state
	}
	return out
}

// ---- leadership -------------------------------------------------------------

// watchLeadership answers the handlers waiting on a server that has lost
// its leadership, or moved to another term, since Start: their entries may
// be overwritten, and a leader of the new term may already hold the
// clerk's retry.
func (kv *ShardKV) watchLeadership() {
	pending.Watch(&kv.mu, kv.waiting, kv.rf.GetState, watchInterval, kv.done)
}

// flaw is a deliberate bug the suite must catch (flawed_test.go).
type flaw int

// flawNames are the names setFlaw knows.
var flawNames = map[string]flaw{"serve-before-arrival": serveBeforeArrival, "no-gc": noGC}

// setFlaw switches on the deliberate bug called name, for the suite's test
// that it catches it; it reports whether the name is known. The suite
// finds it by an interface assertion, so a server without it compiles.
func (kv *ShardKV) setFlaw(name string) bool {
	f, ok := flawNames[name]
	if ok {
		kv.mu.Lock()
		kv.flaw = f
		kv.mu.Unlock()
	}
	return ok
}

// settledIn reports whether the server is in configuration num with no
// shard in flight: the shard-move benchmark's finish line, found by an
// interface assertion as setFlaw is.
func (kv *ShardKV) settledIn(num int) bool {
	kv.mu.Lock()
	defer kv.mu.Unlock()
	return kv.cur.Num == num && kv.settledLocked()
}

const (
	noFlaw flaw = iota
	// serveBeforeArrival serves a shard as soon as the configuration gives
	// it to the group, before its data has arrived.
	serveBeforeArrival
	// noGC never deletes a shard's data once handed over.
	noGC
)
