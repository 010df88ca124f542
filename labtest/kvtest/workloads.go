package kvtest

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"raftlab/labtest/cluster"
)

// Servers is what the workloads need of a replica group: the servers'
// names, and crashing, restarting and partitioning them all.
// *cluster.Group satisfies it for any server type.
type Servers interface {
	cluster.Servers
	StartAll()
	CrashAll()
	Partition(sides ...[]int)
	Heal()
	MaxRaftStateSize() int
}

var _ Servers = (*cluster.Group[any])(nil)

// CrashMode says whether Generic crashes the servers between phases.
type CrashMode int

const (
	NoCrashes CrashMode = iota
	// CrashAndRestart crashes every server once the clients are told to
	// stop, while some may still be inside a call, and restarts them all
	// from their Persisters.
	CrashAndRestart
)

func (m CrashMode) String() string {
	if m == CrashAndRestart {
		return "crash and restart"
	}
	return "no crashes"
}

// PartitionMode says whether Generic partitions the servers while the
// clients run.
type PartitionMode int

const (
	NoPartitions PartitionMode = iota
	// RandomPartitions splits the group in two random sides (each server
	// on a side by a coin toss) at the start of a phase and again about
	// every election timeout, and heals it when the phase ends. Clients
	// are not partitioned: they reach every server throughout.
	RandomPartitions
)

func (m PartitionMode) String() string {
	if m == RandomPartitions {
		return "random partitions"
	}
	return "no partitions"
}

// KeyMode says which keys Generic's clients use.
type KeyMode int

const (
	// OneKeyPerClient gives client c the key "k<c>", which no one else
	// writes: every Get the client makes must return exactly what it
	// appended, which is checked as it goes.
	OneKeyPerClient KeyMode = iota
	// RandomKeys has every client use the keys "0" to "9" at random, so
	// that clients contend for keys.
	RandomKeys
)

func (m KeyMode) String() string {
	if m == RandomKeys {
		return "random keys"
	}
	return "one key per client"
}

// DefaultPhase is how long Generic's clients run per iteration unless
// Options.Phase says otherwise.
const DefaultPhase = 5 * time.Second

// settlePause is the classic electionTimeout: after a heal, or between a
// crash and the restart, it gives the servers time to notice.
const settlePause = time.Second

// StragglerWait is how long, in virtual time, a workload waits for a
// client to return with every server up and the network healed before it
// gives up on it: a Generic client is then abandoned, its operation left
// pending, and a Get that does not return fails the test.
const StragglerWait = 30 * time.Second

// Options describe a run of Generic.
type Options struct {
	// Clients run concurrently in each iteration; 0 means 1.
	Clients int
	// Iterations of clients, faults and checks; 0 means 1.
	Iterations int
	// Phase is how long the clients run per iteration (virtual time); 0
	// means DefaultPhase.
	Phase      time.Duration
	Net        cluster.NetMode
	Crashes    CrashMode
	Partitions PartitionMode
	Keys       KeyMode
	// MaxRaftState is the servers' maxraftstate: after each iteration the
	// largest persisted Raft state must stay within 8*MaxRaftState bytes,
	// the classic bound. -1 (or 0) checks nothing.
	MaxRaftState int
	// History receives the operations, for a check over several
	// workloads; nil means one of Generic's own. Generic checks it at the
	// end either way.
	History *History
	// Rate, if positive, paces the clients: together they make about Rate
	// operations per virtual second, each pausing after every call for a
	// random time, Clients/Rate seconds on average. In virtual time a
	// service is as fast as its network, and clients calling back to back
	// make hundreds of calls per virtual second each, where on the wall
	// clock the servers' CPU held them to tens: histories grow past what
	// the checker decides quickly, and past what servers that save their
	// whole log on every change can keep up with. 0 means no pauses.
	Rate float64
}

func (o Options) withDefaults() Options {
	o.Clients = max(o.Clients, 1)
	o.Iterations = max(o.Iterations, 1)
	if o.Phase <= 0 {
		o.Phase = DefaultPhase
	}
	return o
}

