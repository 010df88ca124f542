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
	"flag"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"raftlab/labrpc"
)

// chaosDefaultSeeds is how many seeds TestChaos runs when -seeds is not
// given: enough to exercise the mix, few enough to keep the suite fast.
const chaosDefaultSeeds = 8

// chaosSteps is how many fault-injection steps one seed runs.
const chaosSteps = 80

func TestChaos(t *testing.T) {
	seeds := chaosSeeds(t)
	for _, seed := range seeds {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			runTestSeed(t, seed, true, testBudget{virtual: 300 * time.Second, rpcs: 200000}, chaosRun)
		})
	}
}

// chaosSeeds returns labtest's seeds; without -seeds it derives a few more
// from the first, so a plain `go test` still covers several schedules.
func chaosSeeds(t *testing.T) []uint64 {
	seeds := seedsFor(t)
	seedsGiven := false
	flag.Visit(func(f *flag.Flag) {
		if f.Name == "seeds" {
			seedsGiven = true
		}
	})
	if !seedsGiven && !seedGiven() && len(seeds) < chaosDefaultSeeds {
		seeds = deriveSeeds(seeds[0], chaosDefaultSeeds)
	}
	return seeds
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
	cfg  *cluster
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
		// instants of the body and the servers (see cluster.event).
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
					cfg.mu.Lock()
					step := cfg.step
					cfg.mu.Unlock()
					cc.mu.Lock()
					cc.acked = append(cc.acked, ackedCmd{index: index, cmd: x, client: me, step: step})
					cc.mu.Unlock()
				}
				break
			}
		}
	}
}

// watchLeaders polls every live server's GetState and reports a breach of
// election safety (surveyLeaders): two leaders of one term, however briefly
// they overlap, or a leader without the votes to show for it.
func watchLeaders(h *harness, cfg *cluster, done chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	for {
		select {
		case <-done:
			return
		case <-time.After(37 * time.Millisecond):
		}
		if _, err := cfg.surveyLeaders(); err != "" {
			h.report(err)
			return
		}
	}
}

// currentLeader returns the live server that claims to lead the highest
// term, or -1.
func (cfg *cluster) currentLeader() int {
	leader, best := -1, -1
	for i := 0; i < cfg.n; i++ {
		if rf := cfg.raft(i); rf != nil {
			if term, isLeader := rf.GetState(); isLeader && term > best {
				leader, best = i, term
			}
		}
	}
	return leader
}

// chaosProfile is one seed's mix of faults.
type chaosProfile struct {
	servers     int
	snapshots   bool
	pCrash      int // per-mille chance per step of each kind of action
	pCrashLead  int // crash whoever leads: the Figure 8 move
	pRestart    int
	pPartition  int
	pCut        int
	pHeal       int
	pFaults     int
	maxDrop     float64
	maxDup      float64
	maxDelay    time.Duration
	reorderings bool
}

func drawProfile(r *rand.Rand) chaosProfile {
	p := chaosProfile{
		servers:     3 + 2*r.IntN(2), // 3 or 5
		snapshots:   r.IntN(2) == 0,
		pCrash:      50 + r.IntN(200),
		pCrashLead:  50 + r.IntN(250),
		pRestart:    300 + r.IntN(500),
		pPartition:  100 + r.IntN(300),
		pCut:        r.IntN(300),
		pHeal:       200 + r.IntN(300),
		pFaults:     100 + r.IntN(300),
		maxDrop:     []float64{0, 0.05, 0.1, 0.2}[r.IntN(4)],
		maxDup:      []float64{0, 0.1, 0.3, 0.5}[r.IntN(4)],
		maxDelay:    time.Duration(r.IntN(60)) * time.Millisecond,
		reorderings: r.IntN(3) == 0,
	}
	return p
}

