package labrpc

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// scope is one named partition of the network.
type scope struct {
	name   string
	groups map[any][]int // node -> indices of the groups it is in
}

// allows reports whether the scope lets from reach to: a node the scope
// does not name is not subject to it.
func (s *scope) allows(from, to any) bool {
	gf, okf := s.groups[from]
	gt, okt := s.groups[to]
	if !okf || !okt {
		return true
	}
	for _, a := range gf {
		for _, b := range gt {
			if a == b {
				return true
			}
		}
	}
	return false
}

// reachableLocked applies cuts and partitions between two nodes; nil (no
// owner) is not subject to them. Must be called with n.mu held.
func (n *Network) reachableLocked(from, to any) bool {
	if from == nil || to == nil {
		return true
	}
	if len(n.cuts) > 0 && n.cuts[link{from, to}] {
		return false
	}
	for _, s := range n.scopes {
		if !s.allows(from, to) {
			return false
		}
	}
	return true
}

// Cut stops from from reaching to: calls by from's ends to server to fail
// without running the handler, and replies from from to calls made by to
// are lost (the handler did run). to still reaches from, unless cut too.
func (n *Network) Cut(from, to any) {
	if !n.comparable("Cut", from, to) {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.cuts[link{from, to}] = true
	n.topologyLocked(PartitionChange, fmt.Sprint(from), fmt.Sprint(to), "cut")
}

// Uncut undoes Cut(from, to).
func (n *Network) Uncut(from, to any) {
	if !n.comparable("Uncut", from, to) {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cuts[link{from, to}] {
		delete(n.cuts, link{from, to})
		n.topologyLocked(PartitionChange, fmt.Sprint(from), fmt.Sprint(to), "uncut")
	}
}

// Partition replaces the current partition (cuts stay): two nodes named
// in groups reach each other iff some group holds both; a node may be in
// several groups; nodes named in no group reach and are reached by all.
// Nodes are the owners of ends (SetOwner) and server names. It is the
// partition of the scope "" (see PartitionScope), which other scopes
// restrict further.
func (n *Network) Partition(groups ...[]any) {
	n.partitionScope("Partition", "", groups)
}

// PartitionScope replaces the partition of one scope, with the meaning of
// Partition within it. Scopes let independent parts of a test partition
// the nodes they care about without undoing each other's partitions: a
// tester that splits each replica group of a sharded service puts each
// group's partition in a scope of its own. Two nodes reach each other iff
// every scope lets them, and no cut is in the way; a scope that does not
// name a node leaves that node's traffic alone.
func (n *Network) PartitionScope(scope string, groups ...[]any) {
	n.partitionScope("PartitionScope", scope, groups)
}

func (n *Network) partitionScope(op, name string, groups [][]any) {
	for _, g := range groups {
		if !n.comparable(op, g...) {
			return
		}
	}
	s := &scope{name: name, groups: map[any][]int{}}
	for i, g := range groups {
		for _, node := range g {
			s.groups[node] = append(s.groups[node], i)
		}
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.removeScopeLocked(name)
	// A scope that names no node restricts nothing; leaving it out keeps
	// reachableLocked on its fast path.
	if len(s.groups) > 0 {
		n.scopes = append(n.scopes, s)
	}
	n.topologyLocked(PartitionChange, "", "", "partition"+scopeTag(name)+" "+formatGroups(groups))
}

// HealScope removes the partition of one scope; the other scopes and the
// cuts stay.
func (n *Network) HealScope(scope string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.removeScopeLocked(scope)
	n.topologyLocked(PartitionChange, "", "", "heal["+scope+"]")
}

// Heal removes every partition, of every scope, and every cut.
func (n *Network) Heal() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.scopes = nil
	clear(n.cuts)
	n.topologyLocked(PartitionChange, "", "", "heal")
}

func (n *Network) removeScopeLocked(name string) {
	n.scopes = slices.DeleteFunc(n.scopes, func(s *scope) bool { return s.name == name })
}

// scopeTag names a scope in events; the scope of Partition keeps the
// events it always had.
func scopeTag(name string) string {
	if name == "" {
		return ""
	}
	return "[" + name + "]"
}

func formatGroups(groups [][]any) string {
	parts := make([]string, len(groups))
	for i, g := range groups {
		parts[i] = fmt.Sprint(g)
	}
	return strings.Join(parts, " ")
}

// IsolateOne puts nodes[i] alone and all the others together.
func IsolateOne(nodes []any, i int) [][]any {
	if i < 0 || i >= len(nodes) {
		panic(fmt.Sprintf("labrpc.IsolateOne: index %d out of range for %d nodes", i, len(nodes)))
	}
	rest := make([]any, 0, len(nodes)-1)
	rest = append(rest, nodes[:i]...)
	rest = append(rest, nodes[i+1:]...)
	return [][]any{{nodes[i]}, rest}
}

// Halves splits nodes at random (drawn from r; nil keeps the given order)
// into two groups, the first of
// len(nodes)/2 nodes (so with an odd count the second one is a majority).
func Halves(nodes []any, r *rand.Rand) [][]any {
	p := shuffled(nodes, r)
	h := len(p) / 2
	return [][]any{p[:h:h], p[h:]}
}

// Bridge splits nodes at random (drawn from r; nil keeps the given order,
// the bridge being nodes[0]) into two halves that share one node: the
// bridge reaches everyone, the others only their own half. With an odd
// count both halves, bridge included, are majorities.
func Bridge(nodes []any, r *rand.Rand) [][]any {
	if len(nodes) == 0 {
		return [][]any{{}, {}}
	}
	p := shuffled(nodes, r)
	bridge, rest := p[0], p[1:]
	h := len(rest) / 2
	a := append([]any{bridge}, rest[:h]...)
	b := append([]any{bridge}, rest[h:]...)
	return [][]any{a, b}
}

// MajoritiesRing arranges nodes so that every node reaches a majority
// (itself included) and no two nodes reach the same set: a ring in which
// each node is linked to its d nearest neighbours on either side, with d
// the least that makes 2d+1 a majority. Each link is one two-node group.
// This is possible for n = 1 and n >= 3; for n = 3 the "ring" is a path
// a-b-c (a sees {a,b}, b all three, c {b,c}). For n = 2 (both would have
// to see both) and n = 0 it panics, as there is no such arrangement.
func MajoritiesRing(nodes []any) [][]any {
	n := len(nodes)
	switch {
	case n == 0 || n == 2:
		panic(fmt.Sprintf("labrpc.MajoritiesRing: impossible with %d nodes: every node must see a majority and no two the same set; use 1 or at least 3 nodes", n))
	case n == 1:
		return [][]any{{nodes[0]}}
	case n == 3:
		return [][]any{{nodes[0], nodes[1]}, {nodes[1], nodes[2]}}
	}
	m := n/2 + 1
	d := m / 2 // least d with 2d+1 >= m
	var groups [][]any
	for i := range n {
		for j := 1; j <= d; j++ {
			groups = append(groups, []any{nodes[i], nodes[(i+j)%n]})
		}
	}
	return groups
}

// shuffled copies nodes in an order drawn from r, or in their own order if
// r is nil.
func shuffled(nodes []any, r *rand.Rand) []any {
	p := append([]any(nil), nodes...)
	if r == nil {
		return p
	}
	r.Shuffle(len(p), func(i, j int) { p[i], p[j] = p[j], p[i] })
	return p
}
