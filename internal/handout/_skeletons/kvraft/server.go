package kvraft

import (
	"log"
	"sync"
	"sync/atomic"

	"raftlab/labgob"
	"raftlab/labrpc"
	"raftlab/raft"
)

// Debug turns DPrintf's output on.
const Debug = false

func DPrintf(format string, a ...interface{}) (n int, err error) {
	if Debug {
		log.Printf(format, a...)
	}
	return
}

// Op is what a server hands to Raft. Field names must start with capital
// letters.
type Op struct {
	// TODO: what an operation carries
}

// KVServer is one replica of the service. The tests read its rf field
// (keep the name) and call only Kill on a server they crash.
type KVServer struct {
	mu      sync.Mutex
	me      int
	rf      *raft.Raft
	applyCh chan raft.ApplyMsg
	dead    int32 // set by Kill()

	maxraftstate int // snapshot when the Raft state reaches this many bytes (-1: never)

	// TODO: your state
}

func (kv *KVServer) Get(args *GetArgs, reply *GetReply) {
	// TODO: put the operation through Raft; answer once it is applied
}

func (kv *KVServer) Put(args *PutAppendArgs, reply *PutAppendReply) {
	// TODO: put the operation through Raft; answer once it is applied
}

func (kv *KVServer) Append(args *PutAppendArgs, reply *PutAppendReply) {
	// TODO: put the operation through Raft; answer once it is applied
}

// Kill stops the server and its Raft. The tests call it when they are done
// with a server; check kv.killed() in long-running loops.
func (kv *KVServer) Kill() {
	atomic.StoreInt32(&kv.dead, 1)
	kv.rf.Kill()
	// TODO: stop your goroutines, if they need more than killed().
}

func (kv *KVServer) killed() bool {
	return atomic.LoadInt32(&kv.dead) == 1
}

// StartKVServer starts server me of servers (which, with their Rafts, talk
// through servers). The server saves its Raft state and snapshots through
// persister, and should snapshot when the Raft state reaches maxraftstate
// bytes (-1: never). It must return quickly, starting goroutines for any
// long-running work.
func StartKVServer(servers []*labrpc.ClientEnd, me int, persister *raft.Persister, maxraftstate int) *KVServer {
	// Types that travel inside an interface (Op, in Raft's log entries)
	// must be registered with labgob.
	labgob.Register(Op{})

	kv := new(KVServer)
	kv.me = me
	kv.maxraftstate = maxraftstate

	// TODO: your initialization

	kv.applyCh = make(chan raft.ApplyMsg)
	kv.rf = raft.Make(servers, me, persister, kv.applyCh)

	return kv
}
