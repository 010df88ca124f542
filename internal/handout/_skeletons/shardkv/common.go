package shardkv

import "raftlab/shardctrler"

// What clerks and servers say to each other. The tests use the names
// below and call key2shard; add fields (they must start with capital
// letters) and the RPCs that move shards between groups.

const (
	OK             = "OK"
	ErrNoKey       = "ErrNoKey"
	ErrWrongGroup  = "ErrWrongGroup"
	ErrWrongLeader = "ErrWrongLeader"
)

type Err string

// key2shard is the shard a key belongs to: its first byte mod NShards (0
// for the empty key). The tests call it; keep it as it is.
func key2shard(key string) int {
	shard := 0
	if len(key) > 0 {
		shard = int(key[0])
	}
	return shard % shardctrler.NShards
}

// PutAppendArgs is a Put or an Append.
type PutAppendArgs struct {
	Key   string
	Value string
	Op    string // "Put" or "Append"
	// TODO: your fields
}

type PutAppendReply struct {
	Err Err
}

type GetArgs struct {
	Key string
	// TODO: your fields
}

type GetReply struct {
	Err   Err
	Value string
}
