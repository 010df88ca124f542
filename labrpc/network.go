package labrpc

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"raftlab/dlog"
	"raftlab/internal/mix"
	"raftlab/internal/ring"
)

// Network is a simulated network of ClientEnds and Servers. All its
// methods are safe for concurrent use.
type Network struct {
	seed uint64
	done chan struct{} // closed by Cleanup

	// wg counts the network's own goroutines that Cleanup waits for:
	// duplicate deliveries. lifeMu orders wg.Add before
	// Cleanup's wg.Wait.
	lifeMu  sync.Mutex
	closing bool
	wg      sync.WaitGroup

	totalCount atomic.Int64
	totalBytes atomic.Int64

	mu             sync.Mutex
	cleaned        bool
	reliable       bool
	longReordering bool
	longDelays     bool
	faults         Faults
	jitter         time.Duration
	linkFaults     map[link]Faults
	ends           map[any]*ClientEnd
	servers        map[any]*serverSlot
	cuts           map[link]bool
	scopes         []*scope // in the order they were made; nil on the common path
	sink           dlog.Sink
	topics         dlog.Topic
	logNet         bool        // sink takes the network's events
	traceValues    atomic.Bool // logNet, read by calls without the lock: render args and replies

	trace  ring.Ring[TraceEvent]
	stats  statsTable
	errs   errorLog
	labels sync.Map // labelKey -> context.Context, for pprof
}

// serverSlot is one incarnation of a server name: replacing or deleting
// the server closes dead, which fails the calls still waiting on it.
type serverSlot struct {
	name    any
	nameStr string
	srv     *Server
	dead    chan struct{}
}

// MakeNetwork returns a network with a fresh random seed (see Seed).
func MakeNetwork() *Network {
	return MakeNetworkSeed(rand.Uint64())
}

// MakeNetworkSeed returns a network whose every random decision derives
// from seed, so a failing run can be replayed.
func MakeNetworkSeed(seed uint64) *Network {
	n := &Network{
		seed:       seed,
		done:       make(chan struct{}),
		reliable:   true,
		linkFaults: map[link]Faults{},
		ends:       map[any]*ClientEnd{},
		servers:    map[any]*serverSlot{},
		cuts:       map[link]bool{},
	}
	n.trace.SetLimit(defaultTraceLimit)
	n.stats.init()
	return n
}

// Seed returns the seed every random decision of the network derives from.
func (n *Network) Seed() uint64 { return n.seed }

// Cleanup fails every call in flight, makes later calls fail at once, and
// waits for the goroutines the network itself started. Handlers that are
// still running are the servers' business: they finish on their own.
func (n *Network) Cleanup() {
	n.mu.Lock()
	if n.cleaned {
		n.mu.Unlock()
		return
	}
	n.cleaned = true
	close(n.done)
	n.mu.Unlock()
	n.lifeMu.Lock()
	n.closing = true
	n.lifeMu.Unlock()
	n.wg.Wait()
}

// track counts a goroutine of the network's own in wg, unless Cleanup has
// begun; the goroutine calls n.wg.Done when it ends.
func (n *Network) track() bool {
	n.lifeMu.Lock()
	defer n.lifeMu.Unlock()
	if n.closing {
		return false
	}
	n.wg.Add(1)
	return true
}

// Reliable(false) drops 10% of requests and 10% of replies and delays each
// request by up to 27 ms.
func (n *Network) Reliable(yes bool) {
	n.mu.Lock()
	n.reliable = yes
	n.mu.Unlock()
}

// LongReordering(true) delays two thirds of the replies by 200 to 2200 ms.
func (n *Network) LongReordering(yes bool) {
	n.mu.Lock()
	n.longReordering = yes
	n.mu.Unlock()
}

// LongDelays(true) makes calls that cannot be delivered fail after up to
// 7 s instead of up to 100 ms.
func (n *Network) LongDelays(yes bool) {
	n.mu.Lock()
	n.longDelays = yes
	n.mu.Unlock()
}

// SetLogSink makes the network log its decisions (under dlog.Network, if
// topics includes it) to sink, and gives ClientEnd.Logger a destination.
func (n *Network) SetLogSink(sink dlog.Sink, topics dlog.Topic) {
	n.mu.Lock()
	n.sink, n.topics = sink, topics
	n.logNet = sink != nil && topics&dlog.Network != 0
	n.traceValues.Store(n.logNet)
	n.mu.Unlock()
}

// MakeEnd creates a client end, disabled and unconnected. Use names that
// are the same from run to run (e.g. "0->1"): the end's random decisions
// derive from its name.
func (n *Network) MakeEnd(endname any) *ClientEnd {
	if !n.comparable("MakeEnd", endname) {
		return deadEnd(n, endname)
	}
	e, _ := n.makeEnd("MakeEnd", endname)
	return e
}

// Dial makes an end named endname, owned by owner, connected to server and
// enabled: MakeEnd, SetOwner, Connect and Enable in one call, as nearly
// every test wires its ends. A nil owner leaves the end without one, so
// partitions, cuts and link faults do not apply to it. If an end named
// endname already exists, that is recorded as an error and the existing
// end is returned as it is: rewiring it would silently change the
// connections of whoever made it.
func (n *Network) Dial(endname, owner, server any) *ClientEnd {
	if !n.comparable("Dial", endname, owner, server) {
		return deadEnd(n, endname)
	}
	e, created := n.makeEnd("Dial", endname)
	if !created {
		return e
	}
	if owner != nil {
		n.SetOwner(endname, owner)
	}
	n.Connect(endname, server)
	n.Enable(endname, true)
	return e
}

