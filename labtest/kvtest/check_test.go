package kvtest

import (
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"raftlab/labtest"
	"raftlab/labtest/cluster"
	"raftlab/porcupine"
)

// artifactsInTemp sends the test's timeline and pictures to a temporary
// directory instead of the module's testlogs.
func artifactsInTemp(t *testing.T) {
	t.Setenv("RAFTLAB_LOGDIR", t.TempDir())
}

// settle lets every goroutine the test started run until it blocks.
func settle() { time.Sleep(time.Millisecond) }

func TestCorrectServiceHistoryIsLinearizable(t *testing.T) {
	cluster.Run(t, cluster.Budget{}, func(w *cluster.World) {
		g := mapGroup(w, noFlaw)
		newClerk := mapClerks(g)
		h := NewHistory(w)
		done := make(chan struct{})
		for c := range 3 {
			ck := h.Record(c, newClerk(w.NewClient()))
			w.H.Go("client "+strconv.Itoa(c), func() {
				defer func() { done <- struct{}{} }()
				for n := range 30 {
					ck.Append("shared", appendValue(c, n))
					ck.Get("shared")
				}
			})
		}
		for range 3 {
			<-done
		}

		verdict, page, err := h.Verdict(CheckOptions{})
		assert.Equal(t, porcupine.Ok, verdict)
		assert.Empty(t, page, "only a failed check draws a picture")
		assert.NoError(t, err)
		assert.Equal(t, 3*30*2, h.Len())
		h.Check(CheckOptions{})
	})
}

func TestStaleReadsAreIllegalAndDrawnWithTheAnnotations(t *testing.T) {
	artifactsInTemp(t)
	cluster.Run(t, cluster.Budget{}, func(w *cluster.World) {
		g := mapGroup(w, staleReads)
		newClerk := mapClerks(g)
		time.Sleep(1500 * time.Millisecond)
		h := NewHistory(w)
		w.Action("stale reads begin")
		// Each client reads its own key three times after each write:
		// the stale server answers one of the three with the value from
		// before the write, which the client itself had just replaced.
		for c := range 2 {
			ck := h.Record(c, newClerk(w.NewClient()))
			key := keyOf(c)
			ck.Put(key, "")
			for n := range 3 {
				ck.Append(key, appendValue(c, n))
				for range 3 {
					ck.Get(key)
				}
			}
		}

		verdict, page, err := h.Verdict(CheckOptions{})
		require.Equal(t, porcupine.Illegal, verdict)
		require.Error(t, err)
		assert.Equal(t, w.H.ArtifactPath(PageName), page)
		assert.Contains(t, err.Error(), "is not linearizable")
		assert.Contains(t, err.Error(), page, "the failure names the picture")
		html, readErr := os.ReadFile(page)
		require.NoError(t, readErr, "the picture must be written where the verdict says")
		assert.NotEmpty(t, html)
		assert.Contains(t, string(html), "stale reads begin", "the test's actions are drawn on the picture")
		assert.Contains(t, string(html), "start server 0", "so are the harness's own actions, from before the history began")
		assert.Regexp(t, `"clock":\{"unit":1,"zero":"-15[0-9]{8}"\}`, string(html), "the picture tells times in the test's seconds, as the timeline does")
	}, labtest.WithSeed(1))
}

func TestOperationsAtOneVirtualInstantKeepTheirOrder(t *testing.T) {
	artifactsInTemp(t)
	cluster.Run(t, cluster.Budget{}, func(w *cluster.World) {
		h := NewHistory(w)
		ck := h.Record(0, newLaggingClerk())
		start := time.Now()
		ck.Put("k", "a")
		got := ck.Get("k")
		require.Equal(t, start, time.Now(), "the fake clerk must take no virtual time")
		require.Equal(t, "", got)

		// The Get began after the Put returned, even though the clock did
		// not move: reading "" is a stale read, not a concurrent one.
		verdict, _, err := h.Verdict(CheckOptions{})
		assert.Equal(t, porcupine.Illegal, verdict)
		assert.Error(t, err)
		ops := h.operations()
		require.Len(t, ops, 2)
		assert.Less(t, ops[0].Return, ops[1].Call)
	})
}

func TestPendingOperationIsCheckedAsUnknownOutcome(t *testing.T) {
	artifactsInTemp(t)
	cluster.Run(t, cluster.Budget{}, func(w *cluster.World) {
		h := NewHistory(w)
		gate := make(chan struct{})
		defer close(gate)
		stuck := h.Record(0, gatedClerk{gate: gate})
		w.H.Go("stuck client", func() { stuck.Append("k", "v") })
		settle()

		// Another client sees the stuck Append's value: it took effect,
		// though its clerk never said so.
		reader := h.Record(1, gatedClerk{gate: open(), reads: "v"})
		reader.Get("k")
		ops := h.operations()
		require.Len(t, ops, 2)
		assert.True(t, ops[0].Unknown, "an operation whose clerk has not returned has an unknown outcome")
		assert.Nil(t, ops[0].Output, "and no made-up output")
		assert.Zero(t, ops[0].Return, "and no made-up return")
		verdict, _, err := h.Verdict(CheckOptions{})
		assert.Equal(t, porcupine.Ok, verdict, "a pending Append may have taken effect")
		assert.NoError(t, err)

		// It may take effect, but it cannot explain a value never written.
		h.Record(2, gatedClerk{gate: open(), reads: "w"}).Get("k")
		verdict, _, _ = h.Verdict(CheckOptions{})
		assert.Equal(t, porcupine.Illegal, verdict)
	})
}

