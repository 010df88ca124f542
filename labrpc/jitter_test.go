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

// sameInstantChange makes one call and sets its end's state to enabled at
// the same instant of virtual time: if callFirst, the caller's goroutine
// starts and runs until it blocks before the change, otherwise the change
// comes first. It returns the call's result, its deliveries to the
// handler, its duration and its trace event.
func sameInstantChange(t *testing.T, enabled, callFirst bool) (ok bool, delivered int64, took time.Duration, ev TraceEvent) {
	synctest.Test(t, func(t *testing.T) {
		net, end, _ := setup(9)
		defer net.Cleanup()
		net.SetJitter(500 * time.Microsecond)
		net.Enable("c->s", !enabled)
		start := time.Now()
		done := make(chan bool)
		call := func() { done <- end.Call("Echo.Double", &EchoArgs{X: 1}, &EchoReply{}) }
		if callFirst {
			go call()
			synctest.Wait()
			net.Enable("c->s", enabled)
		} else {
			net.Enable("c->s", enabled)
			go call()
		}
		ok = <-done
		took = time.Since(start)
		delivered = net.Stats().Methods["Echo.Double"].Delivered
		tr := net.Trace()
		require.NotEmpty(t, tr)
		ev = tr[len(tr)-1]
		ev.At = time.Time{}
	})
	return
}

// Goroutines woken at one instant run in no fixed order, so a call and a
// topology change made at the same instant must not depend on which runs
// first: with jitter on (replay mode), a call takes its route at the end of
// the instant it is made.
func TestJitterCallSeesSameInstantTopologyChange(t *testing.T) {
	for _, enabled := range []bool{false, true} {
		okA, delA, tookA, evA := sameInstantChange(t, enabled, true)
		okB, delB, tookB, evB := sameInstantChange(t, enabled, false)
		assert.Equal(t, enabled, okB)
		assert.Equal(t, okB, okA, "result")
		assert.Equal(t, delB, delA, "deliveries")
		assert.Equal(t, tookB, tookA, "duration")
		assert.Equal(t, evB, evA, "trace event")
	}
}
