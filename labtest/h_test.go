package labtest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStartServerRestartsOnTheServersParity(t *testing.T) {
	if currentSettings().realtime {
		t.Skip("clock parity is a virtual-time matter")
	}
	Run(t, func(h *H) {
		var first, restart time.Duration
		h.StartServer("a", func() { first = h.Elapsed() })
		h.ServersStarted()
		assert.Equal(t, int64(1), h.Elapsed().Nanoseconds()%2, "after ServersStarted the body runs off the servers' instants")
		time.Sleep(3 * time.Millisecond)
		h.StartServer("a", func() { restart = h.Elapsed() })
		assert.Equal(t, int64(0), first.Nanoseconds()%2)
		assert.Equal(t, int64(0), restart.Nanoseconds()%2, "a restarted server must start on the servers' parity, or its timers tie with the body's")
		assert.Equal(t, int64(1), h.Elapsed().Nanoseconds()%2, "the body is back on its own parity after a restart")
		h.ServersStarted()
		assert.Equal(t, int64(1), h.Elapsed().Nanoseconds()%2, "ServersStarted on the body's parity keeps it")
		h.Settle()
		assert.Equal(t, int64(1), h.Elapsed().Nanoseconds()%2, "Settle keeps the parity")
	})
}

func TestReportFailsDuringTheBodyOnly(t *testing.T) {
	// A report during teardown (a killed server's checker complaining) must
	// not fail the test; it only lands in the timeline.
	Run(t, func(h *H) {
		h.Report(nil)
		assert.False(t, h.TearingDown())
		h.OnTeardown(func() {
			assert.True(t, h.TearingDown())
			h.Report(errors.New("channel closed under a killed server"))
		})
	})
	assert.False(t, t.Failed(), "a report after teardown began must not fail the test")
}

func TestGuardHelperReport(t *testing.T) {
	helperOnly(t)
	Run(t, func(h *H) {
		done := make(chan struct{})
		h.Go("checker", func() {
			h.Report(errors.New("state machine safety: made up for the test"))
			close(done)
		})
		<-done
	})
}

func TestReportFromAHelperFailsTheTest(t *testing.T) {
	out, _ := runHelper(t, "^TestGuardHelperReport$")
	assert.Contains(t, out, "--- FAIL: TestGuardHelperReport", "a report from a helper goroutine fails the test")
	assert.Contains(t, out, "state machine safety: made up for the test")
}

func TestSeedsAtLeast(t *testing.T) {
	s := currentSettings()
	seeds := Seeds(t, AtLeast(5))
	switch {
	case s.seedsSet:
		assert.Len(t, seeds, s.seeds, "-seeds wins over AtLeast")
	case s.seedSet:
		assert.Len(t, seeds, s.seeds, "-seed alone replays just the given run")
		assert.Equal(t, s.seed, seeds[0])
	default:
		assert.Len(t, seeds, 5)
	}
	assert.Len(t, Seeds(t), max(1, s.seeds), "without AtLeast the default stays one seed")
}

func TestArtifactPathBesideTheTimeline(t *testing.T) {
	var path, dir string
	var seed uint64
	Run(t, func(h *H) {
		seed = h.Seed()
		dir = h.r.logDir()
		path = h.ArtifactPath("history/linearizability.html")
	})
	assert.Equal(t, dir, filepath.Dir(path), "artifacts go beside the timeline files")
	base := filepath.Base(path)
	assert.Equal(t, fmt.Sprintf("TestArtifactPathBesideTheTimeline-seed%d-history_linearizability.html", seed), base,
		"named after the test and the seed; a name cannot escape the directory")
	fi, err := os.Stat(dir)
	require.NoError(t, err, "the directory exists once ArtifactPath returns")
	assert.True(t, fi.IsDir())
}

func TestLongComputeRunsOnTheRealClock(t *testing.T) {
	if currentSettings().realtime {
		t.Skip("in realtime mode every clock is real")
	}
	Run(t, func(h *H) {
		before := h.Elapsed()
		var real time.Duration
		h.LongCompute(func() {
			start := time.Now()
			<-time.After(20 * time.Millisecond) // a checker's timeout
			real = time.Since(start)
		})
		assert.GreaterOrEqual(t, real, 20*time.Millisecond, "a timer inside LongCompute runs on the real clock")
		assert.Equal(t, before, h.Elapsed(), "virtual time stands still during LongCompute")
		assert.Panics(t, func() { h.LongCompute(func() { panic("checker bug") }) }, "a panic comes back to the caller")
	})
}
