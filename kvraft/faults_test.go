package kvraft

// Beyond the classic suite: duplicated requests, a deposed leader asked
// for a read, one-way cuts and overlapping partitions, clerks that give up,
// and a crash right after a snapshot. Every test records its clerks in the
// config's history and checks it for linearizability at the end.

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"raftlab/labrpc"
	"raftlab/labtest/cluster"
	"raftlab/labtest/kvtest"
)

func (r getRoute) String() string {
	if r == getsThroughLog {
		return "gets=log"
	}
	return "gets=server's-choice"
}

// routing returns server i's switch between the two routes of a Get, if
// it has one.
func (cfg *config) routing(i int) (getRouting, bool) {
	kv, alive := cfg.Server(i)
	if !alive {
		return nil, false
	}
	r, ok := any(kv).(getRouting)
	return r, ok
}

// Every request may arrive twice, the copy late: each Put and Append must
// still take effect once, across leader changes, crashes and snapshots.
func TestDuplicateRequests(t *testing.T) {
	cluster.Run(t, classicBudget, func(w *cluster.World) {
		s := setup{servers: 5, maxraftstate: snapshotMaxRaftState}
		cfg := makeConfig(w, s)
		w.SetFaults(labrpc.Faults{Duplicates: 0.5, MaxDelay: 20 * time.Millisecond})
		cfg.generic("duplicated requests, restarts, partitions, snapshots, many clients", kvtest.Options{
			Clients: 5, Iterations: 2, Crashes: kvtest.CrashAndRestart, Partitions: kvtest.RandomPartitions,
		})
	})
}

// Five clerks append to one key while every request may arrive twice.
func TestDuplicateRequestsOneKey(t *testing.T) {
	cluster.Run(t, classicBudget, func(w *cluster.World) {
		cfg := makeConfig(w, setup{servers: 3, maxraftstate: -1})
		w.SetFaults(labrpc.Faults{Duplicates: 0.5, MaxDelay: 20 * time.Millisecond})
		cfg.begin("duplicated requests, concurrent appends to one key")
		kvtest.ConcurrentAppends(w, cfg.newClerk, kvtest.AppendOptions{Clients: 5, Appends: 20})
		cfg.report()
	})
}

// A leader cut off in a minority goes on believing it leads. A clerk that
// reaches only that server must not get an answer to a Get: the majority
// has moved on, and whatever the old leader knows may be stale. With the
// network healed the Get returns the new value. Run with Gets served by
// ReadIndex (where the server chooses so) and through the log.
func TestDeposedLeaderServesNoStaleGet(t *testing.T) {
	for _, route := range []getRoute{getsAsServerChooses, getsThroughLog} {
		t.Run(route.String(), func(t *testing.T) {
			cluster.Run(t, classicBudget, func(w *cluster.World) {
				cfg := makeConfig(w, setup{servers: 5, maxraftstate: -1, gets: route})
				if _, ok := cfg.routing(0); route == getsThroughLog && !ok {
					w.T().Skip("this server has no switch between the routes of a Get; the other subtest covers it")
				}
				ck := cfg.clerk()
				cfg.put(ck, "x", "old")
				cfg.check(ck, "x", "old")
				cfg.begin("no stale Get from a deposed leader (" + route.String() + ")")

				old := cfg.CheckOneLeader()
				ckOld, clientOld := cfg.clerkOn(old)
				majority, minority, _ := cfg.PartitionLeaderInMinority()
				cfg.put(cfg.clerk(majority...), "x", "new")
				got := make(chan string, 1)
				w.H.Go("Get through the deposed leader", func() { got <- ckOld.Get("x") })
				select {
				case v := <-got:
					cfg.hist.Check(kvtest.CheckOptions{})
					w.Fatalf("a clerk that reaches only server %d, the leader cut off in the minority %v, completed Get(\"x\") = %q", old, minority, v)
				case <-time.After(2 * cluster.ElectionTimeout):
				}

				cfg.Heal()
				clientOld.ConnectTo(cfg, majority...)
				select {
				case v := <-got:
					if v != "new" {
						w.Fatalf("after the heal the Get returned %q, want \"new\"", v)
					}
				case <-time.After(5 * cluster.ElectionTimeout):
					w.Fatalf("liveness: the Get begun on the deposed leader did not complete within %v of the heal", 5*cluster.ElectionTimeout)
				}
				cfg.end()
			})
		})
	}
}

