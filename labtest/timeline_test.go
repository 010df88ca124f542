package labtest

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"raftlab/dlog"
	"raftlab/labrpc"
)

func texts(lines []line) []string {
	var out []string
	for _, l := range lines {
		out = append(out, l.text)
	}
	return out
}

// Whether the network's events reach the timeline through its log (its
// topic on) or through its trace (topic off), they read the same, in the
// columns of every other line and without a clock of their own.
func TestNetworkEventsReadTheSameFromLogAndTrace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		net := labrpc.MakeNetworkSeed(3)
		defer net.Cleanup()
		logged := dlog.NewBuffer(100)
		net.SetLogSink(logged, dlog.Network)
		srv := labrpc.MakeServer()
		srv.AddService(labrpc.MakeService(&echo{}))
		net.AddServer("s", srv)
		end := net.Dial("c->s", "c", "s")
		time.Sleep(1500 * time.Millisecond)
		require.True(t, end.Call("echo.Echo", &EchoArgs{X: 1}, &EchoReply{}))
		net.PartitionScope("g1", []any{"c"}, []any{"s"})

		entries, _ := logged.Entries()
		fromLog := texts(timeline(start, entries, net.Trace(), true))
		fromTrace := texts(timeline(start, nil, net.Trace(), false))
		assert.Equal(t, []string{
			"    0.000000s network  net    server-change ->s server added",
			"    0.000000s network  net    partition-change c->s end c->s enabled",
			"    1.500000s network  net    c->s echo.Echo #0 (end c->s) delivered args={X:1} reply={X:1}",
			"    1.500000s network  net    partition-change -> partition[g1] [c] [s]",
		}, fromLog)
		assert.Equal(t, fromLog, fromTrace)
	})
}
