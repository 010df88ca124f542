package grade

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeKit is a module whose one package has a test for each way a run can
// end; its rubric also names a lab whose package is not there.
const fakeKit = "testdata/fakelab"

func fakeOptions(t *testing.T, rubric string) Options {
	t.Helper()
	r, err := LoadRubric(filepath.Join(fakeKit, rubric))
	require.NoError(t, err)
	return Options{
		KitDir: fakeKit, Rubric: r, Runs: 2, Parallel: 4,
		BaseSeed: 42, SeedSet: true,
		// Long enough for the quick tests on a loaded machine, short
		// enough for the hanging ones.
		Timeout: 8 * time.Second, Grace: time.Second,
		ArtifactDir: t.TempDir(),
	}
}

func byName(t *testing.T, res *Results, name string) TestResult {
	t.Helper()
	for _, tr := range res.Tests {
		if tr.Name == name {
			return tr
		}
	}
	t.Fatalf("no result for %s", name)
	return TestResult{}
}

func outcomes(tr TestResult) []Outcome {
	var out []Outcome
	for _, r := range tr.Runs {
		out = append(out, r.Outcome)
	}
	return out
}

// One grading run of the fake lab: every test in its own process, so the
// crash, the hang and the stopped process each cost only their own points.
func TestGradeIsolatesEveryRun(t *testing.T) {
	o := fakeOptions(t, "rubric.yaml")
	res, err := Grade(context.Background(), o)
	require.NoError(t, err)

	assert.Equal(t, []Outcome{Pass, Pass}, outcomes(byName(t, res, "TestPass1A")), "a passing test passes beside a crashing and a hanging one")
	assert.Equal(t, []Outcome{Pass, Pass}, outcomes(byName(t, res, "TestFreshProcess1B")), "every run starts in a fresh process")
	assert.Equal(t, []Outcome{Fail, Fail}, outcomes(byName(t, res, "TestFail1A")))
	assert.Equal(t, []Outcome{Crash, Crash}, outcomes(byName(t, res, "TestGoroutinePanic1A")), "a panic in a goroutine is a crash of that test only")
	assert.Equal(t, []Outcome{Timeout, Timeout}, outcomes(byName(t, res, "TestHang1A")))
	assert.Equal(t, []Outcome{Timeout, Timeout}, outcomes(byName(t, res, "TestStopped1A")), "a process that cannot time out by itself is killed")
	assert.Equal(t, []Outcome{Skip, Skip}, outcomes(byName(t, res, "TestSkip1A")))
	assert.Equal(t, []Outcome{Missing}, outcomes(byName(t, res, "TestGone1B")), "a rubric test the binary lacks is reported missing")
	for _, tr := range res.Tests {
		assert.NotEqual(t, "TestNotInTheRubric", tr.Name, "only the rubric's tests are graded")
	}

	// Seeds derive from the base seed, and each run really ran with its own.
	fail := byName(t, res, "TestFail1A")
	for _, run := range fail.Runs {
		assert.Equal(t, RunSeed(42, "fake", "TestFail1A", run.Run), run.Seed)
		assert.Contains(t, run.Message, "want 2 (seed "+itoa(run.Seed)+")", "the failure message comes from the run with the recorded seed")
		assert.Contains(t, run.Rerun, "-run '^TestFail1A$' -count=1 -seed "+itoa(run.Seed))
	}
	assert.NotEqual(t, fail.Runs[0].Seed, fail.Runs[1].Seed, "each run draws a fresh seed")

	// A test earns its points only if every run passed.
	flaky := byName(t, res, "TestFlaky1B")
	allEven := true
	for _, run := range flaky.Runs {
		assert.Equal(t, run.Seed%2 == 0, run.Outcome == Pass, "the flaky test fails exactly on odd seeds")
		allEven = allEven && run.Seed%2 == 0
	}
	assert.Equal(t, allEven, flaky.Passed)
	assert.Equal(t, 2.0, byName(t, res, "TestPass1A").Points)
	assert.Zero(t, byName(t, res, "TestFail1A").Points)
	assert.Zero(t, byName(t, res, "TestSkip1A").Points, "a skipped test earns nothing")

	parts, points, max := res.Summary()
	require.Len(t, parts, 3)
	assert.Equal(t, PartScore{Lab: "fake", Part: "1A", Points: 2, Max: 12, Passed: 1, Tests: 6, Present: true}, parts[0])
	assert.Equal(t, "absent", parts[2].Lab)
	assert.False(t, parts[2].Present, "the lab whose package is missing is reported as not present")
	assert.Equal(t, 20.0, max, "the total leaves out the lab that is not present")
	wantPoints := 2.0 + 2.0
	if allEven {
		wantPoints += 5
	}
	assert.Equal(t, wantPoints, points)

	t.Run("artifacts", func(t *testing.T) {
		run := fail.Runs[0]
		require.NotEmpty(t, run.Artifacts)
		assert.Equal(t, filepath.Join(o.ArtifactDir, "fake", "TestFail1A", "run1-seed"+itoa(run.Seed)), run.Artifacts)
		stem := "TestFail1A-seed" + itoa(run.Seed)
		timeline := stem + ".log"
		assert.Equal(t, []string{"README.txt", stem + "-linearizability.html", stem + ".html", timeline, "stderr.txt", "stdout.txt"}, run.Files)
		readme, err := os.ReadFile(filepath.Join(run.Artifacts, "README.txt"))
		require.NoError(t, err)
		assert.Contains(t, string(readme), run.Rerun, "the README has the rerun line")
		tl, err := os.ReadFile(filepath.Join(run.Artifacts, timeline))
		require.NoError(t, err)
		assert.Contains(t, string(tl), "the value went wrong here", "the timeline the run wrote is kept")
		abs, err := filepath.Abs(run.Artifacts)
		require.NoError(t, err)
		picture := filepath.Join(abs, "TestFail1A-seed"+itoa(run.Seed)+"-linearizability.html")
		assert.Contains(t, string(tl), "open "+picture, "the kept timeline names its files where they were kept, not in the run's deleted folder")
		stdout, err := os.ReadFile(filepath.Join(run.Artifacts, "stdout.txt"))
		require.NoError(t, err)
		assert.Contains(t, string(stdout), "open "+picture, "so does the kept output")
		page, err := os.ReadFile(filepath.Join(run.Artifacts, stem+".html"))
		require.NoError(t, err, "the folder has the timeline as a page")
		assert.True(t, strings.Contains(string(page), `"h":"`+stem+`-linearizability.html"`), "the timeline's page links to the linearizability page beside it")

		crash := byName(t, res, "TestGoroutinePanic1A").Runs[0]
		assert.Contains(t, crash.Message, "student goroutine panics")
		stderr, err := os.ReadFile(filepath.Join(crash.Artifacts, "stderr.txt"))
		require.NoError(t, err)
		assert.Contains(t, string(stderr), "panic: student goroutine panics", "the crash output is kept")

		for _, r := range byName(t, res, "TestPass1A").Runs {
			assert.Empty(t, r.Artifacts, "a passing run keeps nothing")
		}
	})

	t.Run("the hung run's child is gone too", func(t *testing.T) {
		hang := byName(t, res, "TestHang1A").Runs[0]
		assert.Less(t, hang.Seconds, 20.0, "ended soon after its limit")
		pid, err := os.ReadFile(filepath.Join(hang.Artifacts, "child.pid"))
		require.NoError(t, err)
		assert.True(t, gone(atoi(t, string(pid))), "the child the hung test started was killed with its process group")
		stopped := byName(t, res, "TestStopped1A").Runs[0]
		assert.Contains(t, stopped.Message, "killed")
	})

	t.Run("json", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "r.json")
		require.NoError(t, res.WriteJSON(file))
		back, err := ReadJSON(file)
		require.NoError(t, err)
		assert.Equal(t, res.Tests, back.Tests)
		assert.Equal(t, res.BaseSeed, back.BaseSeed)
	})

	t.Run("junit", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "r.xml")
		require.NoError(t, res.WriteJUnit(file))
		data, err := os.ReadFile(file)
		require.NoError(t, err)
		// Read with a reader of its own, not the writer's types.
		var doc struct {
			Tests  int `xml:"tests,attr"`
			Suites []struct {
				Name  string `xml:"name,attr"`
				Cases []struct {
					Name    string    `xml:"name,attr"`
					Failure *struct{} `xml:"failure"`
					Error   *struct {
						Type string `xml:"type,attr"`
					} `xml:"error"`
					Skipped *struct{} `xml:"skipped"`
				} `xml:"testcase"`
			} `xml:"testsuite"`
		}
		require.NoError(t, xml.Unmarshal(data, &doc))
		require.Len(t, doc.Suites, 2)
		kinds := map[string]string{}
		for _, c := range doc.Suites[0].Cases {
			switch {
			case c.Failure != nil:
				kinds[c.Name] = "failure"
			case c.Error != nil:
				kinds[c.Name] = "error:" + c.Error.Type
			case c.Skipped != nil:
				kinds[c.Name] = "skipped"
			default:
				kinds[c.Name] = "ok"
			}
		}
		assert.Equal(t, "ok", kinds["TestPass1A#2"])
		assert.Equal(t, "failure", kinds["TestFail1A#1"])
		assert.Equal(t, "error:crash", kinds["TestGoroutinePanic1A#1"])
		assert.Equal(t, "error:timeout", kinds["TestHang1A#2"])
		assert.Equal(t, "skipped", kinds["TestSkip1A#1"])
		assert.Equal(t, "error:missing", kinds["TestGone1B"])
		assert.Equal(t, "absent", doc.Suites[1].Name)
		assert.Equal(t, doc.Tests, len(doc.Suites[0].Cases)+len(doc.Suites[1].Cases))
	})

	t.Run("gradescope", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "results.json")
		require.NoError(t, res.WriteGradescope(file))
		data, err := os.ReadFile(file)
		require.NoError(t, err)
		var gs struct {
			Score *float64 `json:"score"`
			Tests []struct {
				Name     string   `json:"name"`
				Score    *float64 `json:"score"`
				MaxScore *float64 `json:"max_score"`
				Output   string   `json:"output"`
			} `json:"tests"`
		}
		require.NoError(t, json.Unmarshal(data, &gs))
		require.NotNil(t, gs.Score)
		assert.Equal(t, points, *gs.Score)
		require.Len(t, gs.Tests, 9, "the present lab's tests; the absent lab's are left out")
		var sum float64
		for _, gt := range gs.Tests {
			require.NotNil(t, gt.Score, gt.Name)
			require.NotNil(t, gt.MaxScore, gt.Name)
			sum += *gt.Score
			if strings.HasSuffix(gt.Name, "TestFail1A") {
				assert.Contains(t, gt.Output, "0 of 2 runs passed")
				assert.Contains(t, gt.Output, "rerun: go test ./lab -run '^TestFail1A$'")
			}
		}
		assert.Equal(t, *gs.Score, sum)
	})
}

