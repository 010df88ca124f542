package kvraft

// The kvraft lab's glue to the shared harness: the servers are a
// cluster.Group of *KVServer, the clerks kvtest.Clerks, the workloads and
// the linearizability check kvtest's. The tests use nothing of the lab but
// its classic contract (StartKVServer, Kill, the field rf, MakeClerk, Get,
// Put, Append), so a student's server.go, client.go and common.go, on
// their own raft.go, compile and run against them.
//
// Kill. The harness calls only kv.Kill on a server it crashes, as the
// classic tester did; the classic skeleton's Kill kills kv.rf, and so does
// ours. The harness does not kill kv.rf a second time: our Raft would not
// mind, but a student's Kill may close a channel, and the classic tester
// never called it twice. A server whose Kill leaves its Raft running gets
// no worse than under the classic tester: the crashed Raft's ends are
// disabled and its Persister is a copy nobody reads; its goroutines are
// reported as leaks (failures with -strict).

import (
	"fmt"
	"math/rand/v2"
	"sync"

	"raftlab/labtest/cluster"
	"raftlab/labtest/kvtest"
)

// getRoute says how the servers serve Gets, for tests that compare the two.
type getRoute int

const (
	// getsAsServerChooses leaves it to the server (ours: ReadIndex when
	// the Raft offers it).
	getsAsServerChooses getRoute = iota
	// getsThroughLog switches a server that can (ours) to Gets through the
	// Raft log, as on a Raft without ReadIndex; others are left alone.
	getsThroughLog
)

// getRouting is our server's switch between the two routes, found by an
// interface assertion so that a server without it still compiles.
type getRouting interface {
	routeGetsThroughLog()
	routesGetsByReadIndex() bool
}

// setup describes a test's servers.
type setup struct {
	servers      int
	net          cluster.NetMode
	maxraftstate int // -1: never snapshot
	gets         getRoute
}

type config struct {
	*cluster.Group[*KVServer]
	w    *cluster.World
	s    setup
	hist *kvtest.History

	mu      sync.Mutex
	shuffle *rand.Rand // the order in which a clerk gets its servers
	clients int        // history ids handed out
}

// makeConfig starts the servers of s, all connected, on w's network.
func makeConfig(w *cluster.World, s setup) *config {
	cfg := &config{w: w, s: s, hist: kvtest.NewHistory(w), shuffle: w.H.NewRand("kvraft clerk servers")}
	cfg.Group = cluster.NewGroup(w, cluster.GroupSpec[*KVServer]{
		N: s.servers,
		Start: func(inc *cluster.Incarnation) (*KVServer, []any) {
			kv := StartKVServer(inc.Peers, inc.Me, inc.Persister, s.maxraftstate)
			if r, ok := any(kv).(getRouting); ok && s.gets == getsThroughLog {
				r.routeGetsThroughLog()
			}
			return kv, []any{kv, kv.rf}
		},
		Kill: (*KVServer).Kill,
		Raft: func(kv *KVServer) cluster.RaftState { return kv.rf },
	})
	w.SetNet(s.net)
	cfg.StartAll()
	return cfg
}

// newClerk makes a clerk on the client's ends to every server, shuffled as
// the classic tester shuffled them; it is kvtest's newClerk.
func (cfg *config) newClerk(c *cluster.Client) kvtest.Clerk {
	ends := c.EndsTo(cfg)
	cfg.mu.Lock()
	cfg.shuffle.Shuffle(len(ends), func(i, j int) { ends[i], ends[j] = ends[j], ends[i] })
	cfg.mu.Unlock()
	return MakeClerk(ends)
}

// clerk makes a clerk, its operations recorded in the config's history, on
// a new client that reaches only the servers listed (all when none is).
func (cfg *config) clerk(to ...int) kvtest.Clerk {
	ck, _ := cfg.clerkOn(to...)
	return ck
}

// clerkOn is clerk, with its client, for tests that move it.
func (cfg *config) clerkOn(to ...int) (kvtest.Clerk, *cluster.Client) {
	c := cfg.w.NewClient()
	ck := cfg.newClerk(c)
	if len(to) > 0 {
		c.ConnectOnly(cfg, to)
	}
	cfg.mu.Lock()
	id := cfg.clients
	cfg.clients++
	cfg.mu.Unlock()
	return cfg.hist.Record(id, ck), c
}

// genericRate is how many operations per virtual second the generic
// tests' clients make together: about what the classic tests' clients made
// on the wall clock, where the servers' CPU set the pace.
const genericRate = 100

// generic runs kvtest's generic workload, the classic GenericTest, on the
// config's servers, with the classic checks.
func (cfg *config) generic(title string, o kvtest.Options) {
	cfg.w.T().Helper()
	o.Net, o.MaxRaftState, o.History, o.Rate = cfg.s.net, cfg.s.maxraftstate, cfg.hist, genericRate
	cfg.begin(title)
	kvtest.Generic(cfg.w, cfg, cfg.newClerk, o) // checks the history
	if size := cfg.MaxSnapshotSize(); cfg.s.maxraftstate < 0 && size > 0 {
		cfg.w.Fatalf("a server persisted a snapshot of %d bytes, but maxraftstate = -1 means never snapshot", size)
	}
	cfg.report()
}

// begin names the measured part of a test; end checks the history and
// reports; report logs the cost and checks the budget.
func (cfg *config) begin(title string) { cfg.w.T().Helper(); cfg.w.Begin(title) }

func (cfg *config) end() {
	cfg.w.T().Helper()
	cfg.hist.Check(kvtest.CheckOptions{})
	cfg.report()
}

func (cfg *config) report() {
	cfg.w.T().Helper()
	cfg.w.H.Settle() // RPCs the last step started are counted, or not, by the seed alone
	detail := fmt.Sprintf(", %d peers", cfg.N())
	if n := cfg.hist.Len(); n > 0 { // kvtest's Speed and ConcurrentAppends keep their own
		detail += fmt.Sprintf(", %d ops", n)
	}
	cfg.w.End(detail)
}
