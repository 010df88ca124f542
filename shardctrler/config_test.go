package shardctrler

// The controller lab's glue to the shared harness: the servers are a
// cluster.Group of *ShardCtrler, three of them as in the classic tests.
// The tests use nothing of the lab but its classic contract (StartServer,
// Kill, the field rf, MakeClerk and the clerk's Query, Join, Leave, Move),
// so a student's server.go, client.go and common.go, on their own raft.go,
// compile and run against them; the harness kills a crashed server with
// Kill only, as kvraft's glue explains.
//
// Every configuration a clerk is handed is recorded by its number: two
// answers for one number must be the same configuration, whichever server
// gave them, or the servers' lists diverged (checkAnswer).

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"raftlab/labtest/cluster"
)

// nCtrlers is the size of the controller group, as in the classic tests.
const nCtrlers = 3

// callWait is how long, in virtual time, a clerk call may take with a
// majority of the servers up and connected: elections of a slow Raft
// (timeouts up to 1.5 s) several times over.
const callWait = 30 * time.Second

// rebalancer is our server's switch to another rebalance function, for
// the flawed-variant tests; found by an interface assertion so that a
// server without it still compiles.
type rebalancer interface {
	setRebalance(f func(shards []int, groups map[int][]string) []int)
}

// setup describes a test's servers.
type setup struct {
	// rebalance replaces our server's rebalance (nil: its own); a server
	// without the switch fails the test that asks for it.
	rebalance func(shards []int, groups map[int][]string) []int
}

type config struct {
	*cluster.Group[*ShardCtrler]
	w *cluster.World

	mu      sync.Mutex
	shuffle *rand.Rand          // the order in which a clerk gets its servers
	answers map[int]queryAnswer // config num -> the first answer seen for it
}

// queryAnswer is a configuration a clerk was handed, and by whom.
type queryAnswer struct {
	config Config
	from   string
}

func makeConfig(w *cluster.World, s setup) *config {
	cfg := &config{w: w, shuffle: w.H.NewRand("shardctrler clerk servers"), answers: map[int]queryAnswer{}}
	cfg.Group = cluster.NewGroup(w, cluster.GroupSpec[*ShardCtrler]{
		N: nCtrlers,
		Start: func(inc *cluster.Incarnation) (*ShardCtrler, []any) {
			sc := StartServer(inc.Peers, inc.Me, inc.Persister)
			if s.rebalance != nil {
				r, ok := any(sc).(rebalancer)
				if !ok {
					w.Report(fmt.Errorf("the test needs a server with setRebalance, and this one has none"))
				} else {
					r.setRebalance(s.rebalance)
				}
			}
			return sc, []any{sc, sc.rf}
		},
		Kill: (*ShardCtrler).Kill,
		Raft: func(sc *ShardCtrler) cluster.RaftState { return sc.rf },
	})
	w.SetNet(cluster.Reliable) // as in the classic tests; the fault tests set their own faults
	cfg.StartAll()
	return cfg
}

// ctrlClerk is a clerk whose calls must complete and whose answers are
// recorded.
type ctrlClerk struct {
	cfg    *config
	ck     *Clerk
	client *cluster.Client
	via    string // who answers, for messages: the client's name unless set
}

// clerk makes a clerk on a new client that reaches all the servers, given
// to it shuffled as the classic tester did.
func (cfg *config) clerk() *ctrlClerk {
	c := cfg.w.NewClient()
	ends := c.EndsTo(cfg)
	cfg.mu.Lock()
	cfg.shuffle.Shuffle(len(ends), func(i, j int) { ends[i], ends[j] = ends[j], ends[i] })
	cfg.mu.Unlock()
	return &ctrlClerk{cfg: cfg, ck: MakeClerk(ends), client: c}
}

// within fails the test unless call returns within callWait. Test
// goroutine only.
func (cfg *config) within(what string, call func()) {
	cfg.w.T().Helper()
	done := make(chan struct{})
	cfg.w.H.Go(what, func() { call(); close(done) })
	select {
	case <-done:
	case <-time.After(callWait):
		cfg.w.Fatalf("liveness: %s did not complete within %v (virtual) with a majority of the controllers up and connected", what, callWait)
	}
}

func (c *ctrlClerk) query(num int) Config {
	c.cfg.w.T().Helper()
	var got Config
	c.cfg.within(fmt.Sprintf("Query(%d)", num), func() { got = c.queryNow(num) })
	return got
}

