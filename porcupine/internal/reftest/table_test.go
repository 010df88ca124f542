package reftest

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"text/tabwriter"
	"time"

	ref "github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/require"

	ours "raftlab/porcupine"
)

// The timing table is a measurement, not a test: it takes minutes and its
// figures depend on the machine's load, so it runs only when asked
// (make porcupine-diff-table).
var (
	timesFlag = flag.Bool("times", false, "time both checkers on every history and print the per-class table (TestTimesPerClass)")
	repsFlag  = flag.Int("reps", 5, "timed runs of each checker per history for -times; the table uses their median")
	tableFlag = flag.String("table", "", "also write the -times table to this file")
	classFlag = flag.String("class", "", "time only the class of this name (-times)")
)

// timing is one history's figures: both checkers' CheckOperations times
// (medians over the runs) and search steps.
type timing struct {
	ref, ours           cost
	refSteps, oursSteps int64
}

// cost is the time of one check: wall time, and the CPU time of the whole
// process (every thread, the collector's too). On a machine shared with
// other work, wall time measures the load as much as the checker, and CPU
// time is the fairer figure; it also charges a checker for the cores it
// keeps busy in parallel.
type cost struct{ wall, cpu time.Duration }

// timeHistory times ref and ours on h, reps runs each, interleaved (ref,
// ours, ref, ...) so that a change in the machine's load hits both. A run
// of a short history is a batch of checks taking at least minBatch, timed
// as one: a single check of a few microseconds mostly measures the
// scheduler. A longer one runs after a collection, so that it does not pay
// for the other checker's garbage; a batch pays for its own, and a
// collection before it would charge it the sweeping and the returning of
// memory to the system that follow (on a one-key history of 21 operations
// that made ours look 2.3x slower than the reference; benchmarked, it is
// 2x faster).
func timeHistory(t *testing.T, h []op, reps int) timing {
	t.Helper()
	refH, oursH := refOperations(h), oursOperations(h)
	refM, oursM := refModel(nil), oursModel()
	refOnce := func() { ref.CheckOperations(refM, refH) }
	oursOnce := func() { ours.CheckOperations(oursM, oursH) }
	refV, oursV := ref.CheckOperations(refM, refH), ours.CheckOperations(oursM, oursH)
	require.Equal(t, refV, oursV, "verdicts differ:\n%v", h)
	n := 1
	batch := func(f func()) cost {
		if n == 1 {
			runtime.GC()
		}
		start, cpu := time.Now(), cpuTime()
		for range n {
			f()
		}
		return cost{time.Since(start) / time.Duration(n), (cpuTime() - cpu) / time.Duration(n)}
	}
	if fastest := min(batch(refOnce).cpu, batch(oursOnce).cpu); fastest < minBatch {
		n = int(minBatch/max(fastest, time.Microsecond)) + 1
	}
	var refCosts, oursCosts []cost
	for range reps {
		refCosts = append(refCosts, batch(refOnce))
		oursCosts = append(oursCosts, batch(oursOnce))
	}
	var steps atomic.Int64
	ref.CheckOperations(refModel(&steps), refH)
	res, err := ours.Check(oursM, oursH, ours.Options{})
	require.NoError(t, err)
	return timing{ref: medianCost(refCosts), ours: medianCost(oursCosts), refSteps: steps.Load(), oursSteps: res.Explored}
}

// cpuTime is the CPU time the process has used, in user and kernel mode.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func medianCost(cs []cost) cost {
	var wall, cpu []time.Duration
	for _, c := range cs {
		wall, cpu = append(wall, c.wall), append(cpu, c.cpu)
	}
	return cost{median(wall), median(cpu)}
}

func median(ds []time.Duration) time.Duration {
	ds = slices.Clone(ds)
	slices.Sort(ds)
	return ds[len(ds)/2]
}

// minBatch is the least time a timed run of one history takes.
const minBatch = 10 * time.Millisecond

