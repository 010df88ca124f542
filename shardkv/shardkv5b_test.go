package shardkv

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"raftlab/labtest/cluster"
	"raftlab/labtest/kvtest"
)

// Shards follow joins and leaves; a group that has left can be shut down
// once its shards have moved (a second later).
func TestJoinLeave5B(t *testing.T) {
	cluster.Run(t, classicBudget, func(w *cluster.World) {
		cfg := makeConfig(w, setup{maxraftstate: -1})
		cfg.begin("join then leave (5B)")
		ck := cfg.clerk()
		cfg.join(0)
		ka, va := keys(w.Rand, 10, 5)
		for i := range ka {
			cfg.put(ck, ka[i], va[i])
		}
		cfg.checkAll(ck, ka, va)

		cfg.join(1)
		cfg.checkAndAppend(ck, ka, va, w.Rand)
		cfg.leave(0)
		cfg.checkAndAppend(ck, ka, va, w.Rand)

		time.Sleep(time.Second) // the shards of group 100 move to 101
		cfg.checkLogs()
		cfg.shutdownGroup(0)
		cfg.checkAll(ck, ka, va)
		cfg.end()
	})
}

// Shards move, with snapshots, through many configurations; every group
// restarts from its persisted state at the end.
func TestSnapshot5B(t *testing.T) {
	cluster.Run(t, classicBudget, func(w *cluster.World) {
		cfg := makeConfig(w, setup{maxraftstate: 1000})
		cfg.begin("snapshots, join, and leave (5B)")
		ck := cfg.clerk()
		cfg.join(0)
		ka, va := keys(w.Rand, 30, 20)
		for i := range ka {
			cfg.put(ck, ka[i], va[i])
		}
		cfg.checkAll(ck, ka, va)

		cfg.join(1)
		cfg.join(2)
		cfg.leave(0)
		cfg.checkAndAppend(ck, ka, va, w.Rand)
		cfg.leave(1)
		cfg.join(0)
		cfg.checkAndAppend(ck, ka, va, w.Rand)

		time.Sleep(time.Second)
		cfg.checkAll(ck, ka, va)
		time.Sleep(time.Second)
		cfg.checkLogs()

		for gi := range nGroups {
			cfg.shutdownGroup(gi)
		}
		for gi := range nGroups {
			cfg.startGroup(gi)
		}
		cfg.checkAll(ck, ka, va)
		cfg.end()
	})
}

// One server of each group is down while configurations change; it must
// catch up on the ones it missed when it restarts.
func TestMissChange5B(t *testing.T) {
	cluster.Run(t, classicBudget, func(w *cluster.World) {
		cfg := makeConfig(w, setup{maxraftstate: 1000})
		cfg.begin("servers miss configuration changes (5B)")
		ck := cfg.clerk()
		cfg.join(0)
		ka, va := keys(w.Rand, 10, 20)
		for i := range ka {
			cfg.put(ck, ka[i], va[i])
		}
		cfg.checkAll(ck, ka, va)

		cfg.join(1)
		for gi := range nGroups {
			cfg.shutdownServer(gi, 0)
		}
		cfg.join(2)
		cfg.leave(1)
		cfg.leave(0)
		cfg.checkAndAppend(ck, ka, va, w.Rand)
		cfg.join(1)
		cfg.checkAndAppend(ck, ka, va, w.Rand)
		for gi := range nGroups {
			cfg.startServer(gi, 0)
		}
		cfg.checkAndAppend(ck, ka, va, w.Rand)

		time.Sleep(2 * time.Second)
		for gi := range nGroups {
			cfg.shutdownServer(gi, 1)
		}
		cfg.join(0)
		cfg.leave(2)
		cfg.checkAndAppend(ck, ka, va, w.Rand)
		for gi := range nGroups {
			cfg.startServer(gi, 1)
		}
		cfg.checkAll(ck, ka, va)
		cfg.end()
	})
}

// Ten clients append to their own keys while groups join, leave, and are
// shut down and restarted.
func TestConcurrent1_5B(t *testing.T) {
	cluster.Run(t, classicBudget, func(w *cluster.World) {
		cfg := makeConfig(w, setup{maxraftstate: 100})
		cfg.begin("concurrent puts and configuration changes (5B)")
		ck, ka, va := cfg.seed(10)
		a := cfg.startAppenders(ka, va, 10*time.Millisecond)

		time.Sleep(150 * time.Millisecond)
		cfg.join(1)
		time.Sleep(500 * time.Millisecond)
		cfg.join(2)
		time.Sleep(500 * time.Millisecond)
		cfg.leave(0)

		cfg.shutdownGroup(0)
		time.Sleep(100 * time.Millisecond)
		cfg.shutdownGroup(1)
		time.Sleep(100 * time.Millisecond)
		cfg.shutdownGroup(2)

		cfg.leave(2)

		time.Sleep(100 * time.Millisecond)
		for gi := range nGroups {
			cfg.startGroup(gi)
		}

		time.Sleep(100 * time.Millisecond)
		cfg.join(0)
		cfg.leave(1)
		time.Sleep(500 * time.Millisecond)
		cfg.join(1)

		time.Sleep(time.Second)
		a.stop()
		cfg.checkAll(ck, ka, a.values())
		cfg.end()
	})
}

