package grade

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// With -replay-check, a run whose seed failed differently in a fresh
// process keeps the replay's timeline beside its own; the folder's pages
// must show both and lead from one to the other.
func TestFailedRunFolderHasPagesForTheRunAndItsReplay(t *testing.T) {
	sample, err := os.ReadFile(filepath.Join("..", "timeline", "testdata", "TestTimelineSample-seed42.log"))
	require.NoError(t, err)
	dest := t.TempDir()
	for _, name := range []string{"TestTimelineSample-seed42.log", "TestTimelineSample-seed42.replay.log"} {
		require.NoError(t, os.WriteFile(filepath.Join(dest, name), sample, 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dest, "TestTimelineSample-seed42-linearizability.html"), []byte("<html>"), 0o644))
	var log bytes.Buffer
	(&Options{Log: &log}).writeTimelinePages(dest)
	assert.Empty(t, log.String(), "every page was written")

	page, err := os.ReadFile(filepath.Join(dest, "TestTimelineSample-seed42.html"))
	require.NoError(t, err, "the run's timeline has its page")
	assert.Contains(t, string(page), `{"n":"linearizability.html","h":"TestTimelineSample-seed42-linearizability.html"}`,
		"the run's page links to its linearizability page")
	assert.Contains(t, string(page), `{"n":"replay.html","h":"TestTimelineSample-seed42.replay.html"}`,
		"the run's page links to its replay's page, written first so that the link finds it")
	replay, err := os.ReadFile(filepath.Join(dest, "TestTimelineSample-seed42.replay.html"))
	require.NoError(t, err, "the replay's timeline has its page")
	assert.Contains(t, string(replay), `"replayRun":true`, "the replay's page says it is the replay")
}

func TestRecordedFailuresAreTheRunsOwn(t *testing.T) {
	sample, err := os.ReadFile(filepath.Join("..", "timeline", "testdata", "TestTimelineSample-seed42.log"))
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "TestTimelineSample-seed42.log"), sample, 0o644))
	replay := bytes.Replace(sample, []byte("the sample fails here on purpose"), []byte("the replay failed elsewhere"), 1)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "TestTimelineSample-seed42.replay.log"), replay, 0o644))
	assert.Equal(t, []string{"the sample fails here on purpose, after a partition, a crash and a heal"}, recordedFailures(dir),
		"the failures of the run's timeline, read from its header; not the replay's")
}
