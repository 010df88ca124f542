package cluster

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"raftlab/labrpc"
)

// node is a server for the harness's own tests: an Echo RPC and a Raft
// state the test sets by hand.
type node struct {
	inc *Incarnation

	mu       sync.Mutex
	term     int
	isLeader bool
	killed   int
}

type EchoArgs struct{ X int }
type EchoReply struct{ X int }

func (n *node) Echo(args *EchoArgs, reply *EchoReply) { reply.X = args.X }

func (n *node) GetState() (int, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.term, n.isLeader
}

func (n *node) set(term int, leader bool) {
	n.mu.Lock()
	n.term, n.isLeader = term, leader
	n.mu.Unlock()
}

func (n *node) Kill() {
	n.mu.Lock()
	n.killed++
	n.mu.Unlock()
}

// nodeGroup makes a group of n nodes named with prefix; kills counts every
// Kill the harness makes.
func nodeGroup(w *World, prefix string, n int) *Group[*node] {
	return NewGroup(w, GroupSpec[*node]{
		Prefix: prefix,
		N:      n,
		Start: func(inc *Incarnation) (*node, []any) {
			nd := &node{inc: inc}
			return nd, []any{nd}
		},
		Kill: (*node).Kill,
		Raft: func(n *node) RaftState { return n },
	})
}

func echo(end *labrpc.ClientEnd) bool {
	var reply EchoReply
	return end.Call("node.Echo", &EchoArgs{X: 1}, &reply) && reply.X == 1
}

func server(t *testing.T, g *Group[*node], i int) *node {
	s, ok := g.Server(i)
	require.True(t, ok, "server %d should be alive", i)
	return s
}

func TestStartGivesDeterministicEndsAndCrashDisablesThem(t *testing.T) {
	Run(t, Budget{}, func(w *World) {
		g := nodeGroup(w, "server-100-", 3)
		g.StartAll()
		s0 := server(t, g, 0)
		assert.Equal(t, "server-100-0", s0.inc.Name)
		assert.Equal(t, 1, s0.inc.Number)
		assert.Equal(t, []string{"server-100-0/1->server-100-0", "server-100-0/1->server-100-1", "server-100-0/1->server-100-2"}, s0.inc.names[:3],
			"end names derive from (server, incarnation, target) so that a seed replays")
		assert.True(t, echo(s0.inc.Peers[1]), "a connected peer answers")

		cross := s0.inc.MakeEnd("server-100-2")
		assert.True(t, echo(cross), "a make_end end reaches its server")
		g.Crash(0)
		assert.False(t, echo(cross), "a crashed incarnation's make_end ends must be disabled")
		assert.False(t, echo(s0.inc.Peers[1]), "a crashed incarnation's peer ends must be disabled")
		assert.Equal(t, 1, s0.killed, "Crash kills the server once")

		g.Start(0)
		g.Connect(0)
		s0b := server(t, g, 0)
		assert.Equal(t, 2, s0b.inc.Number)
		assert.True(t, echo(s0b.inc.Peers[2]), "the new incarnation's ends work once connected")
		assert.False(t, echo(s0.inc.Peers[1]), "the old incarnation's ends stay disabled")
	})
}

func TestTeardownKillsEachLiveServerOnce(t *testing.T) {
	var nodes []*node
	Run(t, Budget{}, func(w *World) {
		g := nodeGroup(w, "", 3)
		g.StartAll()
		g.Crash(1)
		for i := 0; i < 3; i++ {
			s, _ := g.Server(i)
			nodes = append(nodes, s)
		}
	})
	assert.Equal(t, 1, nodes[0].killed)
	assert.Nil(t, nodes[1], "a crashed server is not handed out")
	assert.Equal(t, 1, nodes[2].killed)
}

func TestPersisterSurvivesCrashAsAFrozenCopy(t *testing.T) {
	Run(t, Budget{}, func(w *World) {
		g := nodeGroup(w, "", 1)
		g.StartAll()
		old := server(t, g, 0).inc.Persister
		old.Save([]byte("state-1"), nil)
		g.Crash(0)
		old.Save([]byte("written after the crash"), nil) // a lingering goroutine of the dead incarnation
		g.Start(0)
		got := server(t, g, 0).inc.Persister.ReadRaftState()
		assert.Equal(t, []byte("state-1"), got, "the next incarnation starts from the state at the crash")
	})
}

func TestDisconnectAndPartitionShowInLinksAndMajorities(t *testing.T) {
	Run(t, Budget{}, func(w *World) {
		g := nodeGroup(w, "", 5)
		g.StartAll()
		assert.Equal(t, [][]int{{0, 1, 2, 3, 4}}, g.Majorities())

		g.Disconnect(4)
		assert.False(t, g.Linked(3, 4))
		assert.False(t, echo(server(t, g, 3).inc.Peers[4]), "a disconnected server is unreachable")
		assert.Equal(t, [][]int{{0, 1, 2, 3}}, g.Majorities())
		g.Connect(4)

		// The path 0-1, 1-2, 2-3, 3-4 ... of labrpc's ring for five
		// servers: every server reaches a majority, but no majority is
		// pairwise linked.
		g.PartitionNodes(labrpc.MajoritiesRing(g.Nodes()))
		assert.True(t, g.Linked(0, 1))
		assert.False(t, g.Linked(0, 2))
		assert.Empty(t, g.Majorities(), "no majority can talk among itself in the ring")

		g.Partition([]int{0, 1, 2}, []int{2, 3, 4}) // a bridge: 2 is in both
		assert.Equal(t, [][]int{{0, 1, 2}, {2, 3, 4}}, g.Majorities())
		assert.True(t, echo(server(t, g, 0).inc.Peers[2]))
		assert.False(t, echo(server(t, g, 0).inc.Peers[3]), "the network enforces the group's partition")

		g.Cut(0, 1)
		assert.False(t, g.Linked(0, 1), "a one-way cut breaks the link both ways for the probes")
		assert.Equal(t, [][]int{{2, 3, 4}}, g.Majorities())
		g.Heal()
		assert.Equal(t, [][]int{{0, 1, 2, 3, 4}}, g.Majorities())
		assert.True(t, echo(server(t, g, 0).inc.Peers[3]))
	})
}

