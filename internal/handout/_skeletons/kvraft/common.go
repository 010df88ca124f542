package kvraft

// What the clerk and the servers say to each other. The tests use the
// names below; add fields (they must start with capital letters).

const (
	OK             = "OK"
	ErrNoKey       = "ErrNoKey"
	ErrWrongLeader = "ErrWrongLeader"
)

type Err string

// PutAppendArgs is the request of a Put or an Append.
type PutAppendArgs struct {
	Key   string
	Value string
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
