package labrpc

import (
	"fmt"
	"math"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// within asserts that count successes of n trials with probability p lie
// within 6 standard deviations of the mean: never flaky, still catches a
// wrong rate.
func within(t *testing.T, what string, count, n int, p float64) {
	t.Helper()
	mean := float64(n) * p
	sigma := math.Sqrt(float64(n) * p * (1 - p))
	assert.InDelta(t, mean, float64(count), 6*sigma+1, "%s: %d of %d, expected rate %.3f", what, count, n, p)
}

// workload makes clients goroutines each do calls Calls on its own end
// and returns, per call, whether it succeeded and how long it took.
type result struct {
	ok  bool
	dur time.Duration
}

func workload(n *Network, clients, calls int) []result {
	srv := MakeServer()
	srv.AddService(MakeService(&Echo{}))
	n.AddServer("w", srv)
	var mu sync.Mutex
	var out []result
	var wg sync.WaitGroup
	for c := range clients {
		name := fmt.Sprintf("client%d->w", c)
		e := n.Dial(name, fmt.Sprintf("client%d", c), "w")
		wg.Go(func() {
			for i := range calls {
				start := time.Now()
				var reply EchoReply
				ok := e.Call("Echo.Double", &EchoArgs{X: i}, &reply)
				if ok && reply.X != 2*i {
					panic("wrong reply")
				}
				mu.Lock()
				out = append(out, result{ok, time.Since(start)})
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return out
}

func outcomes(n *Network) map[Outcome]int {
	return countOutcomes(n.Trace())
}

func countOutcomes(trace []TraceEvent) map[Outcome]int {
	m := map[Outcome]int{}
	for _, ev := range trace {
		m[ev.Outcome]++
	}
	return m
}

func TestUnreliableRates(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := MakeNetworkSeed(11)
		defer n.Cleanup()
		n.Reliable(false)
		const clients, calls = 10, 300
		res := workload(n, clients, calls)
		total := clients * calls
		o := outcomes(n)
		within(t, "requests dropped", o[RequestDropped], total, 0.1)
		within(t, "replies dropped", o[ReplyDropped], total, 0.9*0.1)
		within(t, "delivered", o[Delivered], total, 0.9*0.9)
		assert.Equal(t, total, o[RequestDropped]+o[ReplyDropped]+o[Delivered])
		assert.Equal(t, total-o[RequestDropped], n.GetCount("w"), "the handler runs unless the request is dropped")
		var sum time.Duration
		for _, r := range res {
			assert.Less(t, r.dur, 27*time.Millisecond)
			sum += r.dur
		}
		// Uniform over [0, 27ms): mean 13.5 ms, sigma of the mean tiny.
		assert.InDelta(t, 13.5, float64(sum)/float64(len(res))/float64(time.Millisecond), 1.5)
	})
}

func TestLongReordering(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := MakeNetworkSeed(12)
		defer n.Cleanup()
		n.LongReordering(true)
		const clients, calls = 10, 100
		res := workload(n, clients, calls)
		o := outcomes(n)
		within(t, "reordered", o[Reordered], clients*calls, 2.0/3)
		short := 0
		for _, r := range res {
			require.True(t, r.ok)
			if r.dur > 0 {
				assert.GreaterOrEqual(t, r.dur, 200*time.Millisecond)
				assert.Less(t, r.dur, 2201*time.Millisecond)
				if r.dur < 1200*time.Millisecond {
					short++
				}
			}
		}
		assert.Greater(t, short, o[Reordered]/2+o[Reordered]/8, "delays are skewed toward the short end")
	})
}

func TestDuplicates(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, e, echo := setup(13)
		defer n.Cleanup()
		n.SetFaults(Faults{Duplicates: 0.3})
		const calls = 1000
		for i := range calls {
			var reply EchoReply
			require.True(t, e.Call("Echo.Double", &EchoArgs{X: i}, &reply))
			require.Equal(t, 2*i, reply.X)
		}
		time.Sleep(time.Second) // let the duplicates land
		synctest.Wait()
		dups := outcomes(n)[Duplicated]
		within(t, "duplicates", dups, calls, 0.3)
		assert.Equal(t, calls+dups, echo.Runs())
		assert.Equal(t, calls+dups, n.GetCount("s"))
		st := n.Stats().Methods["Echo.Double"]
		assert.Equal(t, int64(dups), st.Duplicated)
		assert.Equal(t, int64(calls), st.Replies)
	})
}

