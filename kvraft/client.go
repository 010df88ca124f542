package kvraft

import (
	"time"

	"raftlab/labrpc"
)

// retryPause is how long a clerk waits after every server has failed it
// once: long enough not to flood servers that are electing a leader, short
// next to an election.
const retryPause = 20 * time.Millisecond

// Clerk sends a client's operations to the servers, one at a time, and
// retries each until a leader has carried it out.
type Clerk struct {
	servers []*labrpc.ClientEnd
	id      int64
	seq     int64 // the number of the latest operation
	leader  int   // the server that answered last: the likely leader
}

// MakeClerk makes a clerk of the servers, in any order.
func MakeClerk(servers []*labrpc.ClientEnd) *Clerk {
	// The id must differ from every other clerk's. Drawing it from the
	// end's seeded source, rather than crypto/rand, keeps a test's run, byte
	// counts included, the same for the same seed.
	return &Clerk{servers: servers, id: servers[0].Rand().Int64()}
}

// Get returns the value of key, "" if it has none.
func (ck *Clerk) Get(key string) string {
	ck.seq++
	args := GetArgs{Key: key, ClerkId: ck.id, Seq: ck.seq}
	var value string
	ck.until(func(end *labrpc.ClientEnd) bool {
		var reply GetReply
		if !end.Call("KVServer.Get", &args, &reply) || (reply.Err != OK && reply.Err != ErrNoKey) {
			return false
		}
		value = reply.Value
		return true
	})
	return value
}

// Put sets key to value.
func (ck *Clerk) Put(key, value string) { ck.putAppend("KVServer.Put", key, value) }

// Append appends value to key's value (to "" if it has none).
func (ck *Clerk) Append(key, value string) { ck.putAppend("KVServer.Append", key, value) }

func (ck *Clerk) putAppend(method, key, value string) {
	ck.seq++
	args := PutAppendArgs{Key: key, Value: value, ClerkId: ck.id, Seq: ck.seq}
	ck.until(func(end *labrpc.ClientEnd) bool {
		var reply PutAppendReply
		return end.Call(method, &args, &reply) && reply.Err == OK
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
