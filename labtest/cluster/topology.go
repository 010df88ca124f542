package cluster

import (
	"fmt"
	"math/bits"
	"slices"
)

// topology is a group's own view of who can talk to whom: which servers
// are connected, the group's partition (sides that may overlap, as in
// labrpc's ring and bridge shapes) and one-way cuts. Every change goes to
// the network and to this view together, so the probes reason about the
// same network the servers see.
type topology struct {
	connected []bool
	sides     [][]int // nil: no partition
	cuts      map[[2]int]bool
}

func newTopology(n int) topology {
	return topology{connected: make([]bool, n), cuts: map[[2]int]bool{}}
}

// sameSide reports whether the partition lets i and j talk.
func (t *topology) sameSide(i, j int) bool {
	if t.sides == nil || i == j {
		return true
	}
	for _, s := range t.sides {
		if slices.Contains(s, i) && slices.Contains(s, j) {
			return true
		}
	}
	// A server named on no side is not subject to the partition.
	named := func(x int) bool {
		for _, s := range t.sides {
			if slices.Contains(s, x) {
				return true
			}
		}
		return false
	}
	return !named(i) || !named(j)
}

// scope is the name of the group's partition scope on the network, so that
// partitioning one group leaves every other group's partition alone.
func (g *Group[S]) scope() string { return "group:" + g.spec.Prefix }

// Connect attaches server i to the group: its ends to every connected
// server and their ends to it. Clients' ends are the clients' business
// (Client.ConnectTo).
func (g *Group[S]) Connect(i int) {
	g.mu.Lock()
	g.topo.connected[i] = true
	g.setLinksLocked(i, true)
	g.mu.Unlock()
	g.w.closeInterval(g.disconnectKey(i))
	g.w.Action("connect %v", g.ServerName(i))
}

// Disconnect detaches server i from the rest of the group, both ways.
func (g *Group[S]) Disconnect(i int) { g.disconnect(i, true) }

func (g *Group[S]) disconnect(i int, annotate bool) {
	g.mu.Lock()
	was := g.topo.connected[i]
	g.topo.connected[i] = false
	g.setLinksLocked(i, false)
	g.mu.Unlock()
	if annotate && was {
		g.w.openInterval(g.disconnectKey(i), Annotation{Kind: Disconnected, Tag: fmt.Sprint(g.ServerName(i)), Desc: "disconnected", Start: nowTime()})
	}
	g.w.Action("disconnect %v", g.ServerName(i))
}

func (g *Group[S]) disconnectKey(i int) string {
	return fmt.Sprintf("disconnected %v", g.ServerName(i))
}

// setLinksLocked enables (or disables) the ends between i and every
// connected server of the group, in both directions.
func (g *Group[S]) setLinksLocked(i int, on bool) {
	for j := 0; j < g.spec.N; j++ {
		if on && !g.topo.connected[j] {
			continue
		}
		if inc := g.incs[i]; inc != nil {
			g.w.Net.Enable(inc.peerEnd(j), on && !inc.isDisabled())
		}
		if inc := g.incs[j]; inc != nil {
			g.w.Net.Enable(inc.peerEnd(i), on && !inc.isDisabled())
		}
	}
}

// BlockCalls disables server from's end to server to: from's calls to to
// fail at once, while to's calls to from, and from's replies to them, still
// flow (labrpc's Cut would lose those replies too). Connect(from) or
// Connect(to) undoes it. For scenarios where a server must learn something
// only from replies.
func (g *Group[S]) BlockCalls(from, to int) {
	g.mu.Lock()
	if inc := g.incs[from]; inc != nil {
		g.w.Net.Enable(inc.peerEnd(to), false)
	}
	g.mu.Unlock()
	g.w.Action("block calls %v -> %v", g.ServerName(from), g.ServerName(to))
}

// Connected reports whether server i is alive and connected.
func (g *Group[S]) Connected(i int) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.alive[i] && g.topo.connected[i]
}

// ConnectedList lists the live, connected servers.
func (g *Group[S]) ConnectedList() []int {
	var l []int
	for i := 0; i < g.spec.N; i++ {
		if g.Connected(i) {
			l = append(l, i)
		}
	}
	return l
}

