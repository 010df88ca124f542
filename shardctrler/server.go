package shardctrler

import (
	"sync"
	"sync/atomic"
	"time"

	"raftlab/dlog"
	"raftlab/internal/pending"
	"raftlab/labgob"
	"raftlab/labrpc"
	"raftlab/raft"
	"raftlab/shardctrler/balance"
)

// The server. Every request, Queries included, goes through the Raft log;
// every server applies the log in order to its own list of
// configurations, and rebalances with balance.Rebalance, which depends on
// nothing but the log, so the lists are the same on every server. Only
// the leader answers; a Join, Leave or Move a server has applied already
// is answered at once, whoever leads.
//
// The waiting is kvraft's (package pending): a handler registers before
// Start, is answered by the applier when its operation is applied, and
// gives up (WrongLeader, the clerk retries elsewhere) when another
// operation lands at its index, when the watcher sees the term change or
// the leadership go, or after opTimeout. mu is never held while calling
// into the Raft.

const (
	// opTimeout bounds a handler's wait for its operation.
	opTimeout = 500 * time.Millisecond
	// watchInterval is how often the watcher polls GetState while handlers wait.
	watchInterval = 20 * time.Millisecond
)

// The kinds of Op.
const (
	opJoin  = "Join"
	opLeave = "Leave"
	opMove  = "Move"
	opQuery = "Query"
)

// Op is a clerk's request as it travels through the Raft log.
type Op struct {
	Kind    string
	Servers map[int][]string // Join
	GIDs    []int            // Leave
	Shard   int              // Move
	GID     int              // Move
	Num     int              // Query
	ClerkId int64
	Seq     int64
}

type opResult struct {
	wrongLeader bool
	config      Config // a Query's, a copy of the server's
}

var wrongLeader = opResult{wrongLeader: true}

type ShardCtrler struct {
	me   int
	rf   *raft.Raft
	lg   *dlog.Logger
	dead atomic.Bool
	done chan struct{} // closed by Kill

	applyCh chan raft.ApplyMsg

	mu      sync.Mutex
	configs []Config        // indexed by config num
	lastSeq map[int64]int64 // clerk -> the Seq of its latest Join, Leave or Move applied
	applied int             // the index of the latest entry applied
	waiting *pending.Table[opResult]

	// rebalance computes a Join's or Leave's shards: balance.Rebalance,
	// unless a test swapped in a flawed one (setRebalance).
	rebalance func(shards []int, groups map[int][]string) []int
}

// StartServer starts server me of the controller's servers, restoring it
// from persister, and returns at once.
func StartServer(servers []*labrpc.ClientEnd, me int, persister *raft.Persister) *ShardCtrler {
	labgob.Register(Op{})
	sc := &ShardCtrler{
		me:        me,
		lg:        servers[me].Logger(),
		done:      make(chan struct{}),
		applyCh:   make(chan raft.ApplyMsg),
		configs:   []Config{{Groups: map[int][]string{}}},
		lastSeq:   map[int64]int64{},
		waiting:   pending.NewTable(wrongLeader),
		rebalance: balance.Rebalance[[]string],
	}
	sc.rf = raft.Make(servers, me, persister, sc.applyCh)
	go sc.applier()
	go sc.watchLeadership()
	return sc
}

// Kill stops the server and its Raft.
func (sc *ShardCtrler) Kill() {
	if sc.dead.Swap(true) {
		return
	}
	sc.rf.Kill()
	close(sc.done)
}

// Raft returns the server's Raft, for the tester.
func (sc *ShardCtrler) Raft() *raft.Raft { return sc.rf }

// ---- RPC handlers -------------------------------------------------------

func (sc *ShardCtrler) Join(args *JoinArgs, reply *JoinReply) {
	reply.WrongLeader, reply.Err = sc.change(Op{Kind: opJoin, Servers: args.Servers, ClerkId: args.ClerkId, Seq: args.Seq})
}

func (sc *ShardCtrler) Leave(args *LeaveArgs, reply *LeaveReply) {
	reply.WrongLeader, reply.Err = sc.change(Op{Kind: opLeave, GIDs: args.GIDs, ClerkId: args.ClerkId, Seq: args.Seq})
}

func (sc *ShardCtrler) Move(args *MoveArgs, reply *MoveReply) {
	reply.WrongLeader, reply.Err = sc.change(Op{Kind: opMove, Shard: args.Shard, GID: args.GID, ClerkId: args.ClerkId, Seq: args.Seq})
}

func (sc *ShardCtrler) Query(args *QueryArgs, reply *QueryReply) {
	r := sc.propose(Op{Kind: opQuery, Num: args.Num, ClerkId: args.ClerkId, Seq: args.Seq})
	reply.WrongLeader, reply.Err, reply.Config = r.wrongLeader, errOf(r), r.config
}

