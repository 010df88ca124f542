package cluster

import (
	"fmt"
	"strconv"
	"sync"

	"raftlab/labrpc"
	"raftlab/persist"
)

// RaftState is what the probes need of a server's Raft: the classic
// GetState.
type RaftState interface {
	GetState() (term int, isLeader bool)
}

// GroupSpec describes a replica group of servers of type S.
type GroupSpec[S any] struct {
	// Prefix names the group's servers on the network: "" gives the bare
	// ints 0..N-1 (one group, as in the Raft lab), "server-100-" gives
	// "server-100-0" and so on (the names shardkv's make_end receives).
	Prefix string
	N      int
	// Start starts one incarnation of a server and returns it with the
	// objects whose methods are its RPC services (all on one labrpc
	// server), e.g. []any{kv, kv.rf}.
	Start func(inc *Incarnation) (server S, services []any)
	// Kill stops a server: the only Kill the harness calls. A server that
	// kills its own Raft must not have the harness kill that Raft too.
	Kill func(S)
	// Raft reads a server's Raft state for the leader and election-safety
	// probes; nil for groups without Raft.
	Raft func(S) RaftState
	// State describes a server's state (its term, role, log, what it
	// applied) for the end of the timeline file (labtest.H.OnFinalState);
	// it runs after teardown and may take the server's locks. Without it
	// the group shows each Raft's term and role, if it has Raft.
	State func(S) string
}

// Group is a replica group: N servers, each with a Persister that outlives
// its incarnations, on one topology (see topology.go).
type Group[S any] struct {
	w    *World
	spec GroupSpec[S]

	mu      sync.Mutex
	servers []S
	alive   []bool
	incs    []*Incarnation // current (or last) incarnation of each server
	last    []S            // the last incarnation killed, for the final state
	upAtEnd []bool         // alive when teardown began
	saved   []*persist.Persister
	topo    topology
	leaders map[int]int // term -> the server seen leading it
}

// NewGroup makes a group of spec.N servers, none started yet: call
// StartAll. Teardown kills every live server.
func NewGroup[S any](w *World, spec GroupSpec[S]) *Group[S] {
	if spec.N < 1 || spec.Start == nil || spec.Kill == nil {
		w.Fatalf("cluster.NewGroup: a GroupSpec needs N >= 1, Start and Kill (got N=%d, Start set: %v, Kill set: %v)",
			spec.N, spec.Start != nil, spec.Kill != nil)
	}
	g := &Group[S]{
		w:       w,
		spec:    spec,
		servers: make([]S, spec.N),
		alive:   make([]bool, spec.N),
		last:    make([]S, spec.N),
		upAtEnd: make([]bool, spec.N),
		incs:    make([]*Incarnation, spec.N),
		saved:   make([]*persist.Persister, spec.N),
		topo:    newTopology(spec.N),
		leaders: map[int]int{},
	}
	for i := range g.saved {
		g.saved[i] = persist.MakePersister()
	}
	w.H.OnTeardown(g.killAll)
	if spec.State != nil || spec.Raft != nil {
		for i := 0; i < spec.N; i++ {
			w.H.OnFinalState(fmt.Sprintf("server %v", g.ServerName(i)), func() string { return g.finalState(i) })
		}
	}
	return g
}

// finalState describes server i's last incarnation for the timeline.
func (g *Group[S]) finalState(i int) string {
	g.mu.Lock()
	inc, s := g.incs[i], g.last[i]
	how := "crashed by the test"
	switch {
	case g.alive[i]: // a guard ended the test before teardown
		s, how = g.servers[i], "up when the test was stopped"
	case g.upAtEnd[i]:
		how = "up until teardown"
	}
	g.mu.Unlock()
	if inc == nil {
		return "never started"
	}
	var state string
	if g.spec.State != nil {
		state = g.spec.State(s)
	} else {
		term, leader := g.spec.Raft(s).GetState()
		role := "not leader"
		if leader {
			role = "leader"
		}
		state = fmt.Sprintf("term %d, %s", term, role)
	}
	return fmt.Sprintf("incarnation %d, %s: %s", inc.Number, how, state)
}

// N returns the number of servers.
func (g *Group[S]) N() int { return g.spec.N }

// Prefix returns the group's name prefix.
func (g *Group[S]) Prefix() string { return g.spec.Prefix }

// ServerName returns the network name of server i.
func (g *Group[S]) ServerName(i int) any {
	if g.spec.Prefix == "" {
		return i
	}
	return g.spec.Prefix + strconv.Itoa(i)
}

// ServerNames lists every server's name as a string (for a shard
// controller's Join, say).
func (g *Group[S]) ServerNames() []string {
	out := make([]string, g.spec.N)
	for i := range out {
		out[i] = fmt.Sprint(g.ServerName(i))
	}
	return out
}

// Nodes lists the servers' network names, for labrpc's partition shapes.
func (g *Group[S]) Nodes() []any {
	out := make([]any, g.spec.N)
	for i := range out {
		out[i] = g.ServerName(i)
	}
	return out
}

