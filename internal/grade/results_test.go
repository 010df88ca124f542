package grade

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func oneTest(name string, outcomes ...Outcome) *Results {
	t := TestResult{Lab: "raft", Part: "3A", Name: name, MaxPoints: 3}
	for i, o := range outcomes {
		t.Runs = append(t.Runs, RunResult{Run: i + 1, Outcome: o})
	}
	t.score(len(t.Runs))
	return &Results{Version: FormatVersion, Runs: len(outcomes),
		Labs:     []LabResult{{Name: "raft", Package: "./raft", Present: true}},
		Tests:    []TestResult{t},
		Selected: []string{"raft/" + name}}
}

// The same test graded on two machines: the merge has all its runs, and
// it earns its points only if every one of them passed.
func TestMergeKeepsEveryRunOfATest(t *testing.T) {
	merged, err := Merge([]*Results{oneTest("TestA3A", Pass, Pass), oneTest("TestA3A", Pass, Fail)})
	require.NoError(t, err)
	require.Len(t, merged.Tests, 1)
	tr := merged.Tests[0]
	assert.Equal(t, []Outcome{Pass, Pass, Pass, Fail}, outcomes(tr))
	assert.Equal(t, []int{1, 2, 3, 4}, []int{tr.Runs[0].Run, tr.Runs[1].Run, tr.Runs[2].Run, tr.Runs[3].Run}, "runs are numbered anew")
	assert.False(t, tr.Passed)
	assert.Zero(t, tr.Points)

	merged, err = Merge([]*Results{oneTest("TestA3A", Pass), oneTest("TestA3A", Pass)})
	require.NoError(t, err)
	assert.Equal(t, 3.0, merged.Tests[0].Points)
}

func TestMergeRefusesMixedSubmissions(t *testing.T) {
	a, b := oneTest("TestA3A", Pass), oneTest("TestA3A", Pass)
	a.Submission, b.Submission = "alice", "bob"
	_, err := Merge([]*Results{a, b})
	assert.ErrorContains(t, err, `input 2 grades submission "bob", input 1 "alice"`)
	_, err = Merge(nil)
	assert.Error(t, err)
}
