package labrpc

import (
	"math/rand/v2"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDeletedServerFailsWithin100ms(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, e, echo := setup(21)
		defer n.Cleanup()
		echo.block = make(chan struct{})
		defer close(echo.block)
		done := make(chan time.Duration)
		go func() {
			start := time.Now()
			ok := e.Call("Echo.Slow", &EchoArgs{X: 1}, &EchoReply{})
			assert.False(t, ok)
			done <- time.Since(start)
		}()
		time.Sleep(time.Second)
		n.DeleteServer("s")
		assert.Less(t, <-done, time.Second+100*time.Millisecond)
	})
}

func TestDisabledEndFailsCallInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, e, echo := setup(22)
		defer n.Cleanup()
		echo.block = make(chan struct{})
		defer close(echo.block)
		done := make(chan bool)
		go func() { done <- e.Call("Echo.Slow", &EchoArgs{X: 1}, &EchoReply{}) }()
		time.Sleep(50 * time.Millisecond)
		n.Enable("c->s", false)
		start := time.Now()
		assert.False(t, <-done)
		assert.Less(t, time.Since(start), 100*time.Millisecond)
	})
}

func TestNoReplyFromReplacedServer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, e, echo := setup(23)
		defer n.Cleanup()
		echo.block = make(chan struct{})
		done := make(chan bool)
		reply := &EchoReply{}
		go func() { done <- e.Call("Echo.Slow", &EchoArgs{X: 7}, reply) }()
		time.Sleep(10 * time.Millisecond)
		srv := MakeServer()
		srv.AddService(MakeService(&Echo{}))
		n.AddServer("s", srv) // a restart: the old incarnation is gone
		close(echo.block)     // the old handler finishes now
		assert.False(t, <-done)
		assert.Equal(t, EchoReply{}, *reply, "nothing from the old server may arrive")
		assert.True(t, e.Call("Echo.Double", &EchoArgs{X: 2}, &EchoReply{}), "the new server answers")
	})
}

func TestNoReplyFromServerDeletedDuringReordering(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, e, _ := setup(24)
		defer n.Cleanup()
		n.LongReordering(true)
		var inFlight int
		results := make(chan bool, 50)
		for range 50 {
			inFlight++
			go func() { results <- e.Call("Echo.Double", &EchoArgs{X: 1}, &EchoReply{}) }()
		}
		time.Sleep(100 * time.Millisecond) // all handlers ran; ~2/3 of replies held back
		n.DeleteServer("s")
		late := 0
		for range inFlight {
			if !<-results {
				late++
			}
		}
		within(t, "held-back replies lost with the server", late, 50, 2.0/3)
	})
}

func TestOneWayCut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, e, echo := setup(25)
		defer n.Cleanup()
		// A server "c" that "s" can call back, to check the other direction.
		back := &Echo{}
		srv := MakeServer()
		srv.AddService(MakeService(back))
		n.AddServer("c", srv)
		sToC := n.Dial("s->c", "s", "c")

		n.Cut("c", "s") // c can no longer reach s
		assert.False(t, e.Call("Echo.Double", &EchoArgs{}, &EchoReply{}))
		assert.Equal(t, 0, echo.Runs(), "the request never arrived")
		assert.False(t, sToC.Call("Echo.Double", &EchoArgs{}, &EchoReply{}))
		assert.Equal(t, 1, back.Runs(), "s still reaches c, but c's reply cannot travel back to s")

		n.Uncut("c", "s")
		assert.True(t, e.Call("Echo.Double", &EchoArgs{}, &EchoReply{}))
		assert.True(t, sToC.Call("Echo.Double", &EchoArgs{}, &EchoReply{}))

		n.Cut("c", "s")
		n.Heal()
		assert.True(t, e.Call("Echo.Double", &EchoArgs{}, &EchoReply{}))
	})
}

// mesh builds n Echo servers 0..n-1 with ends i->j owned by i.
func mesh(t *testing.T, net *Network, size int) [][]*ClientEnd {
	ends := make([][]*ClientEnd, size)
	for j := range size {
		srv := MakeServer()
		srv.AddService(MakeService(&Echo{}))
		net.AddServer(j, srv)
	}
	for i := range size {
		ends[i] = make([]*ClientEnd, size)
		for j := range size {
			ends[i][j] = net.Dial(endName(i, j), i, j)
		}
	}
	return ends
}

// reach returns, for each node, the set of nodes its calls get through to.
func reach(net *Network, ends [][]*ClientEnd) [][]int {
	out := make([][]int, len(ends))
	for i := range ends {
		for j := range ends {
			if ends[i][j].Call("Echo.Double", &EchoArgs{}, &EchoReply{}) {
				out[i] = append(out[i], j)
			}
		}
	}
	return out
}

