package kvraft

// What the clerk and the servers say to each other.

const (
	OK             = "OK"
	ErrNoKey       = "ErrNoKey"
	ErrWrongLeader = "ErrWrongLeader"
)

type Err string

// PutAppendArgs is a Put or an Append. ClerkId and Seq name the operation:
// a clerk makes one operation at a time and numbers them 1, 2, ..., so a
// server that has applied Seq for ClerkId knows that every earlier request
// of that clerk, a retry or a duplicate of one arriving late, is done, and
// applies each operation once however often it is sent.
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
