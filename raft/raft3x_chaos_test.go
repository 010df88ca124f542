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

	"raftlab/labrpc"
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

// watchLeaders polls every live server's GetState and reports a breach of
// election safety (surveyLeaders): two leaders of one term, however briefly
// they overlap, or a leader without the votes to show for it.
func watchLeaders(w *cluster.World, cfg *config, done chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	for {
		select {
		case <-done:
			return
		case <-time.After(37 * time.Millisecond):
		}
		if _, err := cfg.Survey(); err != nil {
			w.Report(err)
			return
		}
	}
}

// chaosProfile is one seed's mix of faults.
type chaosProfile struct {
	servers     int
	service     service
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
	lateReplies bool // some links hold replies back for up to 2 s
}

func drawProfile(r *rand.Rand) chaosProfile {
	p := chaosProfile{
		servers:     3 + 2*r.IntN(2),    // 3 or 5
		service:     service(r.IntN(2)), // plain or snapshotting
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
		lateReplies: r.IntN(2) == 0,
	}
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
	var bg sync.WaitGroup
	cc := &chaosClients{cfg: cfg, done: done}
	for c := 0; c < 2; c++ {
		rnd := w.H.NewRand(fmt.Sprintf("client-%d", c))
		cc.wg.Add(1)
		me := c
		w.H.Go(fmt.Sprintf("client-%d", me), func() { cc.run(me, rnd) })
	}
	bg.Add(1)
	w.H.Go("leader-watch", func() { watchLeaders(w, cfg, done, &bg) })

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
		cfg.Heal()
		cfg.w.SetFaults(labrpc.Faults{})
		cfg.w.ClearLinkFaults()
		cfg.w.SetLongReordering(false)
		for _, i := range crashed() {
			cfg.Start(i)
			cfg.Connect(i)
		}
	}

	for step := 1; step <= chaosSteps; step++ {
		var did []string
		roll := func(perMille int) bool { return w.Rand.IntN(1000) < perMille }

		if down := crashed(); len(down) > 0 && roll(p.pRestart) {
			i := down[w.Rand.IntN(len(down))]
			cfg.Start(i)
			cfg.Connect(i)
			did = append(did, fmt.Sprintf("restart %d", i))
		}
		if roll(p.pCrash) && len(crashed()) < n/2+1 {
			i := w.Rand.IntN(n)
			if cfg.raft(i) != nil {
				cfg.Crash(i)
				did = append(did, fmt.Sprintf("crash %d", i))
			}
		}
		if roll(p.pCrashLead) && len(crashed()) < n/2+1 {
			if i, ok := cfg.Leader(); ok {
				cfg.Crash(i)
				did = append(did, fmt.Sprintf("crash leader %d", i))
			}
		}
		if roll(p.pPartition) {
			var groups [][]any
			switch w.Rand.IntN(5) {
			case 0:
				groups = labrpc.IsolateOne(cfg.Nodes(), w.Rand.IntN(n))
			case 4:
				if l, ok := cfg.Leader(); ok {
					groups = labrpc.IsolateOne(cfg.Nodes(), l)
				} else {
					groups = labrpc.Halves(cfg.Nodes(), w.Rand)
				}
			case 1:
				groups = labrpc.Halves(cfg.Nodes(), w.Rand)
			case 2:
				groups = labrpc.Bridge(cfg.Nodes(), w.Rand)
			case 3:
				groups = labrpc.MajoritiesRing(cfg.Nodes())
			}
			cfg.PartitionNodes(groups)
			did = append(did, fmt.Sprintf("partition %v", groups))
		}
		if roll(p.pCut) {
			from, to := w.Rand.IntN(n), w.Rand.IntN(n)
			if from != to {
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
			cfg.w.SetFaults(f)
			did = append(did, fmt.Sprintf("faults %+v", f))
			if from, to := w.Rand.IntN(n), w.Rand.IntN(n); p.lateReplies && from != to {
				cfg.w.SetLinkFaults(from, to, labrpc.Faults{ReplyMinDelay: 200 * time.Millisecond, ReplyMaxDelay: 2 * time.Second})
				did = append(did, fmt.Sprintf("late replies %d->%d", from, to))
			}
			if p.reorderings {
				on := w.Rand.IntN(2) == 0
				cfg.w.SetLongReordering(on)
				did = append(did, fmt.Sprintf("long reordering %v", on))
			}
		}
		if len(did) == 0 {
			did = append(did, "nothing")
		}
		cfg.w.SetStep(step, fmt.Sprint(did))

		// Mostly short steps, so that faults land mid-election and
		// mid-replication; some long ones, so that elections finish.
		if w.Rand.IntN(10) < 6 {
			time.Sleep(time.Duration(5+w.Rand.IntN(95)) * time.Millisecond)
		} else {
			time.Sleep(time.Duration(100+w.Rand.IntN(1100)) * time.Millisecond)
		}

		// Safety, at every step.
		cfg.checkApplyErr()
		cfg.PollLeaders()

		// Liveness, every twentieth step: heal everything; a command must
		// commit everywhere.
		if step%20 == 0 {
			restore()
			cfg.w.SetStep(step, "healed: liveness check")
			if _, err := cfg.tryOne(w.Rand.IntN(1<<30), n, true); err != nil {
				w.Fatalf("liveness after healing (step %d): %v", step, err)
			}
		}
	}

	restore()
	stopClients()
	cc.wg.Wait()
	bg.Wait()
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
