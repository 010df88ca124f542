package raft

// TestChaos: randomized fault injection over many seeds. Each seed draws
// its own cluster size, service (plain or snapshotting) and mix of crashes,
// partitions, one-way cuts, drops, duplicates and reordering, and checks
// Raft's safety properties at every step through the public API:
//
//   - election safety: at most one leader per term (GetState, polled
//     continuously by a watcher and at every step);
//   - log matching and state machine safety: the apply checker compares
//     every apply on every server with every other at the same index;
//   - leader completeness: every command a client saw committed stays at
//     its index, and after healing every server applies it there;
//   - liveness after healing: once the network is whole and every server
//     is up, a new command commits on all servers.
//
// A violation names the seed (labtest prints it with the replay command)
// and the first step at which it was seen. A plain run covers
// chaosDefaultSeeds seeds; run more with -seeds N; replay one with
// -run TestChaos -seed S (the seeds, and so the runs, replay exactly).

import (
	"fmt"
	"math/rand/v2"
	"raftlab/labtest"
	"raftlab/labtest/cluster"
	"sync"
	"testing"
	"time"
)

// chaosDefaultSeeds is how many seeds TestChaos runs when -seeds is not
// given: enough to exercise the mix, few enough to keep the suite fast.
const chaosDefaultSeeds = 8

// chaosSteps is how many fault-injection steps one seed runs.
const chaosSteps = 80

func TestChaos(t *testing.T) {
	seeds := labtest.Seeds(t, labtest.AtLeast(chaosDefaultSeeds))
	for _, seed := range seeds {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			cluster.Run(t, cluster.Budget{Virtual: 300 * time.Second, RPCs: 200000}, chaosRun, labtest.WithSeed(seed))
		})
	}
}

// ackedCmd is a command a client saw committed at index.
type ackedCmd struct {
	index, cmd int
	client     int
	step       int
}

// chaosClients submit commands to whoever leads and remember those they
// see committed.
type chaosClients struct {
	cfg  *config
	done chan struct{}
	wg   sync.WaitGroup

	mu    sync.Mutex
	acked []ackedCmd
}

func (cc *chaosClients) run(me int, rnd *rand.Rand) {
	defer cc.wg.Done()
	cfg := cc.cfg
	for {
		select {
		case <-cc.done:
			return
		default:
		}
		// A client thinks between commands; without the pause the clients
		// would flood the log and the run would cost wall time, not find
		// more bugs. Nanosecond-random pauses keep the clients off the
		// instants of the body and the servers (see labtest.H.Settle).
		time.Sleep(50*time.Millisecond + time.Duration(rnd.Int64N(int64(100*time.Millisecond))))
		x := rnd.IntN(1 << 30)
		index := -1
		for k, i := 0, rnd.IntN(cfg.n); k < cfg.n; k, i = k+1, (i+1)%cfg.n {
			if rf := cfg.raft(i); rf != nil {
				if ix, _, ok := rf.Start(x); ok {
					index = ix
					break
				}
			}
		}
		if index == -1 {
			time.Sleep(30*time.Millisecond + time.Duration(rnd.Int64N(int64(70*time.Millisecond))))
			continue
		}
		// Wait for the commit, as a client with a timeout would.
		for _, to := range []time.Duration{10, 20, 40, 80, 160, 320, 640} {
			select {
			case <-cc.done:
				return
			case <-time.After(to * time.Millisecond):
			}
			if nd, v := cfg.countApplied(index); nd > 0 {
				if v == x {
					step := cfg.w.Step()
					cc.mu.Lock()
					cc.acked = append(cc.acked, ackedCmd{index: index, cmd: x, client: me, step: step})
					cc.mu.Unlock()
				}
				break
			}
		}
	}
}

// chaosProfile is one seed's cluster and mix of faults.
type chaosProfile struct {
	servers int
	service service
	odds    cluster.ChaosOdds
}

func drawProfile(r *rand.Rand) chaosProfile {
	p := chaosProfile{
		servers: 3 + 2*r.IntN(2),    // 3 or 5
		service: service(r.IntN(2)), // plain or snapshotting
		odds:    cluster.DrawChaosOdds(r),
	}
	// Raft's safety must hold even with a majority down; liveness is only
	// checked after Restore.
	p.odds.MaxDown = p.servers/2 + 1
	return p
}

func chaosRun(w *cluster.World) {
	p := drawProfile(w.Rand)
	cfg := makeCluster(w, p.servers, cluster.Reliable, p.service)
	cfg.begin(fmt.Sprintf("chaos: %+v", p))

	done := make(chan struct{})
	var stopOnce sync.Once
	stopClients := func() { stopOnce.Do(func() { close(done) }) }
	w.H.OnTeardown(stopClients) // also if the test fails midway
	cc := &chaosClients{cfg: cfg, done: done}
	for c := 0; c < 2; c++ {
		rnd := w.H.NewRand(fmt.Sprintf("client-%d", c))
		cc.wg.Add(1)
		me := c
		w.H.Go(fmt.Sprintf("client-%d", me), func() { cc.run(me, rnd) })
	}
	stopWatch := cfg.WatchLeaders()
	n := cfg.n

	for step := 1; step <= chaosSteps; step++ {
		cfg.w.SetStep(step, fmt.Sprint(cfg.ChaosStep(w.Rand, p.odds)))
		cluster.ChaosPause(w.Rand)

		// Safety, at every step.
		cfg.checkApplyErr()
		cfg.PollLeaders()

		// Liveness, every twentieth step: heal everything; a command must
		// commit everywhere.
		if step%20 == 0 {
			cfg.Restore()
			cfg.w.SetStep(step, "healed: liveness check")
			if _, err := cfg.tryOne(w.Rand.IntN(1<<30), n, retry); err != nil {
				w.Fatalf("liveness after healing (step %d): %v", step, err)
			}
		}
	}

	cfg.Restore()
	stopClients()
	cc.wg.Wait()
	stopWatch()
	cfg.w.SetStep(chaosSteps+1, "final: every acknowledged command on every server")

	last := cfg.one(w.Rand.IntN(1<<30), n, retry)
	cc.mu.Lock()
	acked := append([]ackedCmd(nil), cc.acked...)
	cc.mu.Unlock()
	for _, a := range acked {
		if a.index > last {
			w.Fatalf("leader completeness: command %d was seen committed at index %d (step %d) but the final log ends at %d",
				a.cmd, a.index, a.step, last)
		}
		if v := cfg.wait(a.index, n, -1); v != a.cmd {
			w.Fatalf("leader completeness: command %d was seen committed at index %d (step %d) but every server applied %v there",
				a.cmd, a.index, a.step, v)
		}
	}
	w.Logf("  %d commands acknowledged, final log length %d", len(acked), last)
	cfg.end()
}