// makeEnd registers a new end, or reports (for op) that the name is taken
// and returns the end that holds it.
func (n *Network) makeEnd(op string, endname any) (e *ClientEnd, created bool) {
	n.mu.Lock()
	if e, ok := n.ends[endname]; ok {
		n.mu.Unlock()
		n.fail(fmt.Errorf("labrpc: %s(%v): an end with that name already exists; give each end a unique name (the existing end is returned)", op, endname))
		return e, false
	}
	s := fmt.Sprint(endname)
	e = &ClientEnd{net: n, name: endname, nameStr: s, hash: mix.String(s), off: closedChan}
	n.ends[endname] = e
	n.mu.Unlock()
	return e, true
}

// deadEnd stands in for an end whose name was refused: calls on it fail
// instead of crashing the caller on a nil end.
func deadEnd(n *Network, endname any) *ClientEnd {
	return &ClientEnd{net: n, name: endname, nameStr: fmt.Sprint(endname), deleted: true, off: closedChan}
}

// DeleteEnd removes an end; calls on it fail from then on.
func (n *Network) DeleteEnd(endname any) {
	if !n.comparable("DeleteEnd", endname) {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	e, ok := n.ends[endname]
	if !ok {
		return
	}
	delete(n.ends, endname)
	e.deleted = true
	e.setEnabledLocked(false)
}

// AddServer adds server under servername, replacing (as DeleteServer
// would) any server already there.
func (n *Network) AddServer(servername any, server *Server) {
	if !n.comparable("AddServer", servername) {
		return
	}
	if server == nil {
		n.fail(fmt.Errorf("labrpc: AddServer(%v, nil): pass a *Server from MakeServer", servername))
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	detail := "server added"
	if old, ok := n.servers[servername]; ok {
		close(old.dead)
		detail = "server replaced"
	}
	slot := &serverSlot{name: servername, nameStr: fmt.Sprint(servername), srv: server, dead: make(chan struct{})}
	n.servers[servername] = slot
	n.topologyLocked(ServerChange, "", slot.nameStr, detail)
}

// DeleteServer removes a server. Calls waiting on it fail at once, and no
// reply of it is delivered afterwards.
func (n *Network) DeleteServer(servername any) {
	if !n.comparable("DeleteServer", servername) {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if old, ok := n.servers[servername]; ok {
		close(old.dead)
		delete(n.servers, servername)
		n.topologyLocked(ServerChange, "", old.nameStr, "server deleted")
	}
}

// Connect attaches an end to a server name (the server may be added later).
func (n *Network) Connect(endname, servername any) {
	if !n.comparable("Connect", endname, servername) {
		return
	}
	e := n.endLocking(endname)
	if e == nil {
		n.fail(fmt.Errorf("labrpc: Connect(%v, %v): no end named %v; call MakeEnd first", endname, servername, endname))
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	e.server = servername
	e.serverStr = fmt.Sprint(servername)
}

// Enable turns an end on or off. Disabling fails the calls in flight on it.
func (n *Network) Enable(endname any, enabled bool) {
	if !n.comparable("Enable", endname) {
		return
	}
	e := n.endLocking(endname)
	if e == nil {
		n.fail(fmt.Errorf("labrpc: Enable(%v, %v): no end named %v; call MakeEnd first", endname, enabled, endname))
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if e.enabled == enabled || e.deleted {
		return
	}
	e.setEnabledLocked(enabled)
	state := "disabled"
	if enabled {
		state = "enabled"
	}
	n.topologyLocked(PartitionChange, e.fromLocked(), e.serverStr, "end "+e.nameStr+" "+state)
}

// SetOwner declares that calls on end endname are made by node owner (a
// server or client name). Link faults, cuts and partitions apply between
// owner and the server the end is connected to; ends without an owner are
// not subject to them. Use the same values for owners as for server names.
func (n *Network) SetOwner(endname, owner any) {
	if !n.comparable("SetOwner", endname, owner) {
		return
	}
	e := n.endLocking(endname)
	if e == nil {
		n.fail(fmt.Errorf("labrpc: SetOwner(%v, %v): no end named %v; call MakeEnd first", endname, owner, endname))
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	e.owner = owner
	e.ownerStr = fmt.Sprint(owner)
}

// GetCount returns how many requests were delivered to servername's
// handlers (a duplicated request counts twice).
func (n *Network) GetCount(servername any) int {
	if !n.comparable("GetCount", servername) {
		return 0
	}
	n.mu.Lock()
	slot, ok := n.servers[servername]
	n.mu.Unlock()
	if !ok {
		return 0
	}
	return slot.srv.GetCount()
}

// GetTotalCount returns how many Calls were made on all ends.
func (n *Network) GetTotalCount() int { return int(n.totalCount.Load()) }

// GetTotalBytes returns the request bytes of every Call plus the reply
// bytes of every delivered reply, each the size labgob.Copy gives the
// value: its gob encoding without type definitions, the same for equal
// values whatever was sent before.
func (n *Network) GetTotalBytes() int64 { return n.totalBytes.Load() }

// comparable reports (as an error) names that cannot be map keys, which
// would otherwise crash the test binary.
func (n *Network) comparable(op string, names ...any) bool {
	for _, v := range names {
		if v != nil && !reflect.TypeOf(v).Comparable() {
			n.fail(fmt.Errorf("labrpc: %s: name %v of type %T is not comparable; use strings or ints as names", op, v, v))
			return false
		}
	}
	return true
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// sleep waits d, or less if the network is cleaned up or stop is closed.
// It reports whether the whole d passed.
func (n *Network) sleep(d time.Duration, stop <-chan struct{}) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-n.done:
		return false
	case <-stop:
		return false
	}
}

func (n *Network) endLocking(endname any) *ClientEnd {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.ends[endname]
}
