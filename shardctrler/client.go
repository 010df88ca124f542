package shardctrler

import (
	"time"

	"raftlab/labrpc"
)

// retryPause is how long a clerk waits after every server has failed it
// once: long enough not to flood servers that are electing a leader, short
// next to an election.
const retryPause = 20 * time.Millisecond

// Clerk sends a client's requests to the controller's servers, one at a
// time, and retries each until a leader has carried it out.
type Clerk struct {
	servers []*labrpc.ClientEnd
	id      int64
	seq     int64 // the number of the latest request
	leader  int   // the server that answered last: the likely leader
}

// MakeClerk makes a clerk of the servers, in any order.
func MakeClerk(servers []*labrpc.ClientEnd) *Clerk {
	// Drawn from the end's seeded source, rather than crypto/rand, so that
	// a test's run replays from its seed.
	return &Clerk{servers: servers, id: servers[0].Rand().Int64()}
}

// Query returns configuration num, or the latest one when num is -1 or
// beyond the latest.
func (ck *Clerk) Query(num int) Config {
	ck.seq++
	args := QueryArgs{Num: num, ClerkId: ck.id, Seq: ck.seq}
	var config Config
	ck.until(func(end *labrpc.ClientEnd) bool {
		var reply QueryReply
		if !end.Call("ShardCtrler.Query", &args, &reply) || reply.WrongLeader || reply.Err != OK {
			return false
		}
		config = reply.Config
		return true
	})
	return config
}

// Join adds the groups of servers (gid -> server names) and rebalances.
func (ck *Clerk) Join(servers map[int][]string) {
	ck.seq++
	args := JoinArgs{Servers: servers, ClerkId: ck.id, Seq: ck.seq}
	ck.until(func(end *labrpc.ClientEnd) bool {
		var reply JoinReply
		return end.Call("ShardCtrler.Join", &args, &reply) && !reply.WrongLeader && reply.Err == OK
	})
}

// Leave removes the groups gids and rebalances.
func (ck *Clerk) Leave(gids []int) {
	ck.seq++
	args := LeaveArgs{GIDs: gids, ClerkId: ck.id, Seq: ck.seq}
	ck.until(func(end *labrpc.ClientEnd) bool {
		var reply LeaveReply
		return end.Call("ShardCtrler.Leave", &args, &reply) && !reply.WrongLeader && reply.Err == OK
	})
}

// Move assigns shard to group gid, without rebalancing.
func (ck *Clerk) Move(shard int, gid int) {
	ck.seq++
	args := MoveArgs{Shard: shard, GID: gid, ClerkId: ck.id, Seq: ck.seq}
	ck.until(func(end *labrpc.ClientEnd) bool {
		var reply MoveReply
		return end.Call("ShardCtrler.Move", &args, &reply) && !reply.WrongLeader && reply.Err == OK
	})
}

// until tries the likely leader first, then each server in turn, until try
// succeeds, pausing after every round of failures.
func (ck *Clerk) until(try func(end *labrpc.ClientEnd) bool) {
	for failures := 1; ; failures++ {
		if try(ck.servers[ck.leader]) {
			return
		}
		ck.leader = (ck.leader + 1) % len(ck.servers)
		if failures%len(ck.servers) == 0 {
			time.Sleep(retryPause)
		}
	}
}
