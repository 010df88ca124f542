package labtest

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"raftlab/labrpc"
)

// echo is a tiny labrpc service for the harness's own tests.
type echo struct {
	mu    sync.Mutex
	calls int
}

type EchoArgs struct{ X int }
type EchoReply struct{ X int }

func (e *echo) Echo(args *EchoArgs, reply *EchoReply) {
	e.mu.Lock()
	e.calls++
	e.mu.Unlock()
	reply.X = args.X
}

// startEcho starts an echo server named name on h's network.
func startEcho(h *H, name string) *echo {
	e := &echo{}
	h.StartServer(name, func() {
		srv := labrpc.MakeServer()
		srv.AddService(labrpc.MakeService(e))
		h.Net().AddServer(name, srv)
	})
	return e
}

// dialEcho makes the end "c->s" to the server "s" and enables it; a
// non-empty owner names the node the calls come from (labrpc's SetOwner).
func dialEcho(h *H, owner string) *labrpc.ClientEnd {
	var o any // an empty owner must stay nil: "" would be a node of its own
	if owner != "" {
		o = owner
	}
	return h.Net().Dial("c->s", o, "s")
}

func TestRunVirtualTime(t *testing.T) {
	var took time.Duration
	var realtime bool
	real0 := time.Now()
	Run(t, func(h *H) {
		realtime = h.Realtime()
		startEcho(h, "s0")
		end := h.Net().Dial("c->s0", nil, "s0")
		h.ServersStarted()
		d := 30 * time.Second
		if realtime {
			d = 300 * time.Millisecond
		}
		t0 := time.Now()
		time.Sleep(d)
		var reply EchoReply
		require.True(h.T(), end.Call("echo.Echo", &EchoArgs{X: 7}, &reply))
		assert.Equal(h.T(), 7, reply.X)
		took = time.Since(t0)
		h.Action("done")
	})
	if realtime {
		assert.GreaterOrEqual(t, took, 300*time.Millisecond)
	} else {
		assert.GreaterOrEqual(t, took, 30*time.Second)
	}
	if !realtime {
		assert.Less(t, time.Since(real0), 10*time.Second, "virtual time must not take real time")
	}
}
