package shardkv

import (
	"sync"

	"raftlab/labgob"
	"raftlab/labrpc"
	"raftlab/raft"
)

// Op is what a server hands to Raft. Field names must start with capital
// letters.
type Op struct {
	// TODO: what an operation carries
}

// ShardKV is one server of a replica group. The tests read its rf field
// (keep the name) and call only Kill on a server they crash.
type ShardKV struct {
	mu           sync.Mutex
	me           int
	rf           *raft.Raft
	applyCh      chan raft.ApplyMsg
	make_end     func(string) *labrpc.ClientEnd
	gid          int
	ctrlers      []*labrpc.ClientEnd
	maxraftstate int // snapshot when the Raft state reaches this many bytes (-1: never)

	// TODO: your state
}

func (kv *ShardKV) Get(args *GetArgs, reply *GetReply) {
	// TODO: put the operation through Raft; answer once it is applied
}

func (kv *ShardKV) PutAppend(args *PutAppendArgs, reply *PutAppendReply) {
	// TODO: put the operation through Raft; answer once it is applied
}

// Kill stops the server and its Raft. The tests call it when they are done
// with a server.
func (kv *ShardKV) Kill() {
	kv.rf.Kill()
	// TODO: stop your goroutines, if they need it
}

// StartServer starts server me of the replica group gid, whose servers
// (with their Rafts) talk through servers. The server saves its Raft state
// and snapshots through persister, and should snapshot when the Raft state
// reaches maxraftstate bytes (-1: never). ctrlers are the shard
// controller's servers (make a shardctrler.Clerk of them to learn the
// configurations); make_end turns a server name from a configuration's
// Groups into an end to call. It must return quickly, starting goroutines
// for any long-running work.
func StartServer(servers []*labrpc.ClientEnd, me int, persister *raft.Persister, maxraftstate int, gid int, ctrlers []*labrpc.ClientEnd, make_end func(string) *labrpc.ClientEnd) *ShardKV {
	// Types that travel inside an interface (Op, in Raft's log entries)
	// must be registered with labgob.
	labgob.Register(Op{})

	kv := new(ShardKV)
	kv.me = me
	kv.maxraftstate = maxraftstate
	kv.make_end = make_end
	kv.gid = gid
	kv.ctrlers = ctrlers

	// TODO: your initialization

	kv.applyCh = make(chan raft.ApplyMsg)
	kv.rf = raft.Make(servers, me, persister, kv.applyCh)

	return kv
}
