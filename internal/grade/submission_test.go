package grade

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"raftlab/internal/kit"
)

// classicTree is a student's classic lab tree (6.5840 imports, DPrintf
// without util.go) with a correct Raft.
const classicTree = "../adopt/testdata/classic"

// panickyTree copies the classic tree with one bug planted: a goroutine the
// Raft starts panics when it is one of seven peers, which only
// TestManyElections3A of the 3A tests makes.
func panickyTree(t *testing.T) string {
	dir := filepath.Join(t.TempDir(), "bob")
	require.NoError(t, kit.Copy(classicTree, dir, nil))
	file := filepath.Join(dir, "src", "raft", "raft.go")
	src, err := os.ReadFile(file)
	require.NoError(t, err)
	const hook = "\tgo rf.applier()\n"
	require.Contains(t, string(src), hook)
	bug := hook + "\tif len(peers) == 7 && me == 6 {\n\t\tgo func() { time.Sleep(2 * time.Second); panic(\"student bug: seven peers\") }()\n\t}\n"
	require.NoError(t, os.WriteFile(file, []byte(strings.Replace(string(src), hook, bug, 1)), 0o644))
	return dir
}

// A batch of two classic student trees, each adopted into its own copy of
// the kit: the correct one earns every 3A point; in the one whose Raft
// panics in its own goroutine, only the test that triggers it loses its
// points, with a folder that says how to run it again.
func TestBatchOfClassicSubmissions(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the Raft suite's 3A tests twice")
	}
	out := t.TempDir()
	dirs := []string{classicTree, panickyTree(t)}
	names := SubmissionNames(dirs)
	assert.Equal(t, []string{"classic", "bob"}, names)
	var subs []*SubmissionResult
	for i, d := range dirs {
		o := Options{KitDir: "../..", Select: []string{"3A"}, Runs: 1, Parallel: 2,
			BaseSeed: 7, SeedSet: true, Timeout: 2 * time.Minute}
		sr := GradeSubmission(context.Background(), o, d, filepath.Join(out, names[i]))
		require.NoError(t, sr.Err)
		subs = append(subs, sr)
	}

	_, points, max := subs[0].Results.Summary()
	assert.Equal(t, max, points, "the correct classic Raft earns every 3A point")
	assert.Contains(t, subs[0].Adopt.String(), "raft", "the adoption report names what it adopted")

	bob := subs[1].Results
	for _, tr := range bob.Tests {
		if tr.Name != "TestManyElections3A" {
			assert.True(t, tr.Passed, "%s is graded on its own, in its own process, despite the crash in another test", tr.Name)
			continue
		}
		require.Len(t, tr.Runs, 1)
		run := tr.Runs[0]
		assert.Equal(t, Crash, run.Outcome)
		assert.Contains(t, run.Message, "student bug: seven peers")
		require.NotEmpty(t, run.Artifacts)
		assert.Equal(t, filepath.Join(out, "bob", "artifacts"), filepath.Dir(filepath.Dir(filepath.Dir(run.Artifacts))))
		readme, err := os.ReadFile(filepath.Join(run.Artifacts, "README.txt"))
		require.NoError(t, err)
		assert.Contains(t, string(readme), "go test ./raft -run '^TestManyElections3A$' -count=1 -seed ", "the folder has the rerun line")
		assert.Contains(t, string(readme), "raftlab adopt -out KITCOPY "+dirs[1], "and says how to make the kit it runs in")
		timeline, err := os.ReadFile(filepath.Join(run.Artifacts, "TestManyElections3A-seed"+strconvU(run.Seed)+".log"))
		require.NoError(t, err, "the harness's crash timeline is kept; files: %v", run.Files)
		assert.Contains(t, string(timeline), "CRASH")
	}
	_, bobPoints, bobMax := bob.Summary()
	assert.Equal(t, max, bobMax)
	assert.Equal(t, max-4, bobPoints, "only TestManyElections3A's 4 points are lost")

	for _, f := range []string{"results.json", "junit.xml", "gradescope.json", "adopt.txt"} {
		assert.FileExists(t, filepath.Join(out, "bob", f))
	}
	csvFile := filepath.Join(out, "scores.csv")
	require.NoError(t, WriteScoresCSV(csvFile, subs))
	f, err := os.Open(csvFile)
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 3)
	assert.Equal(t, []string{"submission", "dir", "score", "max", "raft 3A", "error"}, rows[0])
	assert.Equal(t, []string{"classic", classicTree, num(points), num(max), num(points), ""}, rows[1])
	assert.Equal(t, []string{"bob", dirs[1], num(bobPoints), num(max), num(bobPoints), ""}, rows[2])
}
