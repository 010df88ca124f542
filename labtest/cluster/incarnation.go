package cluster

import (
	"fmt"
	"sync"
	"time"

	"raftlab/dlog"
	"raftlab/labrpc"
	"raftlab/persist"
)

// Incarnation is one life of a server, between a start and a crash: what
// a GroupSpec's Start gets to build the server with.
type Incarnation struct {
	// Peers are the ends to the group's servers, Peers[Me] included,
	// enabled as the topology allows.
	Peers []*labrpc.ClientEnd
	Me    int
	// Name is the server's network name; Number counts its incarnations
	// from 1.
	Name      any
	Number    int
	Persister *persist.Persister

	w *World

	mu       sync.Mutex
	ends     []*labrpc.ClientEnd // every end made, disabled at crash
	names    []string
	made     map[string]int // MakeEnd: target -> ends made to it so far
	disabled bool
}

// MakeEnd returns a new enabled end from this incarnation to the server
// named server: the classic make_end, for servers that talk to other
// groups. The crash of this incarnation disables it.
func (inc *Incarnation) MakeEnd(server string) *labrpc.ClientEnd {
	return inc.dial(server, true)
}

// EndsTo returns ends from this incarnation to every server of g, enabled,
// in g's order (a shardkv server's ends to the shard controllers, say).
func (inc *Incarnation) EndsTo(g Servers) []*labrpc.ClientEnd {
	out := make([]*labrpc.ClientEnd, g.N())
	for j := range out {
		out[j] = inc.dial(g.ServerName(j), true)
	}
	return out
}

// Go runs f on a helper goroutine of the test named after the incarnation
// (labtest.H.Go: a panic fails the test).
func (inc *Incarnation) Go(name string, f func()) {
	inc.w.H.Go(fmt.Sprintf("%v.%d/%s", inc.Name, inc.Number, name), f)
}

// Logger returns a logger whose lines land in the run's timeline under
// the server's name.
func (inc *Incarnation) Logger() *dlog.Logger { return inc.w.H.Logger(fmt.Sprint(inc.Name)) }

// dial makes the next end of this incarnation to server, named from
// (name, incarnation, target, k) so that a seed replays.
func (inc *Incarnation) dial(server any, enabled bool) *labrpc.ClientEnd {
	inc.mu.Lock()
	defer inc.mu.Unlock()
	if inc.made == nil {
		inc.made = map[string]int{}
	}
	target := fmt.Sprint(server)
	k := inc.made[target]
	inc.made[target]++
	name := fmt.Sprintf("%v/%d->%s", inc.Name, inc.Number, target)
	if k > 0 {
		name += fmt.Sprintf("#%d", k)
	}
	net := inc.w.Net
	var e *labrpc.ClientEnd
	if enabled && !inc.disabled {
		e = net.Dial(name, inc.Name, server)
	} else {
		// A peer end waits for Connect to enable it.
		e = net.MakeEnd(name)
		net.SetOwner(name, inc.Name)
		net.Connect(name, server)
	}
	inc.ends = append(inc.ends, e)
	inc.names = append(inc.names, name)
	return e
}

// peerEnd returns the name of the end to peer j.
func (inc *Incarnation) peerEnd(j int) string {
	inc.mu.Lock()
	defer inc.mu.Unlock()
	return inc.names[j]
}

// disable turns off every end the incarnation made, now and later.
func (inc *Incarnation) disable() {
	inc.mu.Lock()
	inc.disabled = true
	names := append([]string(nil), inc.names...)
	inc.mu.Unlock()
	for _, name := range names {
		inc.w.Net.Enable(name, false)
	}
}

func (inc *Incarnation) isDisabled() bool {
	inc.mu.Lock()
	defer inc.mu.Unlock()
	return inc.disabled
}

func nowTime() time.Time { return time.Now() }
