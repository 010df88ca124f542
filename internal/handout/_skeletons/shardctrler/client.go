package shardctrler

import "raftlab/labrpc"

// Clerk is a client of the shard controller.
type Clerk struct {
	servers []*labrpc.ClientEnd
	// TODO: your fields
}

// MakeClerk makes a clerk of the controller's servers.
func MakeClerk(servers []*labrpc.ClientEnd) *Clerk {
	ck := new(Clerk)
	ck.servers = servers
	// TODO: initialize your fields
	return ck
}

// Query returns configuration num; -1, or a number beyond the latest,
// asks for the latest. It keeps trying until a server answers.
//
// Send an RPC with code like this:
//
//	ok := ck.servers[i].Call("ShardCtrler.Query", &args, &reply)
func (ck *Clerk) Query(num int) Config {
	// TODO: ask the servers until the leader answers
	return Config{}
}

// Join adds the replica groups of servers (gid -> server names).
func (ck *Clerk) Join(servers map[int][]string) {
	// TODO: ask the servers until the leader has done it
}

// Leave removes the replica groups gids.
func (ck *Clerk) Leave(gids []int) {
	// TODO: ask the servers until the leader has done it
}

// Move assigns shard to replica group gid.
func (ck *Clerk) Move(shard int, gid int) {
	// TODO: ask the servers until the leader has done it
}