func nodes(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func TestPartitionSemantics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		net := MakeNetworkSeed(26)
		defer net.Cleanup()
		ends := mesh(t, net, 5)
		// 4 is named in no group: unaffected. 1 is in both groups.
		net.Partition([]any{0, 1}, []any{1, 2, 3})
		assert.Equal(t, [][]int{{0, 1, 4}, {0, 1, 2, 3, 4}, {1, 2, 3, 4}, {1, 2, 3, 4}, {0, 1, 2, 3, 4}}, reach(net, ends))
		net.Heal()
		for _, r := range reach(net, ends) {
			assert.Len(t, r, 5)
		}
		var changes int
		for _, ev := range net.Trace() {
			if ev.Outcome == PartitionChange {
				changes++
			}
		}
		assert.Equal(t, 2+25, changes, "25 enables, a partition, a heal")
	})
}

func TestPartitionShapes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const size = 7
		net := MakeNetworkSeed(27)
		defer net.Cleanup()
		ends := mesh(t, net, size)
		r := rand.New(rand.NewPCG(1, 2))

		net.Partition(IsolateOne(nodes(size), 3)...)
		got := reach(net, ends)
		assert.Equal(t, []int{3}, got[3])
		assert.Equal(t, []int{0, 1, 2, 4, 5, 6}, got[0])

		halves := Halves(nodes(size), r)
		require.Len(t, halves, 2)
		assert.Len(t, halves[0], size/2)
		assert.Len(t, halves[1], size-size/2)
		net.Partition(halves...)
		got = reach(net, ends)
		for _, h := range halves {
			for _, a := range h {
				assert.Len(t, got[a.(int)], len(h))
			}
		}

		br := Bridge(nodes(size), r)
		net.Partition(br...)
		got = reach(net, ends)
		bridge := br[0][0]
		assert.Contains(t, br[1], bridge)
		assert.Len(t, got[bridge.(int)], size)
		for _, node := range br[0][1:] {
			assert.Len(t, got[node.(int)], len(br[0]))
		}
	})
}

func TestMajoritiesRing(t *testing.T) {
	for _, size := range []int{1, 3, 4, 5, 6, 7, 8, 9} {
		synctest.Test(t, func(t *testing.T) {
			net := MakeNetworkSeed(28)
			defer net.Cleanup()
			ends := mesh(t, net, size)
			net.Partition(MajoritiesRing(nodes(size))...)
			got := reach(net, ends)
			for i, r := range got {
				assert.Greater(t, len(r), size/2, "n=%d: node %d sees %v, not a majority", size, i, r)
				for j := range i {
					assert.False(t, slices.Equal(got[j], r), "n=%d: nodes %d and %d see the same set %v", size, j, i, r)
				}
			}
		})
	}
	assert.PanicsWithValue(t, "labrpc.MajoritiesRing: impossible with 2 nodes: every node must see a majority and no two the same set; use 1 or at least 3 nodes",
		func() { MajoritiesRing(nodes(2)) })
}

func TestCleanupEndsCallsInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, e, _ := setup(29)
		n.LongDelays(true)
		n.LongReordering(true)
		n.SetFaults(Faults{Duplicates: 1, MaxDelay: time.Second})
		n.DeleteEnd("c->s")
		done := make(chan bool, 20)
		for range 10 {
			go func() { done <- e.Call("Echo.Double", &EchoArgs{}, &EchoReply{}) }()
		}
		e2 := n.Dial("x", nil, "s")
		for range 10 {
			go func() { done <- e2.Call("Echo.Double", &EchoArgs{}, &EchoReply{}) }()
		}
		time.Sleep(time.Millisecond)
		n.Cleanup()
		for range 20 {
			<-done
		}
		assert.False(t, e2.Call("Echo.Double", &EchoArgs{}, &EchoReply{}))
		// The bubble ending proves no network goroutine is left behind.
	})
}

func TestBubbleEndsWithoutCleanup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, e, _ := setup(30)
		for range 10 {
			require.True(t, e.Call("Echo.Double", &EchoArgs{}, &EchoReply{}))
		}
		// The bubble ending at all proves no goroutine outlives the calls.
	})
}

func TestShapesWithoutRand(t *testing.T) {
	assert.Equal(t, [][]any{{0, 1}, {2, 3, 4}}, Halves(nodes(5), nil))
	assert.Equal(t, [][]any{{0, 1, 2}, {0, 3, 4}}, Bridge(nodes(5), nil))
	assert.Equal(t, [][]any{{2}, {0, 1, 3, 4}}, IsolateOne(nodes(5), 2))
	assert.Equal(t, [][]any{{0, 1}, {1, 2}}, MajoritiesRing(nodes(3)))
}