// Groups leave and rejoin while clients append; a group restarts.
func TestConcurrent2_5B(t *testing.T) {
	cluster.Run(t, classicBudget, func(w *cluster.World) {
		cfg := makeConfig(w, setup{maxraftstate: -1})
		cfg.begin("more concurrent puts and configuration changes (5B)")
		cfg.join(1)
		cfg.join(0)
		cfg.join(2)
		ck, ka, va := cfg.seed(10)
		a := cfg.startAppenders(ka, va, 50*time.Millisecond)

		cfg.leave(0)
		cfg.leave(2)
		time.Sleep(3 * time.Second)
		cfg.join(0)
		cfg.join(2)
		cfg.leave(1)
		time.Sleep(3 * time.Second)
		cfg.join(1)
		cfg.leave(0)
		cfg.leave(2)
		time.Sleep(3 * time.Second)

		cfg.shutdownGroup(1)
		time.Sleep(time.Second)
		cfg.startGroup(1)
		time.Sleep(2 * time.Second)

		a.stop()
		cfg.checkAll(ck, ka, a.values())
		cfg.end()
	})
}

// For twelve seconds, groups join, crash, restart and leave while clients
// append.
func TestConcurrent3_5B(t *testing.T) {
	cluster.Run(t, classicBudget, func(w *cluster.World) {
		cfg := makeConfig(w, setup{maxraftstate: 300})
		cfg.begin("concurrent configuration change and restart (5B)")
		ck, ka, va := cfg.seed(10)
		a := cfg.startAppenders(ka, va, 10*time.Millisecond)

		t0 := time.Now()
		for time.Since(t0) < 12*time.Second {
			cfg.join(2)
			cfg.join(1)
			time.Sleep(time.Duration(w.Rand.IntN(900)) * time.Millisecond)
			for gi := range nGroups {
				cfg.shutdownGroup(gi)
			}
			for gi := range nGroups {
				cfg.startGroup(gi)
			}
			time.Sleep(time.Duration(w.Rand.IntN(900)) * time.Millisecond)
			cfg.leave(1)
			cfg.leave(2)
			time.Sleep(time.Duration(w.Rand.IntN(900)) * time.Millisecond)
		}
		time.Sleep(2 * time.Second)

		a.stop()
		cfg.checkAll(ck, ka, a.values())
		cfg.end()
	})
}

// Shards move on an unreliable network, between reads and appends.
func TestUnreliable1_5B(t *testing.T) {
	cluster.Run(t, classicBudget, func(w *cluster.World) {
		cfg := makeConfig(w, setup{net: cluster.Unreliable, maxraftstate: 100})
		cfg.begin("unreliable 1 (5B)")
		ck, ka, va := cfg.seed(10)

		cfg.join(1)
		cfg.join(2)
		cfg.leave(0)
		for ii := 0; ii < 2*len(ka); ii++ {
			j := ii % len(ka)
			cfg.check(ck, ka[j], va[j])
			x := randString(w.Rand, 5)
			cfg.append(ck, ka[j], x)
			va[j] += x
		}
		cfg.join(0)
		cfg.leave(1)
		for ii := 0; ii < 2*len(ka); ii++ {
			j := ii % len(ka)
			cfg.check(ck, ka[j], va[j])
		}
		cfg.end()
	})
}

// Clients append on an unreliable network while groups join and leave.
func TestUnreliable2_5B(t *testing.T) {
	cluster.Run(t, classicBudget, func(w *cluster.World) {
		cfg := makeConfig(w, setup{net: cluster.Unreliable, maxraftstate: 100})
		cfg.begin("unreliable 2 (5B)")
		ck, ka, va := cfg.seed(10)
		a := cfg.startAppenders(ka, va, 0)

		time.Sleep(150 * time.Millisecond)
		cfg.join(1)
		time.Sleep(500 * time.Millisecond)
		cfg.join(2)
		time.Sleep(500 * time.Millisecond)
		cfg.leave(0)
		time.Sleep(500 * time.Millisecond)
		cfg.leave(1)
		time.Sleep(500 * time.Millisecond)
		cfg.join(1)
		cfg.join(0)
		time.Sleep(2 * time.Second)

		a.stopThen(func() { w.SetNet(cluster.Reliable) })
		cfg.checkAll(ck, ka, a.values())
		cfg.end()
	})
}