func errOf(r opResult) Err {
	if r.wrongLeader {
		return ErrWrongLeader
	}
	return OK
}

// change carries out a Join, Leave or Move, once: one this server has
// applied already is done, and answered at once.
func (sc *ShardCtrler) change(op Op) (bool, Err) {
	sc.mu.Lock()
	applied := sc.lastSeq[op.ClerkId] >= op.Seq
	sc.mu.Unlock()
	if applied {
		return false, OK
	}
	r := sc.propose(op)
	return r.wrongLeader, errOf(r)
}

// propose puts op through the log and waits for its result.
func (sc *ShardCtrler) propose(op Op) opResult {
	if sc.dead.Load() {
		return wrongLeader
	}
	return pending.Propose(&sc.mu, sc.waiting, op.ClerkId, op.Seq,
		func() (int, int, bool) { return sc.rf.Start(op) },
		func() int { return sc.applied }, opTimeout, sc.done)
}

// ---- applying the log -----------------------------------------------------

func (sc *ShardCtrler) applier() {
	for {
		var msg raft.ApplyMsg
		select {
		case msg = <-sc.applyCh:
		case <-sc.done:
			return
		}
		if msg.CommandValid {
			sc.applyCommand(msg.CommandIndex, msg.Command)
		}
		// No snapshots: the controller's state is small and the classic
		// tests give it no maxraftstate, so its Raft never sends one.
	}
}

func (sc *ShardCtrler) applyCommand(index int, command any) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if index <= sc.applied {
		return
	}
	sc.applied = index
	op, isOp := command.(Op)
	if !isOp {
		return
	}
	r := sc.applyLocked(op)
	_, lost := sc.waiting.Applied(index, op.ClerkId, op.Seq, r)
	for _, p := range lost {
		sc.lg.Printf(dlog.Config, "index %d holds another operation than clerk %d's #%d: leadership of term %d lost", index, p.Clerk, p.Seq, p.Term)
	}
}

// applyLocked applies op: a Join, Leave or Move once per clerk and Seq,
// each making a new configuration.
func (sc *ShardCtrler) applyLocked(op Op) opResult {
	latest := sc.configs[len(sc.configs)-1]
	if op.Kind == opQuery {
		if op.Num < 0 || op.Num >= len(sc.configs) {
			return opResult{config: latest.clone()}
		}
		return opResult{config: sc.configs[op.Num].clone()}
	}
	if sc.lastSeq[op.ClerkId] >= op.Seq {
		return opResult{}
	}
	sc.lastSeq[op.ClerkId] = op.Seq
	next := latest.clone()
	next.Num++
	switch op.Kind {
	case opJoin:
		for gid, servers := range op.Servers {
			next.Groups[gid] = append([]string(nil), servers...)
		}
		next.Shards = [NShards]int(sc.rebalance(next.Shards[:], next.Groups))
	case opLeave:
		for _, gid := range op.GIDs {
			delete(next.Groups, gid)
		}
		next.Shards = [NShards]int(sc.rebalance(next.Shards[:], next.Groups))
	case opMove:
		// A Move to a shard or group that does not exist would leave a
		// configuration no group can serve: it changes nothing.
		if _, ok := next.Groups[op.GID]; !ok || op.Shard < 0 || op.Shard >= NShards {
			sc.lg.Printf(dlog.Config, "ignored Move(%d, %d): no such shard or group", op.Shard, op.GID)
			return opResult{}
		}
		next.Shards[op.Shard] = op.GID
	default:
		return opResult{}
	}
	sc.configs = append(sc.configs, next)
	sc.lg.Printf(dlog.Config, "config %d: %v", next.Num, next.Shards)
	return opResult{}
}

// ---- leadership -------------------------------------------------------------

// watchLeadership answers the handlers waiting on a server that has lost
// its leadership, or moved to another term, since Start.
func (sc *ShardCtrler) watchLeadership() {
	pending.Watch(&sc.mu, sc.waiting, sc.rf.GetState, watchInterval, sc.done)
}

// ---- the tests' switch to a flawed rebalance ----------------------------------

// setRebalance makes the server rebalance with f instead of
// balance.Rebalance: the flawed-variant tests check that the suite fails
// a rebalance that is not deterministic or not minimal. Found by an
// interface assertion, so the suite also compiles with a server without it.
func (sc *ShardCtrler) setRebalance(f func(shards []int, groups map[int][]string) []int) {
	sc.mu.Lock()
	sc.rebalance = f
	sc.mu.Unlock()
}
