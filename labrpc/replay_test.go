package labrpc

import (
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chaos runs a fixed concurrent workload on a 5-node mesh with every fault
// on, and servers that call each other from handlers, while reshape
// changes the topology; it returns the network's trace.
func chaos(t *testing.T, seed uint64, reshape func(net *Network)) []TraceEvent {
	var trace []TraceEvent
	synctest.Test(t, func(t *testing.T) {
		net := MakeNetworkSeed(seed)
		net.Reliable(false)
		net.LongReordering(true)
		net.SetFaults(Faults{Duplicates: 0.1})
		const size = 5
		ends := mesh(t, net, size)
		var wg sync.WaitGroup
		for i := range size {
			r := ends[i][i].Rand()
			wg.Go(func() {
				for k := range 40 {
					var cwg sync.WaitGroup
					for j := range size {
						if j == i {
							continue
						}
						cwg.Go(func() { ends[i][j].Call("Echo.Double", &EchoArgs{X: k}, &EchoReply{}) })
					}
					cwg.Wait()
					time.Sleep(time.Duration(r.IntN(50_000)) * time.Microsecond)
				}
			})
		}
		reshape(net)
		wg.Wait()
		net.Cleanup()
		trace = net.Trace()
	})
	return trace
}

type callKey struct {
	end  string
	call int64
}

func outcomesByCall(trace []TraceEvent) map[callKey][]Outcome {
	m := map[callKey][]Outcome{}
	for _, ev := range trace {
		if ev.End != "" {
			k := callKey{ev.End, ev.Call}
			m[k] = append(m[k], ev.Outcome)
		}
	}
	return m
}

// ringMidway partitions the mesh into a majorities ring for a while.
func ringMidway(net *Network) {
	time.Sleep(2 * time.Second)
	net.Partition(MajoritiesRing(nodes(5))...)
	time.Sleep(3 * time.Second)
	net.Heal()
}

func TestSeededReplay(t *testing.T) {
	first := chaos(t, 42, ringMidway)
	require.Greater(t, len(first), 800)
	o := countOutcomes(first)
	for _, want := range []Outcome{Delivered, RequestDropped, ReplyDropped, Reordered, Duplicated, NoRoute, PartitionChange} {
		assert.Positive(t, o[want], "the workload exercises %s", want)
	}
	for run := range 20 {
		again := chaos(t, 42, ringMidway)
		require.Equal(t, outcomesByCall(first), outcomesByCall(again), "run %d: per-call outcomes differ", run)
		require.Equal(t, first, again, "run %d: traces differ", run)
	}
	other := chaos(t, 43, ringMidway)
	assert.NotEqual(t, outcomesByCall(first), outcomesByCall(other), "another seed, other decisions")
}

func TestRandReplaysWithSeed(t *testing.T) {
	a := MakeNetworkSeed(5)
	b := MakeNetworkSeed(5)
	c := MakeNetworkSeed(6)
	ea, eb, ec := a.MakeEnd("0->0"), b.MakeEnd("0->0"), c.MakeEnd("0->0")
	other := a.MakeEnd("1->1")
	ra, rb, rc, ro := ea.Rand(), eb.Rand(), ec.Rand(), other.Rand()
	var sa, sb, sc, so []uint64
	for range 10 {
		sa, sb, sc, so = append(sa, ra.Uint64()), append(sb, rb.Uint64()), append(sc, rc.Uint64()), append(so, ro.Uint64())
	}
	assert.Equal(t, sa, sb)
	assert.NotEqual(t, sa, sc)
	assert.NotEqual(t, sa, so)
	assert.NotEqual(t, MakeNetwork().Seed(), MakeNetwork().Seed())
	assert.Equal(t, uint64(5), a.Seed())
}

// A seed printed by an earlier version must make the same decisions now:
// these values pin how a call's decisions and a server's Rand derive from
// the seed and the end's name.
func TestSeedsKeepTheirDecisions(t *testing.T) {
	assert.Equal(t, uint64(13510050980006649852), MakeNetworkSeed(5).MakeEnd("0->0").Rand().Uint64())
	d := drawDecisions(5, MakeNetworkSeed(5).MakeEnd("c->s").hash, 3)
	assert.Equal(t, uint64(1082172737653998561), d.reqDelay)
	assert.Equal(t, uint64(7427764621875491393), d.jitter)
}

func TestTraceIsBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, e, _ := setup(41)
		defer n.Cleanup()
		before := len(n.Trace())
		n.SetTraceLimit(10)
		for i := range 25 {
			require.True(t, e.Call("Echo.Double", &EchoArgs{X: i}, &EchoReply{}))
		}
		tr := n.Trace()
		require.Len(t, tr, 10)
		assert.Equal(t, int64(24), tr[9].Call)
		assert.Equal(t, int64(15), tr[0].Call)
		assert.Equal(t, before+25-10, n.TraceDropped())
		assert.Contains(t, tr[9].String(), "c->s Echo.Double #24 (end c->s) delivered")
		assert.NotEmpty(t, fmt.Sprint(tr))
	})
}