func (o Options) String() string {
	pace := "no pauses"
	if o.Rate > 0 {
		pace = fmt.Sprintf("about %g operations/s", o.Rate)
	}
	return fmt.Sprintf("%d clients, %d iterations of %v, %v network, %v, %v, %v, %s",
		o.Clients, o.Iterations, o.Phase, o.Net, o.Crashes, o.Partitions, o.Keys, pace)
}

// pause is how long a client waits after a call: drawn from [0, 2m), m
// the mean that makes the clients' combined rate o.Rate, in nanoseconds,
// which also keeps the clients' calls off the servers' timer instants.
func (o Options) pause(rng *rand.Rand) time.Duration {
	if o.Rate <= 0 {
		return 0
	}
	mean := float64(o.Clients) / o.Rate * float64(time.Second)
	return time.Duration(rng.Int64N(int64(2*mean) + 1))
}

// Generic is the classic lab's generic test. In each iteration, o.Clients
// clients, each with its own place on the network, clerk and random
// source, make random Appends and Gets for o.Phase while the group is
// partitioned (RandomPartitions); then the clients are told to stop, the
// group healed, crashed and restarted (CrashAndRestart), and once the
// clients have returned every key must hold exactly the values appended to
// it, each once and each client's in order, and the persisted Raft state
// must respect o.MaxRaftState. At the end the whole history must be
// linearizable. g must be running; newClerk makes a lab clerk on the
// client's ends (c.EndsTo(g), say). Test goroutine only.
func Generic(w *cluster.World, g Servers, newClerk func(c *cluster.Client) Clerk, o Options) {
	w.T().Helper()
	o = o.withDefaults()
	r := &genericRun{w: w, g: g, newClerk: newClerk, o: o, hist: o.History, led: newLedger()}
	if r.hist == nil {
		r.hist = NewHistory(w)
	}
	r.partitions = w.H.NewRand("kvtest partitions")
	w.Action("kvtest: generic workload: %v", o)
	w.SetNet(o.Net)
	for it := 1; it <= o.Iterations; it++ {
		r.iteration(it)
	}
	r.hist.Check(CheckOptions{})
}

type genericRun struct {
	w          *cluster.World
	g          Servers
	newClerk   func(c *cluster.Client) Clerk
	o          Options
	hist       *History
	led        *ledger
	partitions *rand.Rand
	// clientFailed is set by a client that reported a wrong value, so that
	// the iteration stops instead of checking what is already known bad.
	clientFailed atomic.Bool
}

// genericClient is one client of an iteration, as the test goroutine sees
// it.
type genericClient struct {
	id     int
	net    *cluster.Client
	exited chan struct{}
	doing  atomic.Pointer[string] // the call its clerk is in, for the note when abandoned
}

func (gc *genericClient) enter(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	gc.doing.Store(&s)
}

