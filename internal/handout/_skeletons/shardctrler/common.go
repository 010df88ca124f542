package shardctrler

// What the controller's clerk and servers say to each other, and the
// configuration they agree on. The tests use the names below; add fields
// (they must start with capital letters).

// NShards is the number of shards.
const NShards = 10

// Config is one configuration: which replica group serves each shard, and
// the servers of each group. Config 0 has no groups and every shard on
// gid 0, the invalid gid.
type Config struct {
	Num    int              // config number
	Shards [NShards]int     // shard -> gid
	Groups map[int][]string // gid -> servers
}

const (
	OK             = "OK"
	ErrWrongLeader = "ErrWrongLeader"
)

type Err string

type JoinArgs struct {
	Servers map[int][]string // new gid -> servers
	// TODO: your fields
}

type JoinReply struct {
	WrongLeader bool
	Err         Err
}

type LeaveArgs struct {
	GIDs []int
	// TODO: your fields
}

type LeaveReply struct {
	WrongLeader bool
	Err         Err
}

type MoveArgs struct {
	Shard int
	GID   int
	// TODO: your fields
}

type MoveReply struct {
	WrongLeader bool
	Err         Err
}

type QueryArgs struct {
	Num int // desired config number; -1 or beyond the latest: the latest
	// TODO: your fields
}

type QueryReply struct {
	WrongLeader bool
	Err         Err
	Config      Config
}
