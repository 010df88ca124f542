package labrpc

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Jitter spreads deliveries of a reliable network over sub-millisecond
// instants: every call is delayed by less than the jitter, and the calls do
// not all land at the same instant.
func TestJitterDelaysEveryCallWithinBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		net, end, _ := setup(7)
		defer net.Cleanup()
		const jitter = 500 * time.Microsecond
		net.SetJitter(jitter)

		seen := map[time.Duration]bool{}
		for range 200 {
			start := time.Now()
			reply := &EchoReply{}
			require.True(t, end.Call("Echo.Double", &EchoArgs{X: 1}, reply), "a reliable network with jitter must still deliver")
			took := time.Since(start)
			assert.Less(t, took, jitter, "jitter must stay below its bound")
			seen[took] = true
		}
		assert.Greater(t, len(seen), 150, "jitter must give calls distinct delays")
	})
}

func TestJitterOffByDefaultAndRejectsNegative(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		net, end, _ := setup(7)
		defer net.Cleanup()
		start := time.Now()
		require.True(t, end.Call("Echo.Double", &EchoArgs{X: 1}, &EchoReply{}))
		assert.Zero(t, time.Since(start), "a reliable network without jitter delivers at once")

		net.SetJitter(-time.Millisecond)
		require.Len(t, net.Errors(), 1)
		assert.Contains(t, net.Errors()[0].Error(), "zero (off) or positive")
	})
}