func TestCustomFaultRatesAndDelays(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := MakeNetworkSeed(14)
		defer n.Cleanup()
		n.SetFaults(Faults{DropRequests: 0.25, DropReplies: 0.5, MinDelay: 5 * time.Millisecond, MaxDelay: 10 * time.Millisecond})
		res := workload(n, 4, 500)
		o := outcomes(n)
		within(t, "requests dropped", o[RequestDropped], 2000, 0.25)
		within(t, "replies dropped", o[ReplyDropped], 2000, 0.75*0.5)
		for _, r := range res {
			assert.GreaterOrEqual(t, r.dur, 5*time.Millisecond)
			assert.Less(t, r.dur, 10*time.Millisecond)
		}
	})
}

func TestLinkFaultsApplyToOneDirectedLink(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, e, _ := setup(15)
		defer n.Cleanup()
		other := n.Dial("d->s", "d", "s")
		n.SetLinkFaults("c", "s", Faults{DropRequests: 1})
		for range 20 {
			assert.False(t, e.Call("Echo.Double", &EchoArgs{}, &EchoReply{}))
			assert.True(t, other.Call("Echo.Double", &EchoArgs{}, &EchoReply{}))
		}
		n.ClearLinkFaults()
		assert.True(t, e.Call("Echo.Double", &EchoArgs{}, &EchoReply{}))
	})
}

func TestInvalidFaultsRejected(t *testing.T) {
	n := MakeNetworkSeed(16)
	defer n.Cleanup()
	n.SetFaults(Faults{DropRequests: 1.5})
	n.SetFaults(Faults{MinDelay: time.Second, MaxDelay: time.Millisecond})
	errs := n.Errors()
	require.Len(t, errs, 2)
	assert.Contains(t, errs[0].Error(), "not a probability")
	assert.Contains(t, errs[1].Error(), "not a range")
}

func TestFailureDelays(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, e, _ := setup(17)
		defer n.Cleanup()
		n.DeleteServer("s")
		var longest time.Duration
		for range 200 {
			start := time.Now()
			assert.False(t, e.Call("Echo.Double", &EchoArgs{}, &EchoReply{}))
			longest = max(longest, time.Since(start))
		}
		assert.Less(t, longest, 100*time.Millisecond)
		assert.Greater(t, longest, 50*time.Millisecond)

		n.LongDelays(true)
		longest = 0
		for range 200 {
			start := time.Now()
			assert.False(t, e.Call("Echo.Double", &EchoArgs{}, &EchoReply{}))
			longest = max(longest, time.Since(start))
		}
		assert.Less(t, longest, 7000*time.Millisecond)
		assert.Greater(t, longest, 3500*time.Millisecond)
	})
}

func TestLinkReplyDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, end, echo := setup(5)
		defer n.Cleanup()
		n.SetLinkFaults("c", "s", Faults{ReplyMinDelay: time.Second, ReplyMaxDelay: 2 * time.Second})
		for i := 0; i < 20; i++ {
			start := time.Now()
			var reply EchoReply
			require.True(t, end.Call("Echo.Double", &EchoArgs{X: i}, &reply))
			took := time.Since(start)
			assert.GreaterOrEqual(t, took, time.Second, "the reply waits at least ReplyMinDelay")
			assert.Less(t, took, 2*time.Second, "and less than ReplyMaxDelay")
			assert.Equal(t, i+1, echo.Runs(), "the handler ran at once; only the reply was late")
		}

		// The server goes away while a reply is held back: it is lost.
		var reply EchoReply
		done := make(chan bool)
		go func() { done <- end.Call("Echo.Double", &EchoArgs{X: 1}, &reply) }()
		time.Sleep(500 * time.Millisecond)
		n.DeleteServer("s")
		assert.False(t, <-done, "a held-back reply from a deleted server never arrives")

		n.SetLinkFaults("c", "s", Faults{ReplyMinDelay: 2 * time.Second, ReplyMaxDelay: time.Second})
		assert.NotEmpty(t, n.Errors(), "an inverted reply delay range is an error")
	})
}
