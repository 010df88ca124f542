package kvraft

// TestChaos: randomized faults over many seeds. Each seed draws its own
// cluster size, snapshot threshold, route for Gets and mix of crashes,
// partitions (one server isolated, the leader isolated, halves, bridge,
// majorities ring), one-way cuts, drops, duplicates, delays and long
// reordering, while clerks append and read on a few shared keys. Checked:
// election safety at every step and continuously (a watcher), progress
// whenever everything is healed (every tenth step and at the end), and
// linearizability of the whole history. A plain run covers
// chaosDefaultSeeds seeds; -seeds N runs more; a failure prints the seed,
// and -run TestChaos -seed S replays it.

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"raftlab/labrpc"
	"raftlab/labtest"
	"raftlab/labtest/cluster"
)

const (
	chaosDefaultSeeds = 4
	chaosSteps        = 40
)

func TestChaos(t *testing.T) {
	for _, seed := range labtest.Seeds(t, labtest.AtLeast(chaosDefaultSeeds)) {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			cluster.Run(t, cluster.Budget{Virtual: 300 * time.Second}, chaosRun, labtest.WithSeed(seed))
		})
	}
}

// chaosProfile is one seed's setup and mix of faults; the p fields are
// per-mille chances per step.
type chaosProfile struct {
	setup      setup
	pCrash     int
	pCrashLead int
	pRestart   int
	pPartition int
	pCut       int
	pHeal      int
	pFaults    int
	maxDrop    float64
	maxDup     float64
	maxDelay   time.Duration
	reordering bool
}

func drawChaosProfile(r *rand.Rand) chaosProfile {
	return chaosProfile{
		setup: setup{
			servers:      3 + 2*r.IntN(2),
			maxraftstate: []int{-1, snapshotMaxRaftState, 4 * snapshotMaxRaftState}[r.IntN(3)],
			gets:         getRoute(r.IntN(2)),
		},
		pCrash:     50 + r.IntN(150),
		pCrashLead: 50 + r.IntN(150),
		pRestart:   300 + r.IntN(400),
		pPartition: 100 + r.IntN(300),
		pCut:       r.IntN(200),
		pHeal:      200 + r.IntN(300),
		pFaults:    100 + r.IntN(300),
		maxDrop:    []float64{0, 0.05, 0.1, 0.2}[r.IntN(4)],
		maxDup:     []float64{0, 0.1, 0.3, 0.5}[r.IntN(4)],
		maxDelay:   time.Duration(r.IntN(60)) * time.Millisecond,
		reordering: r.IntN(3) == 0,
	}
}

func chaosRun(w *cluster.World) {
	p := drawChaosProfile(w.Rand)
	cfg := makeConfig(w, p.setup)
	cfg.begin(fmt.Sprintf("chaos: %+v", p))
	ws := cfg.startWorkers(workerOptions{clerks: 5, keys: 3, pause: 30 * time.Millisecond})
	stopWatch := cfg.watchLeaders()
	defer stopWatch()
	probe := cfg.clerk()

	n := cfg.N()
	crashed := func() []int {
		var down []int
		for i := range n {
			if !cfg.Alive(i) {
				down = append(down, i)
			}
		}
		return down
	}
	restore := func() {
		cfg.Heal()
		w.SetFaults(labrpc.Faults{})
		w.SetLongReordering(false)
		for _, i := range crashed() {
			cfg.Start(i)
			cfg.Connect(i)
		}
	}
	roll := func(perMille int) bool { return w.Rand.IntN(1000) < perMille }

	for step := 1; step <= chaosSteps; step++ {
		var did []string
		if down := crashed(); len(down) > 0 && roll(p.pRestart) {
			i := down[w.Rand.IntN(len(down))]
			cfg.Start(i)
			cfg.Connect(i)
			did = append(did, "restart "+strconv.Itoa(i))
		}
		if roll(p.pCrash) && len(crashed()) < n/2 {
			if i := w.Rand.IntN(n); cfg.Alive(i) {
				cfg.Crash(i)
				did = append(did, "crash "+strconv.Itoa(i))
			}
		}
		if roll(p.pCrashLead) && len(crashed()) < n/2 {
			if i, ok := cfg.Leader(); ok {
				cfg.Crash(i)
				did = append(did, "crash leader "+strconv.Itoa(i))
			}
		}
		if roll(p.pPartition) {
			groups := chaosPartition(cfg, w.Rand)
			cfg.PartitionNodes(groups)
			did = append(did, fmt.Sprintf("partition %v", groups))
		}
		if roll(p.pCut) {
			if from, to := w.Rand.IntN(n), w.Rand.IntN(n); from != to {
				cfg.Cut(from, to)
				did = append(did, fmt.Sprintf("cut %d->%d", from, to))
			}
		}
		if roll(p.pHeal) {
			cfg.Heal()
			did = append(did, "heal")
		}
		if roll(p.pFaults) {
			f := labrpc.Faults{
				DropRequests: p.maxDrop * w.Rand.Float64(),
				DropReplies:  p.maxDrop * w.Rand.Float64(),
				Duplicates:   p.maxDup * w.Rand.Float64(),
				MaxDelay:     time.Duration(w.Rand.Int64N(int64(p.maxDelay) + 1)),
			}
			w.SetFaults(f)
			did = append(did, fmt.Sprintf("faults %+v", f))
			if p.reordering {
				on := w.Rand.IntN(2) == 0
				w.SetLongReordering(on)
				did = append(did, fmt.Sprintf("long reordering %v", on))
			}
		}
		if len(did) == 0 {
			did = append(did, "nothing")
		}
		w.SetStep(step, fmt.Sprint(did))

		// Mostly short steps, so that faults land mid-operation; some
		// long ones, so that elections finish.
		if w.Rand.IntN(10) < 6 {
			time.Sleep(time.Duration(5+w.Rand.IntN(95)) * time.Millisecond)
		} else {
			time.Sleep(time.Duration(100+w.Rand.IntN(1100)) * time.Millisecond)
		}
		cfg.PollLeaders()

		if step%10 == 0 {
			restore()
			w.SetStep(step, "healed: a Put must complete")
			cfg.put(probe, "probe", strconv.Itoa(step))
		}
	}
	restore()
	w.SetStep(chaosSteps+1, "final: every clerk returns, the history is linearizable")
	ws.finish()
	cfg.end()
}

// chaosPartition draws one of the partition shapes.
func chaosPartition(cfg *config, r *rand.Rand) [][]any {
	nodes := cfg.Nodes()
	switch r.IntN(5) {
	case 0:
		return labrpc.IsolateOne(nodes, r.IntN(len(nodes)))
	case 1:
		if l, ok := cfg.Leader(); ok {
			return labrpc.IsolateOne(nodes, l)
		}
		return labrpc.Halves(nodes, r)
	case 2:
		return labrpc.Halves(nodes, r)
	case 3:
		return labrpc.Bridge(nodes, r)
	}
	return labrpc.MajoritiesRing(nodes)
}

// watchLeaders checks election safety every few milliseconds, however
// briefly two leaders of a term would overlap, until the returned stop is
// called.
func (cfg *config) watchLeaders() (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	cfg.w.H.Go("leader watch", func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			case <-time.After(37 * time.Millisecond):
			}
			if _, err := cfg.Survey(); err != nil {
				cfg.w.Report(err)
				return
			}
		}
	})
	var once sync.Once
	stop = func() { once.Do(func() { close(done); wg.Wait() }) }
	cfg.w.H.OnTeardown(stop)
	return stop
}
