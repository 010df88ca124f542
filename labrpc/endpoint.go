package labrpc

import (
	"math/rand/v2"
	"sync/atomic"
	"time"

	"raftlab/dlog"
)

// ClientEnd is one end of a simulated connection: calls made on it go to
// the server it is connected to.
type ClientEnd struct {
	net     *Network
	name    any
	nameStr string
	hash    uint64
	calls   atomic.Int64 // index of the next call, keys its random decisions

	// Guarded by net.mu.
	enabled   bool
	deleted   bool
	off       chan struct{} // closed while disabled; a new one per enabling
	server    any
	serverStr string
	owner     any
	ownerStr  string
}

func (e *ClientEnd) setEnabledLocked(on bool) {
	if on == e.enabled {
		return
	}
	e.enabled = on
	if on {
		e.off = make(chan struct{})
	} else {
		close(e.off)
	}
}

// fromLocked names the caller side of the end in traces and errors.
func (e *ClientEnd) fromLocked() string {
	if e.owner != nil {
		return e.ownerStr
	}
	return e.nameStr
}

// Rand returns a new generator for the owning server's own randomness
// (election timeouts), derived from the network seed and the end's name so
// that it replays with the seed. Each call returns a fresh generator with
// the same sequence: call it once, in Make.
func (e *ClientEnd) Rand() *rand.Rand {
	return newRand(e.net.seed, e.nameStr, "server")
}

// Logger returns a logger named after the end's owner (or the end, if it
// has none) writing to the network's log sink, or nil if there is none.
func (e *ClientEnd) Logger() *dlog.Logger {
	n := e.net
	n.mu.Lock()
	defer n.mu.Unlock()
	return dlog.New(e.fromLocked(), n.sink, n.topics)
}

// callRoute is what a call learns about its route when it starts.
type callRoute struct {
	from, to   string
	owner      any
	serverName any
	slot       *serverSlot // nil: no route
	off        chan struct{}
	faults     Faults
	jitter     time.Duration
	why        Outcome // NoRoute or DeadServer when slot is nil
	detail     string
	longReord  bool
	longDelays bool
	depart     time.Duration // replay mode: wait this long, then take the route again
}

// Call sends an RPC to the server the end is connected to and waits for
// the reply. svcMeth is "Service.Method"; args and reply are deep-copied
// through labgob, and reply must be a pointer to a freshly allocated value
// of the handler's reply type. Call returns true if and only if the
// handler ran and its reply was delivered into reply. Concurrent calls on
// one end are allowed and may complete in any order.
func (e *ClientEnd) Call(svcMeth string, args any, reply any) bool {
	n := e.net
	k := e.calls.Add(1) - 1
	n.totalCount.Add(1)
	d := drawDecisions(n.seed, e.hash, uint64(k))
	c := &call{net: n, end: e, k: k, method: svcMeth, d: d}
	return c.run(args, reply)
}

// route snapshots the end's connection under the lock.
func (e *ClientEnd) route() (r callRoute, cleaned bool) {
	n := e.net
	n.mu.Lock()
	defer n.mu.Unlock()
	r.from, r.to = e.fromLocked(), e.serverStr
	r.owner, r.serverName = e.owner, e.server
	r.longReord, r.longDelays = n.longReordering, n.longDelays
	r.off = e.off
	if n.jitter > 0 {
		// Any positive wait puts the final route after everything else at
		// this instant; one nanosecond keeps the timing as it was.
		r.depart = time.Nanosecond
	}
	switch {
	case e.deleted:
		r.why, r.detail = NoRoute, "end deleted"
	case !e.enabled:
		r.why, r.detail = NoRoute, "end disabled"
	case e.server == nil:
		r.why, r.detail = NoRoute, "end not connected"
	default:
		slot, ok := n.servers[e.server]
		switch {
		case !ok:
			r.why, r.detail = DeadServer, "no server "+e.serverStr
		case !n.reachableLocked(e.owner, e.server):
			r.why, r.detail = NoRoute, "partitioned or cut"
		default:
			r.slot = slot
			r.faults = n.faultsFor(e.owner, e.server)
			r.jitter = n.jitter
		}
	}
	return r, n.cleaned
}

// replyPossible reports whether a reply from slot may still reach the
// caller: same server incarnation, end still enabled, link back open.
func (n *Network) replyPossible(e *ClientEnd, r *callRoute) (bool, string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.servers[r.serverName] != r.slot {
		return false, "server deleted or replaced"
	}
	if !e.enabled || e.off != r.off {
		return false, "end disabled"
	}
	if !n.reachableLocked(r.serverName, r.owner) {
		return false, "reply link partitioned or cut"
	}
	return true, ""
}