// Shards split the selection deterministically and without overlap, and
// merged they grade exactly what one unsharded run grades.
func TestShardsMergeIntoTheWholeRun(t *testing.T) {
	whole, err := Grade(context.Background(), fakeOptions(t, "quick.yaml"))
	require.NoError(t, err)
	var shards []*Results
	seen := map[string]int{}
	for i := 1; i <= 2; i++ {
		o := fakeOptions(t, "quick.yaml")
		o.Shard = Shard{i, 2}
		res, err := Grade(context.Background(), o)
		require.NoError(t, err)
		assert.Equal(t, whole.Selected, res.Selected, "every shard knows the whole selection")
		for _, tr := range res.Tests {
			seen[tr.Key()]++
		}
		assert.InDelta(t, len(whole.Tests)/2, len(res.Tests), 1, "shards differ by at most one test")
		shards = append(shards, res)
	}
	for _, k := range whole.Selected {
		assert.Equal(t, 1, seen[k], "%s is in exactly one shard", k)
	}

	merged, err := Merge(shards)
	require.NoError(t, err)
	assert.Empty(t, merged.Uncovered())
	wantParts, wantPoints, wantMax := whole.Summary()
	gotParts, gotPoints, gotMax := merged.Summary()
	assert.Equal(t, wantParts, gotParts, "the same seeds give the same verdicts, however the run is split")
	assert.Equal(t, wantPoints, gotPoints)
	assert.Equal(t, wantMax, gotMax)
	require.Len(t, merged.Tests, len(whole.Tests))
	for i := range whole.Tests {
		assert.Equal(t, whole.Tests[i].Key(), merged.Tests[i].Key(), "merged tests keep the selection's order")
		assert.Equal(t, outcomes(whole.Tests[i]), outcomes(merged.Tests[i]))
	}

	half, err := Merge(shards[:1])
	require.NoError(t, err)
	assert.NotEmpty(t, half.Uncovered(), "a merge missing a shard says which tests have no results")
}

func itoa(n uint64) string { return strconvU(n) }

// -failfast starts nothing after the first run that does not pass; what
// was left unrun earns nothing and says so.
func TestFailFastStopsAfterTheFirstFailure(t *testing.T) {
	o := fakeOptions(t, "quick.yaml")
	o.FailFast, o.Parallel = true, 1
	res, err := Grade(context.Background(), o)
	require.NoError(t, err)
	// One worker takes the runs in order: run 1 of each test in the
	// binary's order, TestPass1A first, then TestFail1A.
	assert.Equal(t, []Outcome{Pass, NotRun}, outcomes(byName(t, res, "TestPass1A")))
	assert.Equal(t, []Outcome{Fail, NotRun}, outcomes(byName(t, res, "TestFail1A")))
	assert.Equal(t, []Outcome{NotRun, NotRun}, outcomes(byName(t, res, "TestFreshProcess1B")))
	assert.Zero(t, byName(t, res, "TestPass1A").Points, "a test whose runs did not all run earns nothing")
}