// Clients make random Gets, Puts and Appends on shared keys on an
// unreliable network while groups join and leave: the classic
// linearizability test (every test here checks its history too).
func TestUnreliable3_5B(t *testing.T) {
	cluster.Run(t, classicBudget, func(w *cluster.World) {
		cfg := makeConfig(w, setup{net: cluster.Unreliable, maxraftstate: 100})
		cfg.begin("unreliable 3 (5B)")
		_, ka, _ := cfg.seed(10)
		stop := cfg.startRandomClients(ka, 10)

		time.Sleep(150 * time.Millisecond)
		cfg.join(1)
		time.Sleep(500 * time.Millisecond)
		cfg.join(2)
		time.Sleep(500 * time.Millisecond)
		cfg.leave(0)
		time.Sleep(500 * time.Millisecond)
		cfg.leave(1)
		time.Sleep(500 * time.Millisecond)
		cfg.join(1)
		cfg.join(0)
		time.Sleep(2 * time.Second)

		stop(func() { w.SetNet(cluster.Reliable) })
		cfg.end()
	})
}

// ---- workloads ---------------------------------------------------------------

// seed joins group 100 if no group has joined, and puts n keys (one per
// shard for n >= 10) through a new clerk, which it returns.
func (cfg *config) seed(n int) (kvtest.Clerk, []string, []string) {
	cfg.w.T().Helper()
	if cfg.latestConfig().Num == 0 {
		cfg.join(0)
	}
	ck := cfg.clerk()
	ka, va := keys(cfg.w.Rand, n, 5)
	for i := range ka {
		cfg.put(ck, ka[i], va[i])
	}
	return ck, ka, va
}

func (cfg *config) checkAll(ck kvtest.Clerk, ka, va []string) {
	cfg.w.T().Helper()
	for i := range ka {
		cfg.check(ck, ka[i], va[i])
	}
}

// checkAndAppend checks every key, then appends a random string to it.
func (cfg *config) checkAndAppend(ck kvtest.Clerk, ka, va []string, rng interface{ IntN(int) int }) {
	cfg.w.T().Helper()
	for i := range ka {
		cfg.check(ck, ka[i], va[i])
		x := fmt.Sprintf("%c%d", 'a'+rng.IntN(26), i)
		cfg.append(ck, ka[i], x)
		va[i] += x
	}
}

// appenders are clients, one per key, each appending random strings to its
// own key and remembering what it appended.
type appenders struct {
	cfg  *config
	done atomic.Bool
	wg   sync.WaitGroup

	mu sync.Mutex
	va []string
}

// minPause is the least pause of a workload's clients between calls. In
// virtual time a service is as fast as its network, and clients calling
// back to back make hundreds of calls per virtual second each, where on
// the wall clock the servers' CPU held the classic tests' clients to tens
// (as kvraft's suite explains): this keeps histories the classic size.
const minPause = 25 * time.Millisecond

// startAppenders starts one appender per key, each pausing pause (at least
// minPause) after an Append.
func (cfg *config) startAppenders(ka, va []string, pause time.Duration) *appenders {
	a := &appenders{cfg: cfg, va: append([]string(nil), va...)}
	for i := range ka {
		ck := cfg.clerk()
		rng := cfg.w.H.NewRand(fmt.Sprintf("appender %d", i))
		a.wg.Add(1)
		cfg.w.H.Go(fmt.Sprintf("appender %d", i), func() {
			defer a.wg.Done()
			for !a.done.Load() {
				x := randString(rng, 5)
				ck.Append(ka[i], x)
				a.mu.Lock()
				a.va[i] += x
				a.mu.Unlock()
				time.Sleep(max(pause, minPause) + time.Duration(rng.IntN(1000))) // off the servers' timer instants
			}
		})
	}
	return a
}

// stop tells the appenders to stop and waits for them to return, which
// they must within callWait.
func (a *appenders) stop() { a.stopThen(nil) }

// stopThen is stop, with then run between telling and waiting.
func (a *appenders) stopThen(then func()) {
	a.cfg.w.T().Helper()
	a.done.Store(true)
	if then != nil {
		then()
	}
	a.cfg.within("the appenders' last Appends", a.wg.Wait)
}

func (a *appenders) values() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.va...)
}

// startRandomClients starts n clients making random Gets, Puts and Appends
// on the keys ka; the function returned stops them, runs then, and waits
// for them.
func (cfg *config) startRandomClients(ka []string, n int) func(then func()) {
	var done atomic.Bool
	var wg sync.WaitGroup
	for c := 0; c < n; c++ {
		ck := cfg.clerk()
		rng := cfg.w.H.NewRand(fmt.Sprintf("random client %d", c))
		wg.Add(1)
		cfg.w.H.Go(fmt.Sprintf("random client %d", c), func() {
			defer wg.Done()
			for !done.Load() {
				k := ka[rng.IntN(len(ka))]
				switch v := randString(rng, 5); rng.IntN(3) {
				case 0:
					ck.Append(k, v)
				case 1:
					ck.Put(k, v)
				default:
					ck.Get(k)
				}
				time.Sleep(minPause + time.Duration(rng.IntN(1000)))
			}
		})
	}
	return func(then func()) {
		cfg.w.T().Helper()
		done.Store(true)
		if then != nil {
			then()
		}
		cfg.within("the random clients' last operations", wg.Wait)
	}
}
