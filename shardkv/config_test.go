package shardkv

// The shardkv lab's glue to the shared harness: a controller group of
// three (our shardctrler, or a student's) and three shardkv groups of three,
// gids 100, 101 and 102, servers named "server-<gid>-<i>"; the clerks are
// kvtest.Clerks recorded in one history per test. The tests use nothing of
// the lab but its classic contract (StartServer, Kill, the field rf,
// MakeClerk, Get, Put, Append, key2shard), so a student's server.go,
// client.go and common.go, on their own raft.go and shardctrler, compile
// and run against them. The harness kills a crashed server with Kill only,
// as kvraft's glue explains.
//
// Every test ends in two checks of everything its clerks saw: the history
// is linearizable (an Unknown verdict fails too), and each shard was served
// by one group at a time (ownership.go).

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"

	"raftlab/labtest/cluster"
	"raftlab/labtest/kvtest"
	"raftlab/shardctrler"
)

const (
	nCtrlers = 3
	nGroups  = 3
	nServers = 3 // per group
	firstGid = 100
)

// callWait is how long, in virtual time, a clerk call may take where the
// lab's rules promise it completes: with every group that owns or holds
// the key's shard up, each able to elect (a slow Raft takes up to five
// seconds), and shards a few hops away. Generous, as it costs nothing
// unless the test fails.
const callWait = 30 * time.Second

// setup describes a test's servers.
type setup struct {
	net          cluster.NetMode
	maxraftstate int    // -1: never snapshot
	flaw         string // a deliberate bug of our server (flawed_test.go); "" for none
}

type config struct {
	w      *cluster.World
	s      setup
	ctrl   *cluster.Group[*shardctrler.ShardCtrler]
	groups []*cluster.Group[*ShardKV]
	hist   *kvtest.History
	owners *ownership

	mck *shardctrler.Clerk // the test's own controller clerk, test goroutine only
	t0  time.Time

	mu      sync.Mutex
	shuffle *rand.Rand
	clients int
}

func gidOf(gi int) int { return firstGid + gi }

// makeConfig starts the controllers and every shardkv group, all connected,
// no group joined yet.
func makeConfig(w *cluster.World, s setup) *config {
	if s.flaw == "" {
		s.flaw = os.Getenv(shardFlawEnv)
	}
	cfg := &config{w: w, s: s, t0: time.Now(), hist: kvtest.NewHistory(w), shuffle: w.H.NewRand("shardkv clerk controllers")}
	cfg.owners = newOwnership(cfg)
	cfg.ctrl = cluster.NewGroup(w, cluster.GroupSpec[*shardctrler.ShardCtrler]{
		Prefix: "ctrler-",
		N:      nCtrlers,
		Start: func(inc *cluster.Incarnation) (*shardctrler.ShardCtrler, []any) {
			sc := shardctrler.StartServer(inc.Peers, inc.Me, inc.Persister)
			return sc, []any{sc, sc.Raft()}
		},
		Kill: (*shardctrler.ShardCtrler).Kill,
		Raft: func(sc *shardctrler.ShardCtrler) cluster.RaftState { return sc.Raft() },
	})
	for gi := 0; gi < nGroups; gi++ {
		gid := gidOf(gi)
		cfg.groups = append(cfg.groups, cluster.NewGroup(w, cluster.GroupSpec[*ShardKV]{
			Prefix: fmt.Sprintf("server-%d-", gid),
			N:      nServers,
			Start: func(inc *cluster.Incarnation) (*ShardKV, []any) {
				kv := StartServer(inc.Peers, inc.Me, inc.Persister, s.maxraftstate, gid, inc.EndsTo(cfg.ctrl), inc.MakeEnd)
				if s.flaw != "" {
					if f, ok := any(kv).(flawed); !ok || !f.setFlaw(s.flaw) {
						w.Report(fmt.Errorf("%s=%q: this server has no such deliberate bug (ours has serve-before-arrival and no-gc)", shardFlawEnv, s.flaw))
					}
				}
				return kv, []any{kv, kv.rf}
			},
			Kill: (*ShardKV).Kill,
			Raft: func(kv *ShardKV) cluster.RaftState { return kv.rf },
		}))
	}
	w.SetNet(s.net)
	cfg.ctrl.StartAll()
	for _, g := range cfg.groups {
		g.StartAll()
	}
	cfg.mck = shardctrler.MakeClerk(w.NewClient().EndsTo(cfg.ctrl))
	return cfg
}