func TestPartitioningOneGroupLeavesAnotherAlone(t *testing.T) {
	Run(t, Budget{}, func(w *World) {
		a := nodeGroup(w, "server-100-", 3)
		b := nodeGroup(w, "server-101-", 3)
		a.StartAll()
		b.StartAll()
		b.Partition([]int{0}, []int{1, 2})
		a.Partition([]int{0, 1}, []int{2})

		b0 := server(t, b, 0)
		assert.False(t, echo(b0.inc.Peers[1]), "group b's partition stays when group a is partitioned")
		a0 := server(t, a, 0)
		assert.True(t, echo(a0.inc.MakeEnd("server-101-1")), "traffic between groups is not partitioned")
		a.Heal()
		assert.False(t, echo(b0.inc.Peers[1]), "healing group a leaves group b's partition")
		assert.True(t, echo(a0.inc.Peers[2]))
	})
}

func TestClientConnectivityList(t *testing.T) {
	Run(t, Budget{}, func(w *World) {
		g := nodeGroup(w, "", 3)
		g.StartAll()
		c := w.NewClient()
		ends := c.EndsTo(g)
		for i, e := range ends {
			assert.True(t, echo(e), "a new client reaches server %d", i)
		}
		c.ConnectOnly(g, []int{1})
		assert.False(t, echo(ends[0]))
		assert.True(t, echo(ends[1]))
		g.Partition([]int{0}, []int{1, 2})
		assert.True(t, echo(ends[1]), "a group's partition does not cut its clients off")
		c.Close()
		assert.False(t, echo(ends[1]), "a closed client reaches no one")
	})
}

func TestSurveyCatchesTwoLeadersOfOneTerm(t *testing.T) {
	Run(t, Budget{}, func(w *World) {
		g := nodeGroup(w, "", 3)
		g.StartAll()
		for i := 0; i < 3; i++ {
			server(t, g, i).set(1, false)
		}
		server(t, g, 0).set(1, true)
		_, err := g.Survey()
		require.NoError(t, err)
		server(t, g, 0).set(2, false)
		server(t, g, 1).set(1, true) // a second leader of term 1, later
		_, err = g.Survey()
		require.Error(t, err)
		assert.Contains(t, err.Error(), "election safety: servers 0 and 1 both led term 1")
	})
}

func TestSurveyCatchesALeaderWithoutVotes(t *testing.T) {
	Run(t, Budget{}, func(w *World) {
		g := nodeGroup(w, "", 5)
		g.StartAll()
		server(t, g, 0).set(7, true) // everyone else is still at term 0
		_, err := g.Survey()
		require.Error(t, err)
		assert.Contains(t, err.Error(), "cannot have had the votes of a majority")

		// Crashed servers may have voted: with three down, one peer at
		// term 7 makes a majority possible.
		w.SetStep(3, "crash three")
		g.Crash(2)
		g.Crash(3)
		g.Crash(4)
		server(t, g, 1).set(7, false)
		g.leaders = map[int]int{}
		_, err = g.Survey()
		assert.NoError(t, err)
	})
}

func TestCheckOneLeaderAndAnnotations(t *testing.T) {
	Run(t, Budget{}, func(w *World) {
		g := nodeGroup(w, "", 3)
		g.StartAll()
		for i := 0; i < 3; i++ {
			server(t, g, i).set(4, i == 2)
		}
		assert.Equal(t, 2, g.CheckOneLeader())
		assert.Equal(t, 4, g.CheckTerms())
		g.Crash(1)
		time.Sleep(time.Second)
		g.Start(1)

		var tags []string
		for _, a := range w.Annotations() {
			tags = append(tags, fmt.Sprintf("%s: %s (interval %v)", a.Tag, a.Desc, !a.End.IsZero()))
		}
		assert.Contains(t, tags, "leader: 2 leads term 4 (interval true)")
		assert.Contains(t, tags, "1: down (interval true)")
		assert.Contains(t, tags, "test: crash server 1 (interval false)")
	})
}

func TestBudgetCheck(t *testing.T) {
	b := Budget{Virtual: 10 * time.Second, RPCs: 100}
	assert.NoError(t, b.check(Cost{Time: 10 * time.Second, RPCs: 100}), "spending exactly the budget is fine")
	err := b.check(Cost{Time: 11 * time.Second, RPCs: 5})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "time budget: the test took 11s of virtual time, its budget is 10s")
	err = b.check(Cost{Time: time.Second, RPCs: 101})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "RPC budget: the test made 101 RPCs, its budget is 100")
	assert.NoError(t, Budget{}.check(Cost{Time: time.Hour, RPCs: 1 << 30}), "a zero budget is unlimited")
}

func TestBlockCallsIsOneWayAndKeepsReplies(t *testing.T) {
	Run(t, Budget{}, func(w *World) {
		g := nodeGroup(w, "", 2)
		g.StartAll()
		g.BlockCalls(1, 0)
		assert.False(t, echo(server(t, g, 1).inc.Peers[0]), "1's calls to 0 are blocked")
		assert.True(t, echo(server(t, g, 0).inc.Peers[1]), "0's calls to 1, and 1's replies, still flow")
		g.Connect(1)
		assert.True(t, echo(server(t, g, 1).inc.Peers[0]), "Connect undoes the block")
	})
}