// A Get served through the Raft's ReadIndex appends nothing to the log:
// the index Start gives before fifty Gets and the one it gives after are
// consecutive. Only for a server that serves Gets so.
func TestReadIndexGetAppendsNoLogEntry(t *testing.T) {
	cluster.Run(t, classicBudget, func(w *cluster.World) {
		cfg := makeConfig(w, setup{servers: 3, maxraftstate: -1})
		ck := cfg.clerk()
		cfg.put(ck, "x", "1")
		cfg.check(ck, "x", "1")
		leader := cfg.CheckOneLeader()
		if r, ok := cfg.routing(leader); !ok || !r.routesGetsByReadIndex() {
			w.T().Skip("this server does not serve Gets through ReadIndex")
		}
		cfg.begin("Gets through ReadIndex append no log entry")
		kv, _ := cfg.Server(leader)
		// A bare int is a command our server applies as a no-op. Start is
		// called once the servers' goroutines of the instant are done, so
		// that the seed alone decides what it finds.
		w.H.Settle()
		before, term, _ := kv.rf.Start(-1)
		for range 50 {
			cfg.check(ck, "x", "1")
		}
		w.H.Settle()
		after, term2, _ := kv.rf.Start(-2)
		if term2 != term {
			w.Fatalf("the leader changed during the Gets (term %d, then %d): run again", term, term2)
		}
		if after != before+1 {
			w.Fatalf("50 Gets moved the log from index %d to %d: Gets through ReadIndex must append nothing", before, after-1)
		}
		cfg.end()
	})
}

// workers are clerks making Appends of unique values and Gets on a few
// shared keys, each pausing between calls, while a test shapes the network
// under them.
type workers struct {
	cfg  *config
	stop chan struct{}
	done []chan struct{}
}

type workerOptions struct {
	clerks, keys int
	pause        time.Duration // mean pause after each call
}

func (cfg *config) startWorkers(o workerOptions) *workers {
	ws := &workers{cfg: cfg, stop: make(chan struct{})}
	for c := range o.clerks {
		ck := cfg.clerk()
		name := "worker " + strconv.Itoa(c)
		rng := cfg.w.H.NewRand(name)
		done := make(chan struct{})
		ws.done = append(ws.done, done)
		cfg.w.H.Go(name, func() {
			defer close(done)
			for n := 0; ; n++ {
				select {
				case <-ws.stop:
					return
				case <-time.After(time.Duration(rng.Int64N(int64(2 * o.pause)))):
				}
				key := strconv.Itoa(rng.IntN(o.keys))
				if rng.IntN(2) == 0 {
					ck.Append(key, fmt.Sprintf("%d.%d;", c, n))
				} else {
					ck.Get(key)
				}
			}
		})
	}
	return ws
}

// finish stops the workers and waits for them: with the network healed and
// every server up, each must return from its call.
func (ws *workers) finish() {
	ws.cfg.w.T().Helper()
	close(ws.stop)
	deadline := time.After(kvtest.StragglerWait)
	for c, done := range ws.done {
		select {
		case <-done:
		case <-deadline:
			ws.cfg.w.Fatalf("liveness: worker %d did not return within %v of being stopped, with the network healed and every server up", c, kvtest.StragglerWait)
		}
	}
}

// shapeTest runs workers on five servers while shape, three times over,
// cuts the network in some way and the servers run under it, each time
// followed by a heal. Safety is checked throughout (election safety) and at
// the end (linearizability); progress only after each heal.
func shapeTest(t *testing.T, title string, shape func(cfg *config)) {
	cluster.Run(t, classicBudget, func(w *cluster.World) {
		cfg := makeConfig(w, setup{servers: 5, maxraftstate: snapshotMaxRaftState})
		cfg.begin(title)
		ws := cfg.startWorkers(workerOptions{clerks: 4, keys: 3, pause: 20 * time.Millisecond})
		probe := cfg.clerk()
		for round := range 3 {
			shape(cfg)
			for range 4 {
				time.Sleep(cluster.ElectionTimeout / 2)
				cfg.PollLeaders()
			}
			cfg.Heal()
			cfg.put(probe, "probe", strconv.Itoa(round)) // progress once healed
		}
		ws.finish()
		cfg.end()
	})
}

// One follower cannot reach the leader (its calls and its replies are
// lost) though the leader reaches it; later one server reaches nobody
// while everyone reaches it.
func TestOneWayCuts(t *testing.T) {
	shapeTest(t, "one-way cuts", func(cfg *config) {
		leader := cfg.CheckOneLeader()
		cfg.Cut((leader+1)%cfg.N(), leader)
		g := (leader + 2) % cfg.N()
		for j := range cfg.N() {
			if j != g {
				cfg.Cut(g, j)
			}
		}
	})
}

// Every server reaches a majority, no two the same one.
func TestMajoritiesRing(t *testing.T) {
	shapeTest(t, "majorities ring", func(cfg *config) {
		cfg.PartitionNodes(labrpc.MajoritiesRing(cfg.Nodes()))
	})
}

// Two halves joined by a server that reaches both.
func TestBridgePartition(t *testing.T) {
	shapeTest(t, "bridge partition", func(cfg *config) {
		cfg.PartitionNodes(labrpc.Bridge(cfg.Nodes(), cfg.w.Rand))
	})
}

