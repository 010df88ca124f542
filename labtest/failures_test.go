package labtest

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// timelinePath is the timeline file whose path the failed helper printed.
func timelinePath(t *testing.T, out string) string {
	t.Helper()
	m := regexp.MustCompile(`labtest: timeline of this run: (\S+)`).FindStringSubmatch(out)
	require.NotNil(t, m, "the output names no timeline file")
	return m[1]
}

// timelineOf reads the timeline file whose path the failed helper printed.
func timelineOf(t *testing.T, out string) string {
	t.Helper()
	data, err := os.ReadFile(timelinePath(t, out))
	require.NoError(t, err)
	return string(data)
}

func TestGuardHelperFatalfInTimeline(t *testing.T) {
	helperOnly(t)
	Run(t, func(h *H) {
		time.Sleep(1500 * time.Millisecond)
		h.Fatalf("checker: value %d is wrong", 7)
	})
}

// A failure reported through the harness is in the timeline at the
// virtual instant it happened, and first among the file's failures.
func TestFailureMessageIsInTheTimeline(t *testing.T) {
	out, _ := runHelper(t, "^TestGuardHelperFatalfInTimeline$")
	assert.Regexp(t, `failures_test.go:\d+: checker: value 7 is wrong`, out, "the message points at the caller of Fatalf")
	text := timelineOf(t, out)
	assert.Contains(t, text, "# failures, in the order noted (each also in the timeline at its instant):\nchecker: value 7 is wrong\n")
	assert.Regexp(t, `\n +1\.500000s test +test +FAIL: checker: value 7 is wrong\n`, text)
}

func TestGuardHelperErrorfStraightOnT(t *testing.T) {
	helperOnly(t)
	Run(t, func(h *H) {
		time.Sleep(1550 * time.Millisecond) // between two heartbeats
		h.T().Errorf("straight on the T")
		time.Sleep(time.Second)
	})
}

func TestGuardHelperRequireOnT(t *testing.T) {
	helperOnly(t)
	Run(t, func(h *H) {
		time.Sleep(time.Second)
		require.True(h.T(), false, "required")
	})
}

// A failure reported straight on the *testing.T is invisible to the
// harness; the timeline still says when (to a heartbeat) and, for FailNow,
// where.
func TestFailuresOnTheTAreNoticed(t *testing.T) {
	out, _ := runHelper(t, "^TestGuardHelperErrorfStraightOnT$")
	assert.Regexp(t, `\n +1\.600000s test +test +FAIL: the test was failed on its \*testing.T \(t.Error, t.Fatal or an assertion\) by this instant; the message is in the test's output\n`,
		timelineOf(t, out), "noticed at the first heartbeat after the failure")

	out, _ = runHelper(t, "^TestGuardHelperRequireOnT$")
	assert.Regexp(t, `\n +1\.000000s test +test +FAIL: the test called t.FailNow \(t.Fatal, require\) at raftlab/labtest.TestGuardHelperRequireOnT.func1 \(failures_test.go:\d+\); the message is in the test's output\n`,
		timelineOf(t, out))
}

func TestGuardHelperFailWithArtifact(t *testing.T) {
	helperOnly(t)
	Run(t, func(h *H) {
		require.NoError(h.T(), os.WriteFile(h.ArtifactPath("picture.html"), []byte("<html>"), 0o644))
		h.Fatalf("checker: not linearizable")
	}, WithSeed(5))
}

// A second failure with the same test and seed keeps the first one's files:
// its timeline and its artifacts get a counter, the same for both.
func TestSecondFailureDoesNotOverwriteTheFirst(t *testing.T) {
	dir := t.TempDir()
	runHelper(t, "^TestGuardHelperFailWithArtifact$", "-logdir", dir)
	first, err := os.ReadFile(filepath.Join(dir, "TestGuardHelperFailWithArtifact-seed5.log"))
	require.NoError(t, err)
	out, _ := runHelper(t, "^TestGuardHelperFailWithArtifact$", "-logdir", dir)
	assert.Contains(t, out, "timeline of this run: "+filepath.Join(dir, "TestGuardHelperFailWithArtifact-seed5.2.log"))

	again, err := os.ReadFile(filepath.Join(dir, "TestGuardHelperFailWithArtifact-seed5.log"))
	require.NoError(t, err)
	assert.Equal(t, first, again, "the first failure's timeline is untouched")
	names := dirNames(t, dir)
	assert.ElementsMatch(t, []string{
		"TestGuardHelperFailWithArtifact-seed5.log", "TestGuardHelperFailWithArtifact-seed5-picture.html",
		"TestGuardHelperFailWithArtifact-seed5.2.log", "TestGuardHelperFailWithArtifact-seed5.2-picture.html",
	}, names)
}

func TestGuardHelperPassWithArtifactPath(t *testing.T) {
	helperOnly(t)
	Run(t, func(h *H) { _ = h.ArtifactPath("unused.html") })
}

// A passing run that wrote no timeline leaves no file behind, not even the
// one that reserved its name.
func TestPassingRunLeavesNoFile(t *testing.T) {
	dir := t.TempDir()
	out, _ := runHelper(t, "^TestGuardHelperPassWithArtifactPath$", "-logdir", dir)
	assert.Contains(t, out, "--- PASS: TestGuardHelperPassWithArtifactPath")
	assert.Empty(t, dirNames(t, dir))
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestGuardHelperFinalState(t *testing.T) {
	helperOnly(t)
	Run(t, func(h *H) {
		var stuck sync.Mutex
		stuck.Lock() // held for good, as by a goroutine a guard froze
		h.OnFinalState("server a", func() string { return "term 7, leader\nlog: 12 entries" })
		h.OnFinalState("server b", func() string { stuck.Lock(); return "unreachable" })
		h.OnFinalState("server c", func() string { panic("state reader bug") })
		h.Fatalf("checker: made up for the test")
	})
}

// The timeline ends with each server's final state, as the lab describes
// it; a description that blocks or panics does not hold up the file.
func TestTimelineEndsWithFinalStates(t *testing.T) {
	out, _ := runHelper(t, "^TestGuardHelperFinalState$")
	text := timelineOf(t, out)
	assert.True(t, strings.HasSuffix(text, "\n# final state of the servers:\n"+
		"## server a:\nterm 7, leader\nlog: 12 entries\n"+
		"## server b:\n(did not return within 500ms: a lock it takes is held by a goroutine of the test that a guard froze)\n"+
		"## server c:\n(the state function panicked: state reader bug)\n"), text)
}