func chaosRun(h *harness) {
	p := drawProfile(h.rand)
	cfg := makeCluster(h, p.servers, false, p.snapshots)
	cfg.begin(fmt.Sprintf("chaos: %+v", p))

	done := make(chan struct{})
	var stopOnce sync.Once
	stopClients := func() { stopOnce.Do(func() { close(done) }) }
	h.cleanup(stopClients) // also if the test fails midway
	var bg sync.WaitGroup
	cc := &chaosClients{cfg: cfg, done: done}
	for c := 0; c < 2; c++ {
		rnd := h.newRand(fmt.Sprintf("client-%d", c))
		cc.wg.Add(1)
		me := c
		h.goHelper(fmt.Sprintf("client-%d", me), func() { cc.run(me, rnd) })
	}
	bg.Add(1)
	h.goHelper("leader-watch", func() { watchLeaders(h, cfg, done, &bg) })

	n := cfg.n
	crashed := func() []int {
		var l []int
		for i := 0; i < n; i++ {
			if cfg.raft(i) == nil {
				l = append(l, i)
			}
		}
		return l
	}
	// restore heals everything and brings every server back.
	restore := func() {
		cfg.heal()
		cfg.setFaults(labrpc.Faults{})
		cfg.setLongReordering(false)
		for _, i := range crashed() {
			cfg.start1(i)
			cfg.connect(i)
		}
	}

	for step := 1; step <= chaosSteps; step++ {
		var did []string
		roll := func(perMille int) bool { return h.rand.IntN(1000) < perMille }

		if down := crashed(); len(down) > 0 && roll(p.pRestart) {
			i := down[h.rand.IntN(len(down))]
			cfg.start1(i)
			cfg.connect(i)
			did = append(did, fmt.Sprintf("restart %d", i))
		}
		if roll(p.pCrash) && len(crashed()) < n/2+1 {
			i := h.rand.IntN(n)
			if cfg.raft(i) != nil {
				cfg.crash1(i)
				did = append(did, fmt.Sprintf("crash %d", i))
			}
		}
		if roll(p.pCrashLead) && len(crashed()) < n/2+1 {
			if i := cfg.currentLeader(); i != -1 {
				cfg.crash1(i)
				did = append(did, fmt.Sprintf("crash leader %d", i))
			}
		}
		if roll(p.pPartition) {
			var groups [][]any
			switch h.rand.IntN(5) {
			case 0:
				groups = labrpc.IsolateOne(cfg.nodes(), h.rand.IntN(n))
			case 4:
				if l := cfg.currentLeader(); l != -1 {
					groups = labrpc.IsolateOne(cfg.nodes(), l)
				} else {
					groups = labrpc.Halves(cfg.nodes(), h.rand)
				}
			case 1:
				groups = labrpc.Halves(cfg.nodes(), h.rand)
			case 2:
				groups = labrpc.Bridge(cfg.nodes(), h.rand)
			case 3:
				groups = labrpc.MajoritiesRing(cfg.nodes())
			}
			cfg.partition(groups)
			did = append(did, fmt.Sprintf("partition %v", groups))
		}
		if roll(p.pCut) {
			from, to := h.rand.IntN(n), h.rand.IntN(n)
			if from != to {
				cfg.cut(from, to)
				did = append(did, fmt.Sprintf("cut %d->%d", from, to))
			}
		}
		if roll(p.pHeal) {
			cfg.heal()
			did = append(did, "heal")
		}
		if roll(p.pFaults) {
			f := labrpc.Faults{
				DropRequests: p.maxDrop * h.rand.Float64(),
				DropReplies:  p.maxDrop * h.rand.Float64(),
				Duplicates:   p.maxDup * h.rand.Float64(),
				MaxDelay:     time.Duration(h.rand.Int64N(int64(p.maxDelay) + 1)),
			}
			cfg.setFaults(f)
			did = append(did, fmt.Sprintf("faults %+v", f))
			if p.reorderings {
				on := h.rand.IntN(2) == 0
				cfg.setLongReordering(on)
				did = append(did, fmt.Sprintf("long reordering %v", on))
			}
		}
		if len(did) == 0 {
			did = append(did, "nothing")
		}
		cfg.setStep(step, fmt.Sprint(did))

		// Mostly short steps, so that faults land mid-election and
		// mid-replication; some long ones, so that elections finish.
		if h.rand.IntN(10) < 6 {
			cfg.sleep(time.Duration(5+h.rand.IntN(95)) * time.Millisecond)
		} else {
			cfg.sleep(time.Duration(100+h.rand.IntN(1100)) * time.Millisecond)
		}

		// Safety, at every step.
		cfg.checkApplyErr()
		cfg.pollLeaders()

		// Liveness, every twentieth step: heal everything; a command must
		// commit everywhere.
		if step%20 == 0 {
			restore()
			cfg.setStep(step, "healed: liveness check")
			if _, err := cfg.tryOne(h.rand.IntN(1<<30), n, true); err != nil {
				h.fatalf("liveness after healing (step %d): %v", step, err)
			}
		}
	}

	restore()
	stopClients()
	cc.wg.Wait()
	bg.Wait()
	cfg.setStep(chaosSteps+1, "final: every acknowledged command on every server")

	last := cfg.one(h.rand.IntN(1<<30), n, true)
	cc.mu.Lock()
	acked := append([]ackedCmd(nil), cc.acked...)
	cc.mu.Unlock()
	for _, a := range acked {
		if a.index > last {
			h.fatalf("leader completeness: command %d was seen committed at index %d (step %d) but the final log ends at %d",
				a.cmd, a.index, a.step, last)
		}
		if v := cfg.wait(a.index, n, -1); v != a.cmd {
			h.fatalf("leader completeness: command %d was seen committed at index %d (step %d) but every server applied %v there",
				a.cmd, a.index, a.step, v)
		}
	}
	h.logf("  %d commands acknowledged, final log length %d", len(acked), last)
	cfg.end()
}
