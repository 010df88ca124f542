package shardkv

import (
	"time"

	"raftlab/labrpc"
	"raftlab/shardctrler"
)

// Clerk sends a client's operations to the group that serves each key's
// shard.
type Clerk struct {
	sm       *shardctrler.Clerk
	config   shardctrler.Config
	make_end func(string) *labrpc.ClientEnd
	// TODO: your fields
}

// MakeClerk makes a clerk that asks the controllers ctrlers for
// configurations and reaches a group's servers, by the names in a
// configuration, through make_end.
func MakeClerk(ctrlers []*labrpc.ClientEnd, make_end func(string) *labrpc.ClientEnd) *Clerk {
	ck := new(Clerk)
	ck.sm = shardctrler.MakeClerk(ctrlers)
	ck.make_end = make_end
	// TODO: initialize your fields
	return ck
}

// Get fetches the current value of key: "" if the key does not exist. It
// keeps trying until it succeeds, whatever the errors.
func (ck *Clerk) Get(key string) string {
	args := GetArgs{Key: key}
	for {
		shard := key2shard(key)
		gid := ck.config.Shards[shard]
		if servers, ok := ck.config.Groups[gid]; ok {
			for si := 0; si < len(servers); si++ {
				srv := ck.make_end(servers[si])
				var reply GetReply
				ok := srv.Call("ShardKV.Get", &args, &reply)
				// TODO: decide from ok and reply.Err whether the
				// operation is done, or which server or group to try next
				_, _ = ok, reply
			}
		}
		time.Sleep(100 * time.Millisecond)
		// ask the controller for the latest configuration
		ck.config = ck.sm.Query(-1)
	}
}

// PutAppend is shared by Put and Append; op is "Put" or "Append".
func (ck *Clerk) PutAppend(key string, value string, op string) {
	// TODO: like Get, with "ShardKV.PutAppend"
}

func (ck *Clerk) Put(key string, value string) {
	ck.PutAppend(key, value, "Put")
}

func (ck *Clerk) Append(key string, value string) {
	ck.PutAppend(key, value, "Append")
}