// TestTimesPerClass prints, for every class of generated histories, both
// checkers' total time and the worst ratio of one history, and fails if
// ours is slower in total on a class or more than twice as slow on one
// history: the bounds this checker promises against the reference. The
// bounds apply to CPU time; wall times are printed alongside.
func TestTimesPerClass(t *testing.T) {
	if !*timesFlag {
		t.Skip("a timing run; ask for it with -times (make porcupine-diff-table)")
	}
	reps := max(*repsFlag, 1)
	var b strings.Builder
	fmt.Fprintf(&b, "CheckOperations per class of generated histories: medians of %d interleaved runs per history (short ones in batches of >= %v); CPU time of the process, wall time; GOMAXPROCS=%d, load average %s\n",
		reps, minBatch, runtime.GOMAXPROCS(0), loadAverage())
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "class\thistories\tours CPU ms\tref CPU ms\tours/ref\tworst history\tours wall ms\tref wall ms\tours/ref\tsteps ours/ref\t")
	var failures []string
	// histories where ours took over 1.5x the reference's CPU time, for a
	// closer look
	var slow strings.Builder
	for _, c := range classes {
		if *classFlag != "" && c.name != *classFlag {
			continue
		}
		var refTotal, oursTotal cost
		var refSteps, oursSteps int64
		worst, worstAt := 0.0, -1
		hs := c.histories()
		for i, h := range hs {
			tm := timeHistory(t, h, reps)
			refTotal.wall += tm.ref.wall
			refTotal.cpu += tm.ref.cpu
			oursTotal.wall += tm.ours.wall
			oursTotal.cpu += tm.ours.cpu
			refSteps += tm.refSteps
			oursSteps += tm.oursSteps
			r := float64(tm.ours.cpu) / float64(tm.ref.cpu)
			if r > worst {
				worst, worstAt = r, i
			}
			if r > 1.5 {
				fmt.Fprintf(&slow, "%s h=%02d: %d ops; CPU ours %.3f ms, ref %.3f ms (%.2fx); wall ours %.3f ms, ref %.3f ms; steps ours %d, ref %d\n",
					c.name, i, len(h), ms(tm.ours.cpu), ms(tm.ref.cpu), r, ms(tm.ours.wall), ms(tm.ref.wall), tm.oursSteps, tm.refSteps)
				refMed, oursMed := stepsOverListings(t, h)
				fmt.Fprintf(&slow, "    the same operations listed in %d orders: median steps ours %d, ref %d\n", listings, oursMed, refMed)
			}
		}
		ratio := float64(oursTotal.cpu) / float64(refTotal.cpu)
		fmt.Fprintf(w, "%s\t%d\t%.1f\t%.1f\t%.2fx\t%.2fx (h=%02d)\t%.1f\t%.1f\t%.2fx\t%.2fx\t\n", c.name, len(hs),
			ms(oursTotal.cpu), ms(refTotal.cpu), ratio, worst, worstAt,
			ms(oursTotal.wall), ms(refTotal.wall), float64(oursTotal.wall)/float64(refTotal.wall),
			float64(oursSteps)/float64(refSteps))
		if ratio > 1 {
			failures = append(failures, fmt.Sprintf("class %s: total CPU time %.2fx the reference's", c.name, ratio))
		}
		if worst > 2 {
			failures = append(failures, fmt.Sprintf("class %s: history %d took %.2fx the reference's CPU time (check it alone: make porcupine-diff-bench DIFFBENCH='History/class=%s/h=%02d$' DIFFBENCHTIME=20x)", c.name, worstAt, worst, c.name, worstAt))
		}
	}
	w.Flush()
	fmt.Fprintf(&b, "load average after: %s\n", loadAverage())
	t.Log("\n" + b.String())
	if slow.Len() > 0 {
		t.Log("histories over 1.5x:\n" + slow.String())
	}
	if *tableFlag != "" {
		require.NoError(t, os.WriteFile(*tableFlag, []byte(b.String()+slow.String()), 0o644))
	}
	for _, f := range failures {
		t.Error(f)
	}
}

// listings is how many orders of a history's operations stepsOverListings
// tries.
const listings = 21

// stepsOverListings returns the median search steps of both checkers on
// h with its operations listed in listings orders (h's own, then
// shuffles). The histories have many calls at the same instant, and which
// of them a checker tries first follows the listing: ours takes them in
// listing order, the reference in whatever order its unstable sort leaves
// them. Either order can be the lucky one, by over 15x in steps (one-key
// history 45: the reference took 39 to 668 steps over 20 listings, ours 38
// to 743), so a ratio far from 1 on one listing says little about the
// checkers.
func stepsOverListings(t *testing.T, h []op) (refMed, oursMed int64) {
	t.Helper()
	r := rand.New(rand.NewPCG(uint64(len(h)), 1))
	var refs, ourss []int64
	h = slices.Clone(h)
	for range listings {
		var steps atomic.Int64
		ref.CheckOperations(refModel(&steps), refOperations(h))
		refs = append(refs, steps.Load())
		ourss = append(ourss, oursCheck(t, h).Explored)
		r.Shuffle(len(h), func(a, b int) { h[a], h[b] = h[b], h[a] })
	}
	slices.Sort(refs)
	slices.Sort(ourss)
	return refs[listings/2], ourss[listings/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// loadAverage is the machine's 1-, 5- and 15-minute load, for reading the
// times (other processes share the cores).
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