func (r *genericRun) iteration(it int) {
	r.w.T().Helper()
	w, o := r.w, r.o
	w.Action("kvtest: iteration %d of %d: %d clients for %v", it, o.Iterations, o.Clients, o.Phase)
	checker := r.hist.Record(r.hist.newClient(), r.newClerk(w.NewClient()))
	if o.Keys == RandomKeys {
		for _, key := range randomKeys {
			r.bounded(fmt.Sprintf("Put(%q, \"\")", key), func() { checker.Put(key, "") })
			r.led.reset(key)
		}
	}

	stop := make(chan struct{})
	clients := make([]*genericClient, o.Clients)
	for i := range clients {
		gc := &genericClient{id: r.hist.newClient(), net: w.NewClient(), exited: make(chan struct{})}
		ck := r.hist.Record(gc.id, r.newClerk(gc.net))
		rng := w.H.NewRand("kvtest client " + strconv.Itoa(gc.id))
		clients[i] = gc
		w.H.Go("kvtest client "+strconv.Itoa(gc.id), func() { r.client(gc, ck, rng, stop) })
	}
	r.phase()
	close(stop)
	w.Action("kvtest: clients told to stop")
	if o.Partitions == RandomPartitions {
		r.g.Heal()
		time.Sleep(settlePause)
	}
	if o.Crashes == CrashAndRestart {
		r.g.CrashAll()
		time.Sleep(settlePause)
		r.g.StartAll()
	}
	r.waitFor(clients)
	if r.clientFailed.Load() {
		r.hist.Check(CheckOptions{})
		w.Fatalf("kvtest: a client found a wrong value in iteration %d (reported above); stopping", it)
	}

	w.Action("kvtest: checking the final values of iteration %d", it)
	keys := randomKeys
	if o.Keys == OneKeyPerClient {
		keys = nil
		for _, gc := range clients {
			keys = append(keys, keyOf(gc.id))
		}
	}
	for _, key := range keys {
		var got string
		r.bounded(fmt.Sprintf("Get(%q)", key), func() { got = checker.Get(key) })
		if err := checkAppends(key, got, r.led.records(key)); err != nil {
			w.Report(fmt.Errorf("kvtest: iteration %d, after the clients stopped: %w", it, err))
			// A wrong final value is a history no order explains: the
			// check fails too, with the picture of where it went wrong.
			r.hist.Check(CheckOptions{})
			w.T().FailNow()
		}
	}
	if o.MaxRaftState > 0 {
		if size := r.g.MaxRaftStateSize(); size > 8*o.MaxRaftState {
			w.Fatalf("kvtest: after iteration %d a server's persisted Raft state is %d bytes, more than 8*maxraftstate = %d: "+
				"the servers are not snapshotting and trimming their logs", it, size, 8*o.MaxRaftState)
		}
	}
}

var randomKeys = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}

// client makes random Appends and Gets until stop is closed. In
// OneKeyPerClient mode every Get must return what the client appended so
// far.
func (r *genericRun) client(gc *genericClient, ck Clerk, rng *rand.Rand, stop <-chan struct{}) {
	defer close(gc.exited)
	key := keyOf(gc.id)
	var mine []appendRecord
	if r.o.Keys == OneKeyPerClient {
		gc.enter("Put(%q, \"\")", key)
		ck.Put(key, "")
	}
	for n := 0; ; n++ {
		select {
		case <-stop:
			return
		default:
		}
		if d := r.o.pause(rng); d > 0 && n > 0 {
			select {
			case <-stop:
				return
			case <-time.After(d):
			}
		}
		if r.o.Keys == RandomKeys {
			key = randomKeys[rng.IntN(len(randomKeys))]
		}
		if rng.IntN(2) == 0 {
			v := appendValue(gc.id, n)
			gc.enter("Append(%q, %q)", key, v)
			rec := r.led.calling(key, gc.id, v)
			ck.Append(key, v)
			r.led.returned(rec)
			if r.o.Keys == OneKeyPerClient {
				mine = append(mine, appendRecord{client: gc.id, value: v, returned: true})
			}
			continue
		}
		gc.enter("Get(%q)", key)
		got := ck.Get(key)
		if r.o.Keys == OneKeyPerClient {
			if err := checkAppends(key, got, mine); err != nil {
				r.w.Report(fmt.Errorf("kvtest: client %d: Get(%q) returned a value that the client's own Appends, the only ones to its key, do not explain: %v",
					gc.id, key, err))
				r.clientFailed.Store(true)
				return
			}
		}
	}
}

// phase lets the clients run for o.Phase, repartitioning the group now and
// then in RandomPartitions mode. The partitions are made here, on the test
// goroutine, because the group's actions are the test goroutine's alone.
func (r *genericRun) phase() {
	if r.o.Partitions == NoPartitions {
		time.Sleep(r.o.Phase)
		return
	}
	end := time.Now().Add(r.o.Phase)
	for {
		r.repartition()
		pause := settlePause + time.Duration(r.partitions.Int64N(int64(200*time.Millisecond)))
		if left := time.Until(end); left <= pause {
			time.Sleep(left)
			return
		}
		time.Sleep(pause)
	}
}