// Index returns the index of the server whose network name is name.
func (g *Group[S]) Index(name any) (int, bool) {
	for i := 0; i < g.spec.N; i++ {
		if g.ServerName(i) == name {
			return i, true
		}
	}
	return -1, false
}

// Server returns server i, and whether it is alive (started, not crashed).
func (g *Group[S]) Server(i int) (S, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.servers[i], g.alive[i]
}

// Alive reports whether server i is started and not crashed.
func (g *Group[S]) Alive(i int) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.alive[i]
}

// Persister returns the Persister server i's current incarnation writes to
// (or its next one will start from).
func (g *Group[S]) Persister(i int) *persist.Persister {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.saved[i]
}

// StartAll starts every server that is not running and connects them all.
func (g *Group[S]) StartAll() {
	for i := 0; i < g.spec.N; i++ {
		if !g.Alive(i) {
			g.Start(i)
		}
	}
	for i := 0; i < g.spec.N; i++ {
		g.Connect(i)
	}
	g.w.H.ServersStarted()
}

// CrashAll crashes every live server.
func (g *Group[S]) CrashAll() {
	for i := 0; i < g.spec.N; i++ {
		if g.Alive(i) {
			g.Crash(i)
		}
	}
}

// Start starts (or restarts, crashing it first) server i: a new
// incarnation with fresh ends, disconnected (call Connect), reading the
// Persister its previous incarnation left. Safe on any goroutine of the test.
func (g *Group[S]) Start(i int) {
	if g.Alive(i) {
		g.Crash(i)
	}
	g.mu.Lock()
	number := 1
	if prev := g.incs[i]; prev != nil {
		number = prev.Number + 1
	}
	inc := &Incarnation{w: g.w, Me: i, Number: number, Name: g.ServerName(i), Persister: g.saved[i]}
	inc.Peers = make([]*labrpc.ClientEnd, g.spec.N)
	for j := range inc.Peers {
		inc.Peers[j] = inc.dial(g.ServerName(j), false)
	}
	g.incs[i] = inc
	g.mu.Unlock()

	var server S
	var services []any
	g.w.H.StartServer(fmt.Sprint(inc.Name), func() {
		server, services = g.spec.Start(inc)
	})
	srv := labrpc.MakeServer()
	for _, s := range services {
		srv.AddService(labrpc.MakeService(s))
	}
	g.w.Net.AddServer(inc.Name, srv)

	g.mu.Lock()
	g.servers[i] = server
	g.alive[i] = true
	g.mu.Unlock()
	g.w.closeInterval(g.downKey(i))
	g.w.Action("start server %v (incarnation %d)", inc.Name, number)
}

// Crash kills server i: it is disconnected, its RPC server deleted, every
// end its incarnation made disabled, its Persister frozen as it was (the
// dead incarnation goes on writing into a copy nobody reads), and then the
// spec's Kill is called. Safe on any goroutine of the test.
func (g *Group[S]) Crash(i int) {
	g.disconnect(i, false)
	g.w.Net.DeleteServer(g.ServerName(i))
	g.kill(i, func() { g.saved[i] = g.saved[i].Copy() })
	g.w.openInterval(g.downKey(i), Annotation{Kind: Down, Tag: fmt.Sprint(g.ServerName(i)), Desc: "down", Start: nowTime()})
	g.w.Action("crash server %v", g.ServerName(i))
}

func (g *Group[S]) downKey(i int) string { return fmt.Sprintf("down %v", g.ServerName(i)) }

// kill takes server i out of the group (running also, under the group's
// lock), disables every end its incarnation made, and calls the spec's Kill
// on it if it was alive.
func (g *Group[S]) kill(i int, also func()) {
	g.mu.Lock()
	server, alive := g.servers[i], g.alive[i]
	if alive {
		g.last[i] = server
	}
	var zero S
	g.servers[i] = zero
	g.alive[i] = false
	if also != nil {
		also()
	}
	inc := g.incs[i]
	g.mu.Unlock()

	if inc != nil {
		inc.disable()
	}
	if alive {
		g.spec.Kill(server)
	}
}

// killAll kills every live server at teardown.
func (g *Group[S]) killAll() {
	g.mu.Lock()
	g.upAtEnd = append([]bool(nil), g.alive...)
	g.mu.Unlock()
	for i := 0; i < g.spec.N; i++ {
		g.kill(i, nil)
	}
}

// MaxRaftStateSize returns the largest Raft state any server persisted.
func (g *Group[S]) MaxRaftStateSize() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	m := 0
	for _, p := range g.saved {
		m = max(m, p.RaftStateSize())
	}
	return m
}

// MaxSnapshotSize returns the largest snapshot any server persisted.
func (g *Group[S]) MaxSnapshotSize() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	m := 0
	for _, p := range g.saved {
		m = max(m, p.SnapshotSize())
	}
	return m
}

// RPCCount returns how many requests server i's handlers received.
func (g *Group[S]) RPCCount(i int) int { return g.w.Net.GetCount(g.ServerName(i)) }
