package kvtest

import (
	"bytes"
	"encoding/gob"
	"sync"
	"time"

	"raftlab/labrpc"
	"raftlab/labtest/cluster"
	"raftlab/persist"
)

// The package is tested against a tiny key/value service that needs no
// Raft: one server holding a map, persisted on every write so that it
// survives crashes, and a clerk that retries until the server answers. Its
// flaws are switched on to show that the checks catch them.

type GetArgs struct{ Key string }
type GetReply struct{ Value string }

// PutAppendArgs carry the clerk's name and sequence number, so that a
// request retried after a lost reply is not applied twice.
type PutAppendArgs struct {
	Key, Value string
	Clerk      string
	Seq        int
}
type PutAppendReply struct{}

// flaw is a deliberate bug of the map server.
type flaw int

const (
	noFlaw flaw = iota
	// staleReads answers every third Get of a key with the value it had
	// before its latest write: a read that any recent writer can see go
	// back in time.
	staleReads
	// slowWrites makes every Put and Append take 50 ms, as a service that
	// waits for the next heartbeat would.
	slowWrites
)

// mapState is what the server persists.
type mapState struct {
	Data    map[string]string
	Applied map[string]int // clerk -> the sequence number of its latest write
}

type mapServer struct {
	flaw      flaw
	persister *persist.Persister

	mu     sync.Mutex
	state  mapState
	before map[string]string // each key's value before its latest write
	reads  map[string]int
}

func startMapServer(inc *cluster.Incarnation, f flaw) *mapServer {
	s := &mapServer{
		flaw:      f,
		persister: inc.Persister,
		state:     mapState{Data: map[string]string{}, Applied: map[string]int{}},
		before:    map[string]string{},
		reads:     map[string]int{},
	}
	if b := inc.Persister.ReadRaftState(); len(b) > 0 {
		if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&s.state); err != nil {
			panic(err)
		}
	}
	return s
}

// requestTime is how long the server takes over a request, as a
// replicated service takes an agreement: phases of virtual seconds then
// make hundreds of operations per client, not tens of thousands.
const requestTime = 2 * time.Millisecond

func (s *mapServer) Get(args *GetArgs, reply *GetReply) {
	time.Sleep(requestTime)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads[args.Key]++
	if old, ok := s.before[args.Key]; ok && s.flaw == staleReads && s.reads[args.Key]%3 == 0 {
		reply.Value = old
		return
	}
	reply.Value = s.state.Data[args.Key]
}

func (s *mapServer) Put(args *PutAppendArgs, reply *PutAppendReply) {
	s.write(args, func(old string) string { return args.Value })
}

func (s *mapServer) Append(args *PutAppendArgs, reply *PutAppendReply) {
	s.write(args, func(old string) string { return old + args.Value })
}

func (s *mapServer) write(args *PutAppendArgs, next func(old string) string) {
	time.Sleep(requestTime)
	if s.flaw == slowWrites {
		time.Sleep(50 * time.Millisecond)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state.Applied[args.Clerk] >= args.Seq {
		return
	}
	s.before[args.Key] = s.state.Data[args.Key]
	s.state.Data[args.Key] = next(s.state.Data[args.Key])
	s.state.Applied[args.Clerk] = args.Seq
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(s.state); err != nil {
		panic(err)
	}
	s.persister.Save(b.Bytes(), nil)
}

func (s *mapServer) Kill() {}

// mapGroup is a one-server group of map servers with flaw f, started.
func mapGroup(w *cluster.World, f flaw) *cluster.Group[*mapServer] {
	g := cluster.NewGroup(w, cluster.GroupSpec[*mapServer]{
		N: 1,
		Start: func(inc *cluster.Incarnation) (*mapServer, []any) {
			s := startMapServer(inc, f)
			return s, []any{s}
		},
		Kill: (*mapServer).Kill,
	})
	g.StartAll()
	return g
}

// mapClerk calls server 0 of its group until a call gets through.
type mapClerk struct {
	end  *labrpc.ClientEnd
	name string
	seq  int
}

// mapClerks returns the newClerk of the workloads for g.
func mapClerks(g cluster.Servers) func(c *cluster.Client) Clerk {
	return func(c *cluster.Client) Clerk { return &mapClerk{end: c.EndsTo(g)[0], name: c.Name} }
}

const retryPause = 10 * time.Millisecond

func (c *mapClerk) Get(key string) string {
	for {
		var reply GetReply
		if c.end.Call("mapServer.Get", &GetArgs{Key: key}, &reply) {
			return reply.Value
		}
		time.Sleep(retryPause)
	}
}

func (c *mapClerk) Put(key, value string)    { c.write("mapServer.Put", key, value) }
func (c *mapClerk) Append(key, value string) { c.write("mapServer.Append", key, value) }

func (c *mapClerk) write(method, key, value string) {
	c.seq++
	args := &PutAppendArgs{Key: key, Value: value, Clerk: c.name, Seq: c.seq}
	for !c.end.Call(method, args, &PutAppendReply{}) {
		time.Sleep(retryPause)
	}
}
