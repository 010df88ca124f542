package shardctrler

import (
	"sync"

	"raftlab/labgob"
	"raftlab/labrpc"
	"raftlab/raft"
)

// ShardCtrler is one replica of the shard controller. The tests read its
// rf field (keep the name) and call only Kill on a server they crash.
type ShardCtrler struct {
	mu      sync.Mutex
	me      int
	rf      *raft.Raft
	applyCh chan raft.ApplyMsg

	configs []Config // indexed by config num

	// TODO: your state
}

// Op is what a server hands to Raft. Field names must start with capital
// letters.
type Op struct {
	// TODO: what an operation carries
}

func (sc *ShardCtrler) Join(args *JoinArgs, reply *JoinReply) {
	// TODO: put the operation through Raft; answer once it is applied
}

func (sc *ShardCtrler) Leave(args *LeaveArgs, reply *LeaveReply) {
	// TODO: put the operation through Raft; answer once it is applied
}

func (sc *ShardCtrler) Move(args *MoveArgs, reply *MoveReply) {
	// TODO: put the operation through Raft; answer once it is applied
}

func (sc *ShardCtrler) Query(args *QueryArgs, reply *QueryReply) {
	// TODO: put the operation through Raft; answer once it is applied
}

// Kill stops the server and its Raft. The tests call it when they are done
// with a server.
func (sc *ShardCtrler) Kill() {
	sc.rf.Kill()
	// TODO: stop your goroutines, if they need it
}

// Raft is needed by the shardkv tester.
func (sc *ShardCtrler) Raft() *raft.Raft {
	return sc.rf
}

// StartServer starts server me of servers. It must return quickly,
// starting goroutines for any long-running work.
func StartServer(servers []*labrpc.ClientEnd, me int, persister *raft.Persister) *ShardCtrler {
	sc := new(ShardCtrler)
	sc.me = me

	sc.configs = make([]Config, 1)
	sc.configs[0].Groups = map[int][]string{}

	// Types that travel inside an interface (Op, in Raft's log entries)
	// must be registered with labgob.
	labgob.Register(Op{})
	sc.applyCh = make(chan raft.ApplyMsg)
	sc.rf = raft.Make(servers, me, persister, sc.applyCh)

	// TODO: your code here

	return sc
}
