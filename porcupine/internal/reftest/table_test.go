package reftest

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
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
)

// timing is one history's figures: median wall times of both checkers'
// CheckOperations and both search step counts.
type timing struct {
	ref, ours           time.Duration
	refSteps, oursSteps int64
}

// timeHistory times ref and ours on h, reps runs each, interleaved (ref,
// ours, ref, ...) so that a change in the machine's load hits both, each
// after a collection so that neither pays for the other's garbage. A run
// of a short history is a batch of checks taking at least minBatch, timed
// as one: a single check of a few microseconds mostly measures the
// scheduler.
func timeHistory(t *testing.T, h []op, reps int) timing {
	t.Helper()
	refH, oursH := refOperations(h), oursOperations(h)
	refM, oursM := refModel(nil), oursModel()
	once := func(f func()) time.Duration {
		start := time.Now()
		f()
		return time.Since(start)
	}
	refOnce := func() { ref.CheckOperations(refM, refH) }
	oursOnce := func() { ours.CheckOperations(oursM, oursH) }
	refV, oursV := ref.CheckOperations(refM, refH), ours.CheckOperations(oursM, oursH)
	require.Equal(t, refV, oursV, "verdicts differ:\n%v", h)
	n := 1
	if fastest := min(once(refOnce), once(oursOnce)); fastest < minBatch {
		n = int(minBatch/max(fastest, time.Microsecond)) + 1
	}
	batch := func(f func()) time.Duration {
		runtime.GC()
		start := time.Now()
		for range n {
			f()
		}
		return time.Since(start) / time.Duration(n)
	}
	var refTimes, oursTimes []time.Duration
	for range reps {
		refTimes = append(refTimes, batch(refOnce))
		oursTimes = append(oursTimes, batch(oursOnce))
	}
	var steps atomic.Int64
	ref.CheckOperations(refModel(&steps), refH)
	res, err := ours.Check(oursM, oursH, ours.Options{})
	require.NoError(t, err)
	return timing{ref: median(refTimes), ours: median(oursTimes), refSteps: steps.Load(), oursSteps: res.Explored}
}

// minBatch is the least time a timed run of one history takes.
const minBatch = 5 * time.Millisecond

func median(ds []time.Duration) time.Duration {
	ds = slices.Clone(ds)
	slices.Sort(ds)
	return ds[len(ds)/2]
}

// TestTimesPerClass prints, for every class of generated histories, both
// checkers' total time and the worst ratio of one history, and fails if
// ours is slower in total on a class or more than twice as slow on one
// history: the bounds this checker promises against the reference.
func TestTimesPerClass(t *testing.T) {
	if !*timesFlag {
		t.Skip("a timing run; ask for it with -times (make porcupine-diff-table)")
	}
	reps := max(*repsFlag, 1)
	var b strings.Builder
	fmt.Fprintf(&b, "per-class times, CheckOperations, median of %d interleaved runs per history (short ones in batches of >= 5 ms); GOMAXPROCS=%d, load average %s\n",
		reps, runtime.GOMAXPROCS(0), loadAverage())
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "class\thistories\tours ms\tref ms\tours/ref\tworst history\tours steps\tref steps\tsteps ours/ref\t")
	type failure struct {
		class, what string
	}
	var failures []failure
	// histories where ours took over 1.5x the reference's time, for a
	// closer look
	var slow strings.Builder
	for _, c := range classes {
		var refTotal, oursTotal time.Duration
		var refSteps, oursSteps int64
		worst, worstAt := 0.0, -1
		hs := c.histories()
		for i, h := range hs {
			tm := timeHistory(t, h, reps)
			refTotal += tm.ref
			oursTotal += tm.ours
			refSteps += tm.refSteps
			oursSteps += tm.oursSteps
			r := float64(tm.ours) / float64(tm.ref)
			if r > worst {
				worst, worstAt = r, i
			}
			if r > 1.5 {
				fmt.Fprintf(&slow, "%s h=%02d: %d ops, ours %.3f ms (%d steps), ref %.3f ms (%d steps): %.2fx\n",
					c.name, i, len(h), ms(tm.ours), tm.oursSteps, ms(tm.ref), tm.refSteps, r)
			}
		}
		ratio := float64(oursTotal) / float64(refTotal)
		fmt.Fprintf(w, "%s\t%d\t%.1f\t%.1f\t%.2fx\t%.2fx (h=%02d)\t%d\t%d\t%.2fx\t\n", c.name, len(hs),
			ms(oursTotal), ms(refTotal), ratio, worst, worstAt, oursSteps, refSteps, float64(oursSteps)/float64(refSteps))
		if ratio > 1 {
			failures = append(failures, failure{c.name, fmt.Sprintf("total %.2fx the reference's", ratio)})
		}
		if worst > 2 {
			failures = append(failures, failure{c.name, fmt.Sprintf("history %d took %.2fx the reference's time (check it alone: make porcupine-diff-bench DIFFBENCH='History/class=%s/h=%02d$' DIFFBENCHTIME=20x)", worstAt, worst, c.name, worstAt)})
		}
	}
	w.Flush()
	t.Log("\n" + b.String())
	if slow.Len() > 0 {
		t.Log("histories over 1.5x:\n" + slow.String())
	}
	if *tableFlag != "" {
		require.NoError(t, os.WriteFile(*tableFlag, []byte(b.String()), 0o644))
	}
	for _, f := range failures {
		t.Errorf("class %s: %s", f.class, f.what)
	}
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