// hardHistory records n Appends of distinct values to one key and a Get
// that reads what no order of them makes, all overlapping: deciding it
// means trying every order of every subset of the Appends.
func hardHistory(w *cluster.World, n int) *History {
	h := NewHistory(w)
	gate := make(chan struct{})
	for c := range n {
		ck := h.Record(c, gatedClerk{gate: gate})
		w.H.Go("appender "+strconv.Itoa(c), func() { ck.Append("k", appendValue(c, 0)) })
	}
	reader := h.Record(n, gatedClerk{gate: gate, reads: "impossible"})
	w.H.Go("reader", func() { reader.Get("k") })
	settle()
	close(gate)
	settle()
	return h
}

func TestHardHistoryPastItsTimeoutIsUnknown(t *testing.T) {
	cluster.Run(t, cluster.Budget{}, func(w *cluster.World) {
		h := hardHistory(w, 14)
		start := time.Now()
		verdict, page, err := h.Verdict(CheckOptions{Timeout: time.Millisecond})
		assert.Equal(t, start, time.Now(), "the search takes no virtual time")
		assert.Equal(t, porcupine.Unknown, verdict)
		assert.Empty(t, page)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "could not be decided within the timeout of 1ms (real time)",
			"the timeout runs on the real clock: the virtual one stands still during the search")
		assert.Contains(t, err.Error(), "no evidence of a violation")
	})
}

func TestUndecidedErrorSaysWhyTheSearchStopped(t *testing.T) {
	err := undecidedError(120, 10*time.Second, &porcupine.UnknownReason{Cause: "timeout", Detail: "timed out after 10s", Explored: 5000, LongestPrefix: 17})
	assert.Contains(t, err.Error(), "the history of 120 operations could not be decided within the timeout of 10s (real time)")
	assert.Contains(t, err.Error(), "explored 5000 states and ordered at most 17 operations of one key")

	err = undecidedError(120, 10*time.Second, &porcupine.UnknownReason{Cause: "memory", Detail: "search memory reached the cap of 1.0 GiB", Explored: 9})
	assert.Contains(t, err.Error(), "stopped on its memory limit (search memory reached the cap of 1.0 GiB)")
	assert.NotContains(t, err.Error(), "within the timeout", "a memory cap is not a timeout")
}

func TestAnnotationsShareTheHistoryTimeBase(t *testing.T) {
	cluster.Run(t, cluster.Budget{}, func(w *cluster.World) {
		g := mapGroup(w, noFlaw)
		w.Action("before the history")
		time.Sleep(time.Second)
		h := NewHistory(w)
		time.Sleep(time.Second)
		g.Crash(0)
		time.Sleep(2 * time.Second)
		g.Start(0)

		byDesc := map[string]porcupine.Annotation{}
		for _, a := range h.annotations() {
			assert.True(t, a.Annotation, "%q belongs on a row of its own, not a client's", a.Description)
			byDesc[a.Description] = a
		}
		before := byDesc["before the history"]
		assert.Equal(t, "test", before.Tag)
		assert.Zero(t, before.Start, "an annotation from before the history is clamped to its start")
		assert.Zero(t, before.End)

		down := byDesc["down"]
		assert.Equal(t, "server 0", down.Tag, "a server's row says it is a server's, not client 0's")
		assert.InDelta(t, float64(time.Second), float64(down.Start), float64(time.Millisecond))
		assert.InDelta(t, float64(3*time.Second), float64(down.End), float64(time.Millisecond))
	})
}

// The picture gives tags rows in the order they first appear: the test's
// actions, leaders and partitions come first, then the servers by number.
func TestAnnotationRowsReadInAFixedOrder(t *testing.T) {
	cluster.Run(t, cluster.Budget{}, func(w *cluster.World) {
		g := cluster.NewGroup(w, cluster.GroupSpec[*mapServer]{
			N: 11,
			Start: func(inc *cluster.Incarnation) (*mapServer, []any) {
				s := startMapServer(inc, noFlaw)
				return s, []any{s}
			},
			Kill: (*mapServer).Kill,
		})
		g.StartAll()
		h := NewHistory(w)
		for _, i := range []int{10, 2, 0} {
			g.Crash(i)
			time.Sleep(time.Millisecond)
			g.Start(i)
		}
		w.Action("late action")
		var rows []string
		for _, a := range h.annotations() {
			if !slices.Contains(rows, a.Tag) {
				rows = append(rows, a.Tag)
			}
		}
		assert.Equal(t, []string{"test", "server 0", "server 2", "server 10"}, rows)
	})
}

func TestNaturalCompareTakesDigitsAsNumbers(t *testing.T) {
	sorted := []string{"leader", "s2", "s10", "s100-1", "s100-10", "s101-0", "server 007x", "server 7y"}
	shuffled := slices.Clone(sorted)
	slices.Reverse(shuffled)
	slices.SortFunc(shuffled, naturalCompare)
	assert.Equal(t, sorted, shuffled)
}
