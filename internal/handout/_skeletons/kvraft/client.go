package kvraft

import "raftlab/labrpc"

// Clerk is a client of the key/value service.
type Clerk struct {
	servers []*labrpc.ClientEnd
	// TODO: your fields
}

// MakeClerk makes a clerk of the servers, which arrive in random order.
func MakeClerk(servers []*labrpc.ClientEnd) *Clerk {
	ck := new(Clerk)
	ck.servers = servers
	// TODO: initialize your fields
	return ck
}

// Get fetches the current value of key: "" if the key does not exist. It
// keeps trying until it succeeds, whatever the errors.
//
// Send an RPC with code like this:
//
//	ok := ck.servers[i].Call("KVServer.Get", &args, &reply)
//
// args and reply must be pointers, of the types the handler declares.
func (ck *Clerk) Get(key string) string {
	// TODO: ask the servers until one answers
	return ""
}

// PutAppend is shared by Put and Append; op is "Put" or "Append". Reach
// the handlers as "KVServer.Put" and "KVServer.Append".
func (ck *Clerk) PutAppend(key string, value string, op string) {
	// TODO: ask the servers until one has done it
}

func (ck *Clerk) Put(key string, value string) {
	ck.PutAppend(key, value, "Put")
}

func (ck *Clerk) Append(key string, value string) {
	ck.PutAppend(key, value, "Append")
}
