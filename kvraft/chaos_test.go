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
	"testing"
	"time"

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

// chaosProfile is one seed's setup and mix of faults.
type chaosProfile struct {
	setup setup
	odds  cluster.ChaosOdds
}

func drawChaosProfile(r *rand.Rand) chaosProfile {
	p := chaosProfile{
		setup: setup{
			servers:      3 + 2*r.IntN(2),
			maxraftstate: []int{-1, snapshotMaxRaftState, 4 * snapshotMaxRaftState}[r.IntN(3)],
			gets:         getRoute(r.IntN(2)),
		},
		odds: cluster.DrawChaosOdds(r),
	}
	// At most a minority down: a healed network then guarantees progress.
	p.odds.MaxDown = (p.setup.servers - 1) / 2
	return p
}

func chaosRun(w *cluster.World) {
	p := drawChaosProfile(w.Rand)
	cfg := makeConfig(w, p.setup)
	cfg.begin(fmt.Sprintf("chaos: %+v", p))
	ws := cfg.startWorkers(workerOptions{clerks: 5, keys: 3, pause: 30 * time.Millisecond})
	stopWatch := cfg.WatchLeaders()
	defer stopWatch()
	probe := cfg.clerk()

	for step := 1; step <= chaosSteps; step++ {
		w.SetStep(step, fmt.Sprint(cfg.ChaosStep(w.Rand, p.odds)))
		cluster.ChaosPause(w.Rand)
		cfg.PollLeaders()

		if step%10 == 0 {
			cfg.Restore()
			w.SetStep(step, "healed: a Put must complete")
			cfg.put(probe, "probe", strconv.Itoa(step))
		}
	}
	cfg.Restore()
	w.SetStep(chaosSteps+1, "final: every clerk returns, the history is linearizable")
	ws.finish()
	cfg.end()
}