// queryNow is Query on any goroutine, its answer checked (failures are
// reported, the test goes on).
func (c *ctrlClerk) queryNow(num int) Config {
	floor := c.cfg.latestAnswered()
	got := c.ck.Query(num)
	via := c.via
	if via == "" {
		via = c.client.Name
	}
	if err := c.cfg.checkAnswer(num, floor, got, via); err != nil {
		c.cfg.w.Report(err)
	}
	return got
}

func (c *ctrlClerk) join(servers map[int][]string) {
	c.cfg.w.T().Helper()
	c.cfg.within(fmt.Sprintf("Join(%v)", servers), func() { c.ck.Join(servers) })
}

func (c *ctrlClerk) leave(gids ...int) {
	c.cfg.w.T().Helper()
	c.cfg.within(fmt.Sprintf("Leave(%v)", gids), func() { c.ck.Leave(gids) })
}

func (c *ctrlClerk) move(shard, gid int) {
	c.cfg.w.T().Helper()
	c.cfg.within(fmt.Sprintf("Move(%d, %d)", shard, gid), func() { c.ck.Move(shard, gid) })
}

// checkAnswer checks got, the answer to Query(num) that via received
// after config floor had been returned to a query that completed, and
// records it. got must be configuration num, or the latest when num is -1
// or beyond the latest, and no older than floor. And it must be the same
// as every other answer for its number: configurations are made once, in
// log order, so two different answers for one number mean that the
// servers computed different configurations from the same log, with a
// rebalance that depends on something else, such as the order in which
// Go iterates a map.
func (cfg *config) checkAnswer(num, floor int, got Config, via string) error {
	switch {
	case num >= 0 && got.Num > num:
		return fmt.Errorf("Query(%d) returned config %d: it must return config %d, or the latest when there is no such config yet", num, got.Num, num)
	case num >= 0 && num <= floor && got.Num != num:
		return fmt.Errorf("linearizability: Query(%d) returned config %d, but config %d existed before the query began (a query that completed earlier returned config %d)", num, got.Num, num, floor)
	case num < 0 && got.Num < floor:
		return fmt.Errorf("linearizability: Query(%d) returned config %d, but config %d existed before the query began (a query that completed earlier returned it): a query must return the latest", num, got.Num, floor)
	}
	cfg.mu.Lock()
	defer cfg.mu.Unlock()
	first, seen := cfg.answers[got.Num]
	if !seen {
		cfg.answers[got.Num] = queryAnswer{config: copyConfig(got), from: via}
		return nil
	}
	if diff := configDiff(first.config, got); diff != "" {
		return fmt.Errorf("determinism: config %d differs between two answers (the first to %s, this one to %s): %s; every server applies the same log and must compute the same configurations (a rebalance must not depend on map iteration order)",
			got.Num, first.from, via, diff)
	}
	return nil
}

// latestAnswered returns the highest config number an answer carried
// (0 before any).
func (cfg *config) latestAnswered() int {
	cfg.mu.Lock()
	defer cfg.mu.Unlock()
	latest := 0
	for n := range cfg.answers {
		latest = max(latest, n)
	}
	return latest
}

// configDiff describes how b differs from a, "" when it does not.
func configDiff(a, b Config) string {
	switch {
	case a.Num != b.Num:
		return fmt.Sprintf("Num %d vs %d", a.Num, b.Num)
	case a.Shards != b.Shards:
		return fmt.Sprintf("Shards %v vs %v", a.Shards, b.Shards)
	case len(a.Groups) != len(b.Groups):
		return fmt.Sprintf("Groups %v vs %v", a.Groups, b.Groups)
	}
	for gid, servers := range a.Groups {
		if other, ok := b.Groups[gid]; !ok || !slices.Equal(servers, other) {
			return fmt.Sprintf("Groups %v vs %v", a.Groups, b.Groups)
		}
	}
	return ""
}

// copyConfig returns a copy of c that shares no memory with it (the
// tests use nothing of the lab's files beyond the contract).
func copyConfig(c Config) Config {
	out := c
	out.Groups = make(map[int][]string, len(c.Groups))
	for gid, servers := range c.Groups {
		out.Groups[gid] = slices.Clone(servers)
	}
	return out
}