// flawed is our server's switch to a deliberate bug (flawed_test.go), found
// by an interface assertion so that a student's server, without it,
// compiles.
type flawed interface{ setFlaw(name string) bool }

// ---- configuration changes ------------------------------------------------

// join adds groups gis (indexes 0..2) in one Join, as the classic joinm.
func (cfg *config) join(gis ...int) {
	servers := map[int][]string{}
	var gids []int
	for _, gi := range gis {
		servers[gidOf(gi)] = cfg.groups[gi].ServerNames()
		gids = append(gids, gidOf(gi))
	}
	latest := cfg.reconfigure(fmt.Sprintf("join %v", gids), func() { cfg.mck.Join(servers) })
	cfg.checkJoinedLeft(latest, gids, nil)
}

// leave removes groups gis in one Leave, as the classic leavem.
func (cfg *config) leave(gis ...int) {
	var gids []int
	for _, gi := range gis {
		gids = append(gids, gidOf(gi))
	}
	latest := cfg.reconfigure(fmt.Sprintf("leave %v", gids), func() { cfg.mck.Leave(gids) })
	cfg.checkJoinedLeft(latest, nil, gids)
}

// reconfigure makes a controller call, annotated in the timeline, and
// notes the configurations that may exist from its start on; it returns
// the latest configuration once the call is done.
func (cfg *config) reconfigure(what string, call func()) shardctrler.Config {
	cfg.w.T().Helper()
	cfg.w.Action("controller: %s", what)
	start := time.Now()
	cfg.within(what, call)
	latest := cfg.latestConfig()
	cfg.owners.configsBy(start, latest.Num)
	cfg.w.Action("controller: %s done: config %d, shards %v", what, latest.Num, latest.Shards)
	return latest
}

// checkJoinedLeft fails the test unless latest, the configuration after a
// Join or Leave, has
// every group of joined, each with a shard (the tests never have more
// groups than shards), and none of left. Without it a controller that
// ignores Join leaves some tests nothing to check: a test that looks at
// the shards a group was given would find none and pass.
func (cfg *config) checkJoinedLeft(latest shardctrler.Config, joined, left []int) {
	cfg.w.T().Helper()
	owns := func(gid int) int {
		n := 0
		for _, g := range latest.Shards {
			if g == gid {
				n++
			}
		}
		return n
	}
	for _, gid := range joined {
		if _, ok := latest.Groups[gid]; !ok || owns(gid) == 0 {
			cfg.w.Fatalf("controller: after group %d joined, the latest configuration (%d: shards %v, groups %v) does not give it a shard; these tests need a working shard controller (go test ./shardctrler)",
				gid, latest.Num, latest.Shards, slices.Sorted(maps.Keys(latest.Groups)))
		}
	}
	for _, gid := range left {
		if _, ok := latest.Groups[gid]; ok || owns(gid) > 0 {
			cfg.w.Fatalf("controller: after group %d left, the latest configuration (%d: shards %v, groups %v) still has it; these tests need a working shard controller (go test ./shardctrler)",
				gid, latest.Num, latest.Shards, slices.Sorted(maps.Keys(latest.Groups)))
		}
	}
}

// latestConfig asks the controllers for the latest configuration.
func (cfg *config) latestConfig() shardctrler.Config {
	cfg.w.T().Helper()
	var c shardctrler.Config
	cfg.within("controller Query(-1)", func() { c = cfg.mck.Query(-1) })
	return c
}

// ---- crashes ------------------------------------------------------------------

func (cfg *config) shutdownGroup(gi int) {
	cfg.w.Action("shut down group %d", gidOf(gi))
	cfg.groups[gi].CrashAll()
}

func (cfg *config) startGroup(gi int) {
	cfg.w.Action("start group %d", gidOf(gi))
	cfg.groups[gi].StartAll()
}

func (cfg *config) shutdownServer(gi, i int) { cfg.groups[gi].Crash(i) }

func (cfg *config) startServer(gi, i int) {
	g := cfg.groups[gi]
	g.Start(i)
	g.Connect(i)
}

// checkLogs is the classic checklogs: no server's Raft state beyond
// 8*maxraftstate, and no snapshot at all when maxraftstate is -1.
func (cfg *config) checkLogs() {
	cfg.w.T().Helper()
	for _, g := range cfg.groups {
		for i := 0; i < g.N(); i++ {
			p := g.Persister(i)
			raft, snap := p.RaftStateSize(), p.SnapshotSize()
			if cfg.s.maxraftstate >= 0 && raft > 8*cfg.s.maxraftstate {
				cfg.w.Fatalf("log size: server %v persisted %d bytes of Raft state, more than 8*maxraftstate (maxraftstate %d): snapshot sooner",
					g.ServerName(i), raft, cfg.s.maxraftstate)
			}
			if cfg.s.maxraftstate < 0 && snap > 0 {
				cfg.w.Fatalf("snapshot: server %v persisted a snapshot of %d bytes, but maxraftstate = -1 means never snapshot", g.ServerName(i), snap)
			}
		}
	}
}

