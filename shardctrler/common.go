package shardctrler

// What the controller's clerk and servers say to each other, and the
// configuration they agree on.

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

// clone returns a copy of c that shares no memory with it, so that a
// configuration handed out or changed leaves the server's history alone.
func (c Config) clone() Config {
	out := Config{Num: c.Num, Shards: c.Shards, Groups: make(map[int][]string, len(c.Groups))}
	for gid, servers := range c.Groups {
		out.Groups[gid] = append([]string(nil), servers...)
	}
	return out
}

const (
	OK             = "OK"
	ErrWrongLeader = "ErrWrongLeader"
)

type Err string

// ClerkId and Seq name an operation: a clerk makes one at a time and
// numbers them 1, 2, ..., so a server that has applied Seq for ClerkId
// applies no retry or late duplicate of it, or of an earlier one, again.

type JoinArgs struct {
	Servers map[int][]string // new gid -> servers
	ClerkId int64
	Seq     int64
}

type JoinReply struct {
	WrongLeader bool
	Err         Err
}

type LeaveArgs struct {
	GIDs    []int
	ClerkId int64
	Seq     int64
}

type LeaveReply struct {
	WrongLeader bool
	Err         Err
}

type MoveArgs struct {
	Shard   int
	GID     int
	ClerkId int64
	Seq     int64
}

type MoveReply struct {
	WrongLeader bool
	Err         Err
}

type QueryArgs struct {
	Num     int // desired config number; -1 or beyond the latest: the latest
	ClerkId int64
	Seq     int64
}

type QueryReply struct {
	WrongLeader bool
	Err         Err
	Config      Config
}