// Clerks that give up in the middle of an operation: one whose every reply
// is lost (its Append takes effect, it never learns so) and one whose
// every request is lost (its Append never reaches anyone). Their
// operations are checked as of unknown outcome, which may have happened or
// not; when their network comes back, their retries must take effect at
// most once more: not at all for the first, once for the second.
func TestClerksThatGiveUp(t *testing.T) {
	cluster.Run(t, classicBudget, func(w *cluster.World) {
		cfg := makeConfig(w, setup{servers: 3, maxraftstate: -1})
		ck := cfg.clerk()
		cfg.put(ck, "k", "")
		cfg.begin("clerks that give up mid-operation")

		type quitter struct {
			value  string
			loses  labrpc.Faults
			ck     kvtest.Clerk
			client *cluster.Client
			done   chan struct{}
		}
		quitters := []*quitter{
			{value: "deaf;", loses: labrpc.Faults{DropReplies: 1}},
			{value: "mute;", loses: labrpc.Faults{DropRequests: 1}},
		}
		for _, q := range quitters {
			q.ck, q.client = cfg.clerkOn()
			for s := range cfg.N() {
				w.Net.SetLinkFaults(q.client.Name, cfg.ServerName(s), q.loses)
			}
			w.Action("%s's links: %+v", q.client.Name, q.loses)
			q.done = make(chan struct{})
			w.H.Go(q.client.Name+" Append", func() { q.ck.Append("k", q.value); close(q.done) })
		}

		// The deaf clerk's Append takes effect; the mute one's does not.
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(getWithin(cfg, ck, "k"), "deaf;") {
			if time.Now().After(deadline) {
				w.Fatalf("liveness: the Append of a clerk that loses only replies did not take effect within 10s")
			}
			time.Sleep(100 * time.Millisecond)
		}
		cfg.put(ck, "k2", "x")
		cfg.check(ck, "k", "deaf;")
		v, _, err := cfg.hist.Verdict(kvtest.CheckOptions{})
		if err != nil {
			w.Fatalf("with two operations of unknown outcome: %v", err)
		}
		w.Logf("the history with the two pending Appends is %v", v)

		// Their network is back: the deaf clerk's retry must not append
		// again, the mute clerk's Append now takes effect.
		w.Net.ClearLinkFaults()
		w.Action("the quitters' faults cleared")
		for _, q := range quitters {
			select {
			case <-q.done:
			case <-time.After(kvtest.StragglerWait):
				w.Fatalf("liveness: %s's Append did not complete within %v of its network coming back", q.client.Name, kvtest.StragglerWait)
			}
		}
		cfg.check(ck, "k", "deaf;mute;")
		cfg.end()
	})
}

// A clerk's Append takes effect, its reply is lost, the servers snapshot
// past it and all crash right after a snapshot. Restarted from the
// snapshots, whose logs no longer hold the Append, the servers must still
// know it was applied when the clerk's retry arrives: the table of applied
// operations travels in the snapshot.
func TestCrashAfterSnapshotThenRetry(t *testing.T) {
	cluster.Run(t, classicBudget, func(w *cluster.World) {
		cfg := makeConfig(w, setup{servers: 3, maxraftstate: snapshotMaxRaftState})
		ck := cfg.clerk()
		cfg.put(ck, "k", "")
		cfg.begin("crash right after a snapshot, then a retried Append")

		deaf, client := cfg.clerkOn()
		for s := range cfg.N() {
			w.Net.SetLinkFaults(client.Name, cfg.ServerName(s), labrpc.Faults{DropReplies: 1})
		}
		w.Action("%s loses every reply", client.Name)
		done := make(chan struct{})
		w.H.Go("deaf Append", func() { deaf.Append("k", "once;"); close(done) })
		deadline := time.Now().Add(10 * time.Second)
		for getWithin(cfg, ck, "k") != "once;" {
			if time.Now().After(deadline) {
				w.Fatalf("liveness: the Append of a clerk that loses only replies did not take effect within 10s")
			}
			time.Sleep(50 * time.Millisecond)
		}

		// Enough Puts that every server snapshots past the Append, then
		// more until each has just taken a new snapshot: crash them all.
		filler := strings.Repeat("f", 100)
		for i := range 40 {
			cfg.put(ck, "fill"+strconv.Itoa(i%4), filler)
		}
		// Each look at the Persisters waits for the servers' goroutines of
		// the instant (a follower that applies what the Put committed) to
		// finish, so that the seed alone decides what it sees.
		w.H.Settle()
		snaps := make([][]byte, cfg.N())
		for s := range snaps {
			snaps[s] = cfg.Persister(s).ReadSnapshot()
		}
		for i := 0; ; i++ {
			w.H.Settle()
			fresh := 0
			for s := range snaps {
				if string(cfg.Persister(s).ReadSnapshot()) != string(snaps[s]) {
					fresh++
				}
			}
			if fresh == cfg.N() {
				break
			}
			if i > 200 {
				w.Fatalf("liveness: after %d more Puts not every server had taken a new snapshot", i)
			}
			cfg.put(ck, "fill"+strconv.Itoa(i%4), filler)
		}
		cfg.CrashAll()
		time.Sleep(cluster.ElectionTimeout)
		cfg.StartAll()

		w.Net.ClearLinkFaults()
		w.Action("%s hears replies again", client.Name)
		select {
		case <-done:
		case <-time.After(kvtest.StragglerWait):
			w.Fatalf("liveness: the retried Append did not complete within %v", kvtest.StragglerWait)
		}
		cfg.check(ck, "k", "once;")
		cfg.end()
	})
}