// persistedBytes is the total of every shardkv server's Raft state and
// snapshot.
func (cfg *config) persistedBytes() int {
	total := 0
	for _, g := range cfg.groups {
		for i := 0; i < g.N(); i++ {
			p := g.Persister(i)
			total += p.RaftStateSize() + p.SnapshotSize()
		}
	}
	return total
}

// ---- clerks -----------------------------------------------------------------

// clerk makes a clerk on a new client of its own, its operations recorded
// in the history and watched for ownership.
func (cfg *config) clerk() kvtest.Clerk {
	ck, _ := cfg.clerkOn()
	return ck
}

func (cfg *config) clerkOn() (kvtest.Clerk, *cluster.Client) {
	c := cfg.w.NewClient()
	ends := c.EndsTo(cfg.ctrl)
	cfg.mu.Lock()
	cfg.shuffle.Shuffle(len(ends), func(i, j int) { ends[i], ends[j] = ends[j], ends[i] })
	id := cfg.clients
	cfg.clients++
	cfg.mu.Unlock()
	return cfg.owners.watch(c.Name, cfg.hist.Record(id, MakeClerk(ends, c.MakeEnd))), c
}

// within runs call on a helper goroutine and fails the test if it does not
// return within callWait.
func (cfg *config) within(what string, call func()) {
	cfg.w.T().Helper()
	done := make(chan struct{})
	cfg.w.H.Go(what, func() { call(); close(done) })
	t := time.NewTimer(callWait)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		cfg.w.Fatalf("liveness: %s did not complete within %v (virtual)", what, callWait)
	}
}

// check reads key through ck and fails the test unless it holds want.
func (cfg *config) check(ck kvtest.Clerk, key, want string) {
	cfg.w.T().Helper()
	var got string
	cfg.within(fmt.Sprintf("Get(%q)", key), func() { got = ck.Get(key) })
	if got != want {
		// A wrong value is a history no order explains: fail with the
		// linearizability check's picture of it, when it finds one.
		cfg.hist.Check(kvtest.CheckOptions{})
		cfg.w.Fatalf("Get(%q) (shard %d) returned %q, want %q", key, key2shard(key), excerpt(got), excerpt(want))
	}
}

func (cfg *config) put(ck kvtest.Clerk, key, value string) {
	cfg.w.T().Helper()
	cfg.within(fmt.Sprintf("Put(%q)", key), func() { ck.Put(key, value) })
}

func (cfg *config) append(ck kvtest.Clerk, key, value string) {
	cfg.w.T().Helper()
	cfg.within(fmt.Sprintf("Append(%q)", key), func() { ck.Append(key, value) })
}

func excerpt(s string) string {
	if len(s) <= 60 {
		return s
	}
	return s[:25] + fmt.Sprintf("...(%d bytes)...", len(s)-50) + s[len(s)-25:]
}

// randString returns n random letters from rng.
func randString(rng *rand.Rand, n int) string {
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	b := make([]byte, n)
	for i := range b {
		b[i] = letters[rng.IntN(len(letters))]
	}
	return string(b)
}

// keys returns the classic keys "0".."n-1" (all ten shards for n >= 10),
// with values of size bytes from rng.
func keys(rng *rand.Rand, n, size int) (ka, va []string) {
	for i := 0; i < n; i++ {
		ka = append(ka, strconv.Itoa(i))
		va = append(va, randString(rng, size))
	}
	return ka, va
}

// ---- the end of a test --------------------------------------------------------

func (cfg *config) begin(title string) { cfg.w.T().Helper(); cfg.w.Begin(title) }

// end checks the history for linearizability and shard ownership, and
// reports the cost.
func (cfg *config) end() {
	cfg.w.T().Helper()
	cfg.hist.Check(kvtest.CheckOptions{})
	cfg.owners.check()
	cfg.w.H.Settle()
	cfg.w.End(fmt.Sprintf(", %d groups of %d, %d ops", nGroups, nServers, cfg.hist.Len()))
}

// hist0 is the time origin of the test's messages: its start.
func (cfg *config) hist0() time.Time { return cfg.t0 }
