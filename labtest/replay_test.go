package labtest

import (
	"math/rand"
	randv2 "math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Bodies that fail at the same instant every time, with a message that
// shows a draw: from the global math/rand source, which the harness seeds,
// and from math/rand/v2's top-level functions, which nothing can seed.

func TestGuardHelperFailsOnGlobalRand(t *testing.T) {
	helperOnly(t)
	Run(t, func(h *H) {
		time.Sleep(time.Second)
		h.Fatalf("election timeout %dms was too short", 150+rand.Intn(1_000_000))
	})
}

func TestGuardHelperFailsOnUnseededRand(t *testing.T) {
	helperOnly(t)
	Run(t, func(h *H) {
		time.Sleep(time.Second)
		h.Fatalf("election timeout %dms was too short", 150+randv2.IntN(1_000_000))
	})
}

func TestGuardHelperFailsOnUnseededRandWithArtifact(t *testing.T) {
	helperOnly(t)
	Run(t, func(h *H) {
		time.Sleep(time.Second)
		picture := h.ArtifactPath("linearizability.html")
		require.NoError(h.T(), os.WriteFile(picture, []byte("<html>"), 0o644))
		h.Fatalf("not linearizable after %d operations; open %s", 1+randv2.IntN(1_000_000), picture)
	})
}

// A replay that failed differently drew its own picture: it is kept beside
// the replay's timeline, which names it there, not in the replay's
// deleted folder.
func TestReplayCheckKeepsTheReplaysArtifacts(t *testing.T) {
	dir := t.TempDir()
	out, _ := runHelper(t, "^TestGuardHelperFailsOnUnseededRandWithArtifact$", "-replay-check", "-logdir", dir)
	require.Contains(t, out, "reproduced: no")
	stem := filepath.Join(dir, strings.TrimSuffix(filepath.Base(timelinePath(t, out)), ".log"))
	picture, err := os.ReadFile(stem + ".replay-linearizability.html")
	require.NoError(t, err, "the replay's picture is kept beside its timeline")
	assert.Equal(t, "<html>", string(picture))
	replay, err := os.ReadFile(stem + ".replay.log")
	require.NoError(t, err)
	assert.Contains(t, string(replay), "; open "+stem+".replay-linearizability.html", "the replay's timeline names its picture where it is kept")
	assert.NotContains(t, string(replay), "labtest-replay-", "the replay's timeline names nothing in its deleted folder")
	_, err = os.Stat(stem + "-linearizability.html")
	assert.NoError(t, err, "the first run's own picture is untouched")
}

func TestReplayCheckReproduces(t *testing.T) {
	out, _ := runHelper(t, "^TestGuardHelperFailsOnGlobalRand$", "-replay-check")
	assert.Contains(t, out, "labtest: replay check: reproduced: yes (the same seed, run again in a fresh process, failed the same way at virtual 1.000000s)")
	assert.Equal(t, 1, strings.Count(out, "--- FAIL"), "the replay adds no failure of its own")
	assert.Equal(t, 1, strings.Count(out, "election timeout"), "the replay's messages stay out of the test's output")
	assert.Contains(t, timelineOf(t, out), "# replay check: reproduced: yes")
}

func TestReplayCheckSaysWhyItDidNotReproduce(t *testing.T) {
	dir := t.TempDir()
	out, _ := runHelper(t, "^TestGuardHelperFailsOnUnseededRand$", "-replay-check", "-logdir", dir)
	assert.Contains(t, out, "labtest: replay check: reproduced: no: the same seed, run again in a fresh process, failed differently:")
	assert.Contains(t, out, "the top-level functions of math/rand/v2 (rand.IntN)")
	assert.Contains(t, out, "peers[me].Rand()")
	assert.Contains(t, out, "map iteration order")
	assert.Equal(t, 1, strings.Count(out, "--- FAIL"))
	assert.Regexp(t, `The runs part at line \d+ of the timeline:\n\s+this run: +1\.000000s test +test +FAIL: election timeout \d+ms was too short\n\s+the replay: +1\.000000s test +test +FAIL: election timeout \d+ms was too short`, out)

	// The first run's timeline is untouched; the replay's lies beside it.
	stem := filepath.Join(dir, strings.TrimSuffix(filepath.Base(timelinePath(t, out)), ".log"))
	text := timelineOf(t, out)
	assert.Contains(t, text, "# replay check: reproduced: no")
	replay, err := os.ReadFile(stem + ".replay.log")
	require.NoError(t, err, "the replay's timeline is kept beside the first run's")
	assert.Contains(t, string(replay), "# labtest timeline of TestGuardHelperFailsOnUnseededRand: FAIL")
}

// When the binary cannot seed the global source, the hint says so.
func TestReplayCheckNamesAnUnseedableGlobalRand(t *testing.T) {
	env := []string{"GODEBUG=" + os.Getenv("GODEBUG") + ",randseednop=1"}
	out, _ := runHelperEnv(t, env, "^TestGuardHelperFailsOnGlobalRand$", "-replay-check")
	assert.Contains(t, out, "reproduced: no")
	assert.Contains(t, out, "the global math/rand source, which this test binary cannot seed: add a file such as debug_test.go")
}

func TestReplayCheckCanBeTurnedOff(t *testing.T) {
	out, _ := runHelper(t, "^TestGuardHelperFailsOnGlobalRand$", "-replay-check=false")
	assert.NotContains(t, out, "replay check")
	out, _ = runHelperEnv(t, []string{"RAFTLAB_REPLAY_CHECK=0"}, "^TestGuardHelperFailsOnGlobalRand$")
	assert.NotContains(t, out, "replay check")
}

// A stall is about real time, not the seed: no replay.
func TestReplayCheckSkipsStalls(t *testing.T) {
	out, _ := runHelper(t, "^TestGuardHelperLockAcrossSleep$", "-replay-check")
	assert.Contains(t, out, "labtest: replay check: skipped: the failure came from a guard that watches real time")
}

// This body fails the first time only: it leaves a file behind, state the
// seed knows nothing about.
func TestGuardHelperFailsOnce(t *testing.T) {
	helperOnly(t)
	marker := filepath.Join(os.Getenv("LABTEST_MARKER_DIR"), "ran")
	Run(t, func(h *H) {
		if _, err := os.Stat(marker); err != nil {
			os.WriteFile(marker, nil, 0o644)
			h.Fatalf("first time")
		}
	})
}

func TestReplayCheckReportsAPassingReplay(t *testing.T) {
	out, _ := runHelperEnv(t, []string{"LABTEST_MARKER_DIR=" + t.TempDir()}, "^TestGuardHelperFailsOnce$", "-replay-check")
	assert.Contains(t, out, "labtest: replay check: reproduced: no: the same seed, run again in a fresh process, passed.")
	assert.Contains(t, out, "--- FAIL: TestGuardHelperFailsOnce")
}
