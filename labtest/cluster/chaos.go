package cluster

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"raftlab/labrpc"
)

// ChaosOdds is one seed's mix of faults for a group's chaos test: the
// per-mille chance, per step, of each kind of action, and the bounds of the
// network faults drawn. Draw one with DrawChaosOdds, adjust what a lab needs
// (MaxDown, above all), and apply steps with Group.ChaosStep.
type ChaosOdds struct {
	Crash       int // crash a random live server
	CrashLeader int // crash whoever leads: the Figure 8 move
	Restart     int // restart a crashed server
	Partition   int // one of the partition shapes (see drawPartition)
	Cut         int // a one-way cut between two servers
	Heal        int // heal every partition and cut
	Faults      int // new network-wide drop, duplicate and delay rates

	// MaxDown is how many servers may be down at once; 0 means a minority,
	// so that healing the network is enough for progress.
	MaxDown int

	MaxDrop  float64       // drop rates are drawn from [0, MaxDrop)
	MaxDup   float64       // duplicate rate from [0, MaxDup)
	MaxDelay time.Duration // network-wide delay from [0, MaxDelay]

	// LongReordering lets a faults action also turn labrpc's long reply
	// reordering on or off.
	LongReordering bool
	// LateReplies lets a faults action also hold back the replies on one
	// link by 200 ms to 2 s: replies that arrive after the caller moved on.
	LateReplies bool
}

// DrawChaosOdds draws a mix of faults: every kind of action with a chance
// of its own, so that over many seeds each kind sometimes dominates.
func DrawChaosOdds(r *rand.Rand) ChaosOdds {
	return ChaosOdds{
		Crash:          50 + r.IntN(200),
		CrashLeader:    50 + r.IntN(250),
		Restart:        300 + r.IntN(500),
		Partition:      100 + r.IntN(300),
		Cut:            r.IntN(300),
		Heal:           200 + r.IntN(300),
		Faults:         100 + r.IntN(300),
		MaxDrop:        []float64{0, 0.05, 0.1, 0.2}[r.IntN(4)],
		MaxDup:         []float64{0, 0.1, 0.3, 0.5}[r.IntN(4)],
		MaxDelay:       time.Duration(r.IntN(60)) * time.Millisecond,
		LongReordering: r.IntN(3) == 0,
		LateReplies:    r.IntN(2) == 0,
	}
}

// Down lists the servers that are not running.
func (g *Group[S]) Down() []int {
	var down []int
	for i := 0; i < g.spec.N; i++ {
		if !g.Alive(i) {
			down = append(down, i)
		}
	}
	return down
}

// ChaosStep draws this step's actions from r and odds and applies them to
// the group (crashes, restarts, partitions, cuts, heals) and to the network
// (fault rates, long reordering, late replies on one of the group's links).
// It returns what it did, for the test's step description (World.SetStep).
// Only the caller's goroutine draws from r, so a seed replays the same
// actions.
func (g *Group[S]) ChaosStep(r *rand.Rand, odds ChaosOdds) []string {
	n := g.spec.N
	maxDown := odds.MaxDown
	if maxDown <= 0 {
		maxDown = (n - 1) / 2
	}
	roll := func(perMille int) bool { return r.IntN(1000) < perMille }
	var did []string

	if down := g.Down(); len(down) > 0 && roll(odds.Restart) {
		i := down[r.IntN(len(down))]
		g.Start(i)
		g.Connect(i)
		did = append(did, fmt.Sprintf("restart %d", i))
	}
	if roll(odds.Crash) && len(g.Down()) < maxDown {
		if i := r.IntN(n); g.Alive(i) {
			g.Crash(i)
			did = append(did, fmt.Sprintf("crash %d", i))
		}
	}
	if roll(odds.CrashLeader) && len(g.Down()) < maxDown {
		if i, ok := g.Leader(); ok {
			g.Crash(i)
			did = append(did, fmt.Sprintf("crash leader %d", i))
		}
	}
	if roll(odds.Partition) {
		sides := g.drawPartition(r)
		g.PartitionNodes(sides)
		did = append(did, fmt.Sprintf("partition %v", sides))
	}
	if roll(odds.Cut) {
		if from, to := r.IntN(n), r.IntN(n); from != to {
			g.Cut(from, to)
			did = append(did, fmt.Sprintf("cut %d->%d", from, to))
		}
	}
	if roll(odds.Heal) {
		g.Heal()
		did = append(did, "heal")
	}
	if roll(odds.Faults) {
		f := labrpc.Faults{
			DropRequests: odds.MaxDrop * r.Float64(),
			DropReplies:  odds.MaxDrop * r.Float64(),
			Duplicates:   odds.MaxDup * r.Float64(),
			MaxDelay:     time.Duration(r.Int64N(int64(odds.MaxDelay) + 1)),
		}
		g.w.SetFaults(f)
		did = append(did, fmt.Sprintf("faults %+v", f))
		if from, to := r.IntN(n), r.IntN(n); odds.LateReplies && from != to {
			g.w.SetLinkFaults(g.ServerName(from), g.ServerName(to),
				labrpc.Faults{ReplyMinDelay: 200 * time.Millisecond, ReplyMaxDelay: 2 * time.Second})
			did = append(did, fmt.Sprintf("late replies %d->%d", from, to))
		}
		if odds.LongReordering {
			on := r.IntN(2) == 0
			g.w.SetLongReordering(on)
			did = append(did, fmt.Sprintf("long reordering %v", on))
		}
	}
	if len(did) == 0 {
		did = append(did, "nothing")
	}
	return did
}

// drawPartition draws one of the partition shapes: one server isolated,
// the leader isolated, two halves, a bridge, a ring of majorities.
func (g *Group[S]) drawPartition(r *rand.Rand) [][]any {
	nodes := g.Nodes()
	switch r.IntN(5) {
	case 0:
		return labrpc.IsolateOne(nodes, r.IntN(len(nodes)))
	case 1:
		if l, ok := g.Leader(); ok {
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

// ChaosPause sleeps for one chaos step: mostly short steps, so that faults
// land mid-election and mid-operation, and some long ones, so that
// elections finish.
func ChaosPause(r *rand.Rand) {
	if r.IntN(10) < 6 {
		time.Sleep(time.Duration(5+r.IntN(95)) * time.Millisecond)
	} else {
		time.Sleep(time.Duration(100+r.IntN(1100)) * time.Millisecond)
	}
}

// Restore undoes every fault: it heals the group's partitions and cuts,
// clears the network's fault rates, link faults and long reordering, and
// restarts and connects every crashed server.
func (g *Group[S]) Restore() {
	g.Heal()
	g.w.SetFaults(labrpc.Faults{})
	g.w.ClearLinkFaults()
	g.w.SetLongReordering(false)
	for _, i := range g.Down() {
		g.Start(i)
		g.Connect(i)
	}
}

// WatchLeaders checks election safety (Survey) every few milliseconds, on
// a goroutine of its own, however briefly two leaders of a term would
// overlap, and fails the test at the first breach. It stops when the
// returned function is called or the test tears down.
func (g *Group[S]) WatchLeaders() (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	g.w.H.Go("leader watch "+g.spec.Prefix, func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			case <-time.After(37 * time.Millisecond):
			}
			if _, err := g.Survey(); err != nil {
				g.w.Report(err)
				return
			}
		}
	})
	var once sync.Once
	stop = func() { once.Do(func() { close(done); wg.Wait() }) }
	g.w.H.OnTeardown(stop)
	return stop
}