func (r *genericRun) repartition() {
	var a, b []int
	for i := 0; i < r.g.N(); i++ {
		if r.partitions.IntN(2) == 0 {
			a = append(a, i)
		} else {
			b = append(b, i)
		}
	}
	r.g.Partition(a, b)
}

// waitFor waits up to StragglerWait for the clients to return and abandons
// the rest: their pending operations stay unknown-outcome operations in the
// history, and their goroutines are left to the teardown.
func (r *genericRun) waitFor(clients []*genericClient) {
	r.w.T().Helper()
	deadline := time.NewTimer(StragglerWait)
	defer deadline.Stop()
	expired := false
	for _, gc := range clients {
		if !expired {
			select {
			case <-gc.exited:
			case <-deadline.C:
				expired = true
			}
		}
		select {
		case <-gc.exited:
			gc.net.Close()
			continue
		default:
		}
		doing := "a call"
		if d := gc.doing.Load(); d != nil {
			doing = *d
		}
		r.w.Action("kvtest: client %d abandoned inside %s", gc.id, doing)
		r.w.Logf("kvtest: client %d was still inside %s %v after it was told to stop, with the network healed and every server up; "+
			"it is abandoned, and its operation is checked as one of unknown outcome", gc.id, doing, StragglerWait)
	}
}

// bounded runs a call of the test's own clerk on a helper goroutine and
// fails the test if it does not return within StragglerWait.
func (r *genericRun) bounded(what string, call func()) {
	r.w.T().Helper()
	bounded(r.w, what, call)
}

func bounded(w *cluster.World, what string, call func()) {
	w.T().Helper()
	done := make(chan struct{})
	w.H.Go("kvtest "+what, func() {
		call()
		close(done)
	})
	t := time.NewTimer(StragglerWait)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		w.Fatalf("kvtest: %s through a fresh clerk did not return within %v (virtual) with the network healed and every server up: "+
			"the service cannot complete a request", what, StragglerWait)
	}
}

// SpeedOptions describe a run of Speed.
type SpeedOptions struct {
	// Ops is the number of Appends; 0 means 1000.
	Ops int
	// MaxPerOp bounds the average virtual time per operation; 0 means
	// 33 ms, the classic bound: three operations per 100 ms heartbeat
	// interval, so that an operation cannot wait for the next heartbeat
	// to be committed.
	MaxPerOp time.Duration
}

// Speed has one clerk make o.Ops Appends to one key, one after the other,
// checks the key's value with a Get, and fails the test if the Appends
// took more than o.MaxPerOp each on average. A first Get, not timed, waits
// for the service to be ready (a leader elected). Test goroutine only.
func Speed(w *cluster.World, newClerk func(c *cluster.Client) Clerk, o SpeedOptions) {
	w.T().Helper()
	if o.Ops <= 0 {
		o.Ops = 1000
	}
	if o.MaxPerOp <= 0 {
		o.MaxPerOp = 33 * time.Millisecond
	}
	hist := NewHistory(w)
	id := hist.newClient()
	ck := hist.Record(id, newClerk(w.NewClient()))
	const key = "speed"
	w.Action("kvtest: speed: a first Get, untimed")
	before := ck.Get(key)

	w.Action("kvtest: speed: %d Appends by one clerk", o.Ops)
	led := newLedger()
	start := time.Now()
	for n := range o.Ops {
		v := appendValue(id, n)
		rec := led.calling(key, id, v)
		ck.Append(key, v)
		led.returned(rec)
	}
	took := time.Since(start)
	w.Action("kvtest: speed: checking the value")
	got := ck.Get(key)
	if !strings.HasPrefix(got, before) {
		w.Fatalf("kvtest: speed: the value of %q lost its start: it began with %q before the Appends, and now begins with %q",
			key, excerpt(before), excerpt(got))
	}
	if err := checkAppends(key, got[len(before):], led.records(key)); err != nil {
		w.Fatalf("kvtest: speed: %v", err)
	}
	if err := speedError(o.Ops, took, o.MaxPerOp); err != nil {
		w.Fatalf("kvtest: speed: %v", err)
	}
	w.Logf("kvtest: speed: %d Appends in %v of virtual time, %v each on average (bound %v)",
		o.Ops, took.Round(time.Millisecond), (took / time.Duration(o.Ops)).Round(time.Microsecond), o.MaxPerOp)
	hist.Check(CheckOptions{})
}

