package labrpc

import (
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// echoServer adds an Echo server under name and returns its service.
func echoServer(n *Network, name any) *Echo {
	echo := &Echo{}
	srv := MakeServer()
	srv.AddService(MakeService(echo))
	n.AddServer(name, srv)
	return echo
}

func TestDialGivesAnOwnedConnectedEnabledEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := MakeNetworkSeed(51)
		defer n.Cleanup()
		echo := echoServer(n, "s")
		e := n.Dial("c->s", "c", "s")

		var reply EchoReply
		require.True(t, e.Call("Echo.Double", &EchoArgs{X: 4}, &reply), "a dialled end is connected and enabled")
		assert.Equal(t, 8, reply.X)

		// Only an end owned by c is cut off by a partition between c and s.
		n.Partition([]any{"c"}, []any{"s"})
		assert.False(t, e.Call("Echo.Double", &EchoArgs{X: 1}, &EchoReply{}))
		assert.Equal(t, 1, echo.Runs(), "the partition stopped the request")
		n.Heal()
		assert.True(t, e.Call("Echo.Double", &EchoArgs{X: 1}, &EchoReply{}))
		assert.Empty(t, n.Errors())
	})
}

func TestDialWithoutOwnerIsNotPartitioned(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := MakeNetworkSeed(52)
		defer n.Cleanup()
		echoServer(n, "s")
		e := n.Dial("x->s", nil, "s")
		n.Partition([]any{"c"}, []any{"s"})
		assert.True(t, e.Call("Echo.Double", &EchoArgs{}, &EchoReply{}), "an end with no owner is subject to no partition")
		tr := n.Trace()
		assert.Equal(t, "x->s", tr[len(tr)-1].From, "an end with no owner is named after itself")
	})
}

func TestDialLeavesATakenNameAlone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := MakeNetworkSeed(53)
		defer n.Cleanup()
		first := echoServer(n, "s")
		second := echoServer(n, "t")
		e := n.Dial("c->s", "c", "s")
		again := n.Dial("c->s", "d", "t")
		assert.Same(t, e, again, "the existing end is returned")
		require.Len(t, n.Errors(), 1)
		assert.Contains(t, n.Errors()[0].Error(), "Dial(c->s): an end with that name already exists")

		n.Partition([]any{"d"}, []any{"s"})
		require.True(t, e.Call("Echo.Double", &EchoArgs{}, &EchoReply{}), "still owned by c, not d")
		assert.Equal(t, 1, first.Runs(), "still connected to s, not t")
		assert.Equal(t, 0, second.Runs())
	})
}

func TestDialWithBadNameRecordsOneError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := MakeNetworkSeed(54)
		defer n.Cleanup()
		echoServer(n, "s")
		e := n.Dial("c->s", []string{"c"}, "s")
		require.Len(t, n.Errors(), 1, "one mistake, one error")
		assert.Contains(t, n.Errors()[0].Error(), "Dial: name [c] of type []string is not comparable")
		assert.False(t, e.Call("Echo.Double", &EchoArgs{}, &EchoReply{}))
	})
}
