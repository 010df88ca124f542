package shardkv

import (
	"time"

	"raftlab/labrpc"
	"raftlab/shardctrler"
)

// retryPause is how long a clerk waits before asking the controllers for a
// newer configuration: after the key's group said the shard is not its,
// or none of its servers could carry the operation out.
const retryPause = 100 * time.Millisecond

// Clerk sends a client's operations to the group that serves each key's
// shard, one operation at a time, and retries each until it is done.
type Clerk struct {
	sm      *shardctrler.Clerk
	config  shardctrler.Config
	makeEnd func(string) *labrpc.ClientEnd
	ends    map[string]*labrpc.ClientEnd // made once per server name
	leader  map[int]int                  // gid -> the server that answered last
	id      int64
	seq     int64 // the number of the latest operation
}

// MakeClerk makes a clerk that finds configurations with the controllers
// ctrlers and reaches a group's servers through make_end.
func MakeClerk(ctrlers []*labrpc.ClientEnd, make_end func(string) *labrpc.ClientEnd) *Clerk {
	return &Clerk{
		sm:      shardctrler.MakeClerk(ctrlers),
		makeEnd: make_end,
		ends:    map[string]*labrpc.ClientEnd{},
		leader:  map[int]int{},
		// Drawn from the end's seeded source, so that a run replays.
		id: ctrlers[0].Rand().Int64(),
	}
}

// Get returns the value of key, "" if it has none.
func (ck *Clerk) Get(key string) string {
	ck.seq++
	args := GetArgs{Key: key, ClerkId: ck.id, Seq: ck.seq}
	var value string
	ck.until(key, func(end *labrpc.ClientEnd) (Err, bool) {
		var reply GetReply
		if !end.Call("ShardKV.Get", &args, &reply) {
			return "", false
		}
		value = reply.Value
		return reply.Err, true
	})
	return value
}

// Put sets key to value.
func (ck *Clerk) Put(key, value string) { ck.putAppend("ShardKV.Put", key, value) }

// Append appends value to key's value (to "" if it has none).
func (ck *Clerk) Append(key, value string) { ck.putAppend("ShardKV.Append", key, value) }

func (ck *Clerk) putAppend(method, key, value string) {
	ck.seq++
	args := PutAppendArgs{Key: key, Value: value, ClerkId: ck.id, Seq: ck.seq}
	ck.until(key, func(end *labrpc.ClientEnd) (Err, bool) {
		var reply PutAppendReply
		if !end.Call(method, &args, &reply) {
			return "", false
		}
		return reply.Err, true
	})
}

// until sends the operation to the servers of the group that serves key's
// shard, the one that answered last first, until one carries it out; when
// the group says the shard is not its, or none of its servers can, the
// clerk pauses and fetches the latest configuration.
func (ck *Clerk) until(key string, try func(end *labrpc.ClientEnd) (Err, bool)) {
	if ck.config.Num == 0 {
		ck.config = ck.sm.Query(-1)
	}
	for {
		gid := ck.config.Shards[key2shard(key)]
		if servers, ok := ck.config.Groups[gid]; ok {
		group:
			for i := range servers {
				si := (ck.leader[gid] + i) % len(servers)
				err, ok := try(ck.end(servers[si]))
				switch {
				case ok && (err == OK || err == ErrNoKey):
					ck.leader[gid] = si
					return
				case ok && err == ErrWrongGroup:
					break group
				}
			}
		}
		time.Sleep(retryPause)
		ck.config = ck.sm.Query(-1)
	}
}

func (ck *Clerk) end(name string) *labrpc.ClientEnd {
	e, ok := ck.ends[name]
	if !ok {
		e = ck.makeEnd(name)
		ck.ends[name] = e
	}
	return e
}