// speedError says whether ops operations taking took in all stay within
// perOp each on average.
func speedError(ops int, took, perOp time.Duration) error {
	avg := took / time.Duration(ops)
	if avg <= perOp {
		return nil
	}
	return fmt.Errorf("%d operations took %v of virtual time, %v each on average, more than the bound of %v: "+
		"an operation should be committed right away, not at the next heartbeat",
		ops, took.Round(time.Millisecond), avg.Round(time.Microsecond), perOp)
}

// AppendOptions describe a run of ConcurrentAppends.
type AppendOptions struct {
	// Clients append at once; 0 means 5.
	Clients int
	// Appends per client; 0 means 20.
	Appends int
	// Key they all append to; "" means "k".
	Key string
}

// ConcurrentAppends has o.Clients clients append o.Appends distinct values
// each to one key, all at once, after the key is set to "". The key's final
// value must hold every value exactly once, each client's in the order it
// appended them, and every value after those whose Append had returned
// before its own was called. That is the whole of linearizability for this
// history, decided directly: the checker's search would have to try every
// interleaving the overlapping Appends allow, since no read comes between
// them to rule any out. Test goroutine only.
func ConcurrentAppends(w *cluster.World, newClerk func(c *cluster.Client) Clerk, o AppendOptions) {
	w.T().Helper()
	if o.Clients <= 0 {
		o.Clients = 5
	}
	if o.Appends <= 0 {
		o.Appends = 20
	}
	if o.Key == "" {
		o.Key = "k"
	}
	hist := NewHistory(w)
	led := newLedger()
	checker := hist.Record(hist.newClient(), newClerk(w.NewClient()))
	w.Action("kvtest: concurrent appends: %d clients, %d Appends each, to %q", o.Clients, o.Appends, o.Key)
	bounded(w, fmt.Sprintf("Put(%q, \"\")", o.Key), func() { checker.Put(o.Key, "") })

	done := make([]chan struct{}, o.Clients)
	ids := make([]int, o.Clients)
	for i := range done {
		id := hist.newClient()
		ck := hist.Record(id, newClerk(w.NewClient()))
		ids[i], done[i] = id, make(chan struct{})
		w.H.Go("kvtest appender "+strconv.Itoa(id), func() {
			defer close(done[i])
			for n := range o.Appends {
				v := appendValue(id, n)
				rec := led.calling(o.Key, id, v)
				ck.Append(o.Key, v)
				led.returned(rec)
			}
		})
	}
	deadline := time.NewTimer(StragglerWait)
	defer deadline.Stop()
	for i, d := range done {
		select {
		case <-d:
		case <-deadline.C:
			w.Fatalf("kvtest: concurrent appends: client %d had not finished its %d Appends after %v (virtual)", ids[i], o.Appends, StragglerWait)
		}
	}

	w.Action("kvtest: concurrent appends: checking the value")
	var got string
	bounded(w, fmt.Sprintf("Get(%q)", o.Key), func() { got = checker.Get(o.Key) })
	recs := led.records(o.Key)
	if err := checkAppends(o.Key, got, recs); err != nil {
		w.Fatalf("kvtest: concurrent appends: %v", err)
	}
	pieces, _ := splitAppends(got)
	if err := checkRealTimeOrder(o.Key, pieces, hist.appendSpans(o.Key)); err != nil {
		w.Fatalf("kvtest: concurrent appends: %v", err)
	}
	w.Logf("kvtest: concurrent appends: %q holds all %d values, each client's in order, in an order real time allows", o.Key, len(recs))
}
