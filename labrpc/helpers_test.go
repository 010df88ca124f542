package labrpc

import (
	"fmt"
	"sync"
)

type EchoArgs struct {
	X    int
	Text string
}

type EchoReply struct {
	X    int
	Text string
}

// Echo is the service most tests talk to; it counts its handler runs.
type Echo struct {
	mu    sync.Mutex
	runs  int
	block chan struct{} // if non-nil, Slow waits on it
}

func (e *Echo) Double(args *EchoArgs, reply *EchoReply) {
	e.mu.Lock()
	e.runs++
	e.mu.Unlock()
	reply.X = 2 * args.X
	reply.Text = args.Text
}

func (e *Echo) Slow(args *EchoArgs, reply *EchoReply) {
	<-e.block
	reply.X = args.X
}

func (e *Echo) Panic(args *EchoArgs, reply *EchoReply) {
	panic("boom")
}

func (e *Echo) Runs() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.runs
}

// setup makes a network with one Echo server "s" and an enabled end
// "c->s" owned by "c".
func setup(seed uint64) (*Network, *ClientEnd, *Echo) {
	n := MakeNetworkSeed(seed)
	echo := &Echo{}
	srv := MakeServer()
	srv.AddService(MakeService(echo))
	n.AddServer("s", srv)
	return n, n.Dial("c->s", "c", "s"), echo
}

func endName(from, to int) string { return fmt.Sprintf("%d->%d", from, to) }
