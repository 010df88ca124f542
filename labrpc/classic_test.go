package labrpc

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBasicCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, e, echo := setup(1)
		defer n.Cleanup()
		var reply EchoReply
		require.True(t, e.Call("Echo.Double", &EchoArgs{X: 21, Text: "hi"}, &reply))
		assert.Equal(t, EchoReply{X: 42, Text: "hi"}, reply)
		assert.Equal(t, 1, echo.Runs())
		assert.Equal(t, 1, n.GetCount("s"))
		assert.Equal(t, 1, n.GetTotalCount())
		assert.Empty(t, n.Errors())
	})
}

func TestCallOnWallClock(t *testing.T) {
	n, e, _ := setup(2)
	defer n.Cleanup()
	var reply EchoReply
	require.True(t, e.Call("Echo.Double", &EchoArgs{X: 1}, &reply))
	assert.Equal(t, 2, reply.X)
}

func TestDisabledEndFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, e, echo := setup(3)
		defer n.Cleanup()
		n.Enable("c->s", false)
		start := time.Now()
		assert.False(t, e.Call("Echo.Double", &EchoArgs{X: 1}, &EchoReply{}))
		assert.Less(t, time.Since(start), 100*time.Millisecond)
		assert.Equal(t, 0, echo.Runs())
		assert.Equal(t, 0, n.GetCount("s"))
	})
}