// Partition splits the group: two of its servers talk iff some side holds
// both (sides may overlap; a server on no side talks to all). It replaces
// the group's previous partition and leaves every other group's alone;
// traffic between groups, and clients, are not affected.
func (g *Group[S]) Partition(sides ...[]int) {
	names := make([][]any, len(sides))
	for k, s := range sides {
		for _, i := range s {
			names[k] = append(names[k], g.ServerName(i))
		}
	}
	g.mu.Lock()
	g.topo.sides = make([][]int, len(sides))
	for k, s := range sides {
		g.topo.sides[k] = slices.Clone(s)
	}
	g.mu.Unlock()
	g.w.Net.PartitionScope(g.scope(), names...)
	desc := fmt.Sprintf("partition %v", sides)
	if g.spec.Prefix != "" {
		desc = fmt.Sprintf("partition %s %v", g.spec.Prefix, sides)
	}
	g.w.openInterval(g.partitionKey(), Annotation{Kind: Partitioned, Tag: "partition", Desc: desc, Start: nowTime()})
	g.w.Action("%s", desc)
}

// PartitionNodes is Partition for the shapes of labrpc's helpers (IsolateOne,
// Halves, Bridge, MajoritiesRing over Nodes()).
func (g *Group[S]) PartitionNodes(groups [][]any) {
	sides := make([][]int, len(groups))
	for k, grp := range groups {
		for _, name := range grp {
			i, ok := g.Index(name)
			if !ok {
				g.w.Fatalf("cluster: PartitionNodes: %v is not a server of the group (servers: %v)", name, g.Nodes())
			}
			sides[k] = append(sides[k], i)
		}
	}
	g.Partition(sides...)
}

// PartitionLeaderInMinority puts the current leader (or server 0 when none
// is seen) with a minority and the rest in a majority, and returns the two
// sides (majority first) and the leader.
func (g *Group[S]) PartitionLeaderInMinority() (majority, minority []int, leader int) {
	leader, ok := g.Leader()
	if !ok {
		leader = 0
	}
	minority = []int{leader}
	for i := 0; len(minority) < (g.spec.N-1)/2 && i < g.spec.N; i++ {
		if i != leader {
			minority = append(minority, i)
		}
	}
	for i := 0; i < g.spec.N; i++ {
		if !slices.Contains(minority, i) {
			majority = append(majority, i)
		}
	}
	g.Partition(majority, minority)
	return majority, minority, leader
}

// Cut stops server from's calls to server to (and from's replies to to's
// calls); to still reaches from.
func (g *Group[S]) Cut(from, to int) {
	g.mu.Lock()
	g.topo.cuts[[2]int{from, to}] = true
	g.mu.Unlock()
	g.w.Net.Cut(g.ServerName(from), g.ServerName(to))
	g.w.Action("cut %v -> %v", g.ServerName(from), g.ServerName(to))
}

// Heal removes the group's partition and cuts; servers disconnected or
// crashed stay so.
func (g *Group[S]) Heal() {
	g.mu.Lock()
	cuts := g.topo.cuts
	g.topo.cuts = map[[2]int]bool{}
	g.topo.sides = nil
	g.mu.Unlock()
	g.w.Net.HealScope(g.scope())
	for c := range cuts {
		g.w.Net.Uncut(g.ServerName(c[0]), g.ServerName(c[1]))
	}
	g.w.closeInterval(g.partitionKey())
	g.w.Action("heal")
}

func (g *Group[S]) partitionKey() string { return "partition " + g.spec.Prefix }

// Linked reports whether servers i and j can exchange calls and replies
// both ways: both alive and connected, on a common side, with no cut
// between them.
func (g *Group[S]) Linked(i, j int) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.linkedLocked(i, j)
}

func (g *Group[S]) linkedLocked(i, j int) bool {
	if !g.alive[i] || !g.alive[j] || !g.topo.connected[i] || !g.topo.connected[j] {
		return false
	}
	if i == j {
		return true
	}
	return g.topo.sameSide(i, j) && !g.topo.cuts[[2]int{i, j}] && !g.topo.cuts[[2]int{j, i}]
}

// Majorities returns every largest set of servers that are pairwise
// Linked and form a majority of the group: the sets that can elect a
// leader and commit with no help from anyone outside. Empty when no
// majority can talk.
func (g *Group[S]) Majorities() [][]int {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := g.spec.N
	var best [][]int
	bestSize := n/2 + 1
	for set := uint(1); set < 1<<n; set++ {
		size := bits.OnesCount(set)
		if size < bestSize {
			continue
		}
		if !g.cliqueLocked(set) {
			continue
		}
		if size > bestSize {
			best, bestSize = nil, size
		}
		var members []int
		for i := 0; i < n; i++ {
			if set&(1<<i) != 0 {
				members = append(members, i)
			}
		}
		best = append(best, members)
	}
	return best
}

func (g *Group[S]) cliqueLocked(set uint) bool {
	for i := 0; i < g.spec.N; i++ {
		if set&(1<<i) == 0 {
			continue
		}
		for j := i; j < g.spec.N; j++ {
			if set&(1<<j) != 0 && !g.linkedLocked(i, j) {
				return false
			}
		}
	}
	return true
}
