package shardkv

import "raftlab/shardctrler"

// What clerks and servers say to each other, and what groups say to each
// other when a shard changes hands.

const (
	OK             = "OK"
	ErrNoKey       = "ErrNoKey"
	ErrWrongGroup  = "ErrWrongGroup"
	ErrWrongLeader = "ErrWrongLeader"
	// ErrNotReady: the group asked for a shard has not yet reached the
	// configuration the asker is in; ask again later.
	ErrNotReady = "ErrNotReady"
)

type Err string

// key2shard is the shard a key belongs to: its first byte mod NShards (0
// for the empty key).
func key2shard(key string) int {
	shard := 0
	if len(key) > 0 {
		shard = int(key[0])
	}
	return shard % shardctrler.NShards
}

// PutAppendArgs is a Put or an Append. ClerkId and Seq name the operation:
// a clerk makes one operation at a time and numbers them 1, 2, ...; each
// shard remembers the latest Seq it applied for each clerk, and that table
// moves with the shard, so an operation takes effect once even when its
// retry reaches the shard's next group.
type PutAppendArgs struct {
	Key     string
	Value   string
	ClerkId int64
	Seq     int64
}

type PutAppendReply struct {
	Err Err
}

// GetArgs carry the clerk's name and number too: a Get that goes through
// the log is recognized by them when it is applied.
type GetArgs struct {
	Key     string
	ClerkId int64
	Seq     int64
}

type GetReply struct {
	Err   Err
	Value string
}

// PullArgs asks the group that owned Shards in configuration ConfigNum-1
// for their data, as of configuration ConfigNum, in which they moved to
// the asker.
type PullArgs struct {
	ConfigNum int
	Shards    []int
}

type PullReply struct {
	Err    Err
	Shards []ShardData
}

// DeleteArgs tells the group that handed Shards over in configuration
// ConfigNum that the receiver has them: it may delete its copy.
type DeleteArgs struct {
	ConfigNum int
	Shards    []int
}

type DeleteReply struct {
	Err Err
}
