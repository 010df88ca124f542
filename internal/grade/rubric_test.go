package grade

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// topLevelTests returns the TestXxx functions of a package folder's test
// files, read from the source (no build needed).
func topLevelTests(t *testing.T, dir string) map[string]bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	require.NoError(t, err)
	out := map[string]bool{}
	fset := token.NewFileSet()
	for _, f := range files {
		file, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		require.NoError(t, err)
		for _, d := range file.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && strings.HasPrefix(fn.Name.Name, "Test") {
				out[fn.Name.Name] = true
			}
		}
	}
	return out
}

// The built-in rubric names only tests that exist, in every lab the kit
// has; a renamed test would otherwise be graded as missing, for everyone.
func TestDefaultRubricNamesRealTests(t *testing.T) {
	r := DefaultRubric()
	present := 0
	for _, lab := range r.Labs {
		dir := filepath.Join("..", "..", filepath.FromSlash(lab.Package))
		if _, err := os.Stat(dir); err != nil {
			continue // a lab this kit does not have yet
		}
		present++
		have := topLevelTests(t, dir)
		for _, p := range lab.Parts {
			for _, tt := range p.Tests {
				assert.True(t, have[tt.Name], "rubric: %s part %s names %s, which %s does not have", lab.Name, p.Name, tt.Name, lab.Package)
				assert.Positive(t, tt.Points, "%s earns points", tt.Name)
			}
		}
	}
	assert.GreaterOrEqual(t, present, 2, "the kit has at least the raft and kvraft labs")
	var names []string
	for _, l := range r.Labs {
		names = append(names, l.Name)
	}
	assert.Equal(t, []string{"raft", "kvraft", "shardctrler", "shardkv"}, names)
}

// ungradedByDesign lists, per lab, the tests the built-in rubric leaves
// out on purpose, each with the reason. A test a suite gains lands in
// neither the rubric nor this list by accident only until this test runs.
var ungradedByDesign = map[string]map[string]string{
	"raft": {
		"TestClassicPersisterContract":        "checks the kit's Persister, not the student's code",
		"TestClassicConfigCalls":              "checks the harness's classic calls, not the student's code",
		"TestReadIndexOnLeaderAndFollowers":   "optional ReadIndex extension",
		"TestReadIndexBatchesConcurrentReads": "optional ReadIndex extension",
		"TestReadIndexPartitionedLeader":      "optional ReadIndex extension",
	},
	"kvraft": {
		"TestReadIndexGetAppendsNoLogEntry":          "optional ReadIndex extension",
		"TestFollowerReadsAreCaught":                 "checks the suite against a flawed server",
		"TestMissingDuplicateDetectionIsCaught":      "checks the suite against a flawed server",
		"TestHelperGenericOnFollowerReads":           "subprocess helper of a suite check",
		"TestHelperGenericWithoutDuplicateDetection": "subprocess helper of a suite check",
		"TestFlawedServersFailTheSuite":              "checks the suite against flawed servers",
	},
	"shardctrler": {
		"TestHelperMapOrderRebalance":      "subprocess helper of a suite check",
		"TestHelperRoundRobinRebalance":    "subprocess helper of a suite check",
		"TestFlawedRebalanceFailsTheSuite": "checks the suite against flawed rebalances",
		"TestOutputOfStopsAtTheNextTest":   "checks a helper of the suite",
	},
	"shardkv": {
		"TestFlawedServersFailTheSuite": "checks the suite against flawed servers",
		"TestOwnershipCheck":            "checks the suite's ownership check on made-up histories",
	},
}

// Every test of a lab the kit has is graded or left out on purpose: a
// student test a suite gains is otherwise silently worth nothing.
func TestDefaultRubricGradesEveryStudentTest(t *testing.T) {
	for _, lab := range DefaultRubric().Labs {
		dir := filepath.Join("..", "..", filepath.FromSlash(lab.Package))
		if _, err := os.Stat(dir); err != nil {
			continue
		}
		graded := map[string]bool{}
		for _, p := range lab.Parts {
			for _, tt := range p.Tests {
				graded[tt.Name] = true
			}
		}
		for name := range topLevelTests(t, dir) {
			_, skipped := ungradedByDesign[lab.Name][name]
			assert.False(t, graded[name] && skipped, "%s: %s is in the rubric and in ungradedByDesign; remove it from one", lab.Name, name)
			assert.True(t, graded[name] || skipped, "%s: %s is neither in internal/grade/rubric.yaml nor in ungradedByDesign: give it points in a part, or list it with the reason it is not graded", lab.Name, name)
		}
	}
}

func TestRubricSelection(t *testing.T) {
	r := DefaultRubric()
	parts := func(sel Selection) []string {
		var out []string
		for _, sl := range sel {
			for _, p := range sl.Parts {
				out = append(out, sl.Lab.Name+"/"+p.Name)
			}
		}
		return out
	}
	sel, err := r.Select([]string{"raft"})
	require.NoError(t, err)
	assert.Equal(t, []string{"raft/3A", "raft/3B", "raft/3C", "raft/3D", "raft/3X"}, parts(sel))
	sel, err = r.Select([]string{"4b", "3A"})
	require.NoError(t, err)
	assert.Equal(t, []string{"raft/3A", "kvraft/4B"}, parts(sel), "parts in the rubric's order, names in any case")
	sel, err = r.Select([]string{"5A"})
	require.NoError(t, err)
	assert.Equal(t, []string{"shardctrler/5A", "shardkv/5A"}, parts(sel), "a part name takes that part of every lab")
	sel, err = r.Select(nil)
	require.NoError(t, err)
	assert.Len(t, sel, 4, "no names: every lab")

	_, err = r.Select([]string{"paxos"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"paxos" is neither a lab nor a part`)
	assert.Contains(t, err.Error(), "raft, kvraft, shardctrler, shardkv", "the error lists what there is to choose")
}

func TestRubricErrorsSayWhatToFix(t *testing.T) {
	for _, c := range []struct{ name, yaml, want string }{
		{"empty", "", "the file is empty"},
		{"no labs", "labs: []\n", "no labs"},
		{"unknown key", "labs:\n  - name: raft\n    pakage: ./raft\n", "field pakage not found"},
		{"no package", "labs:\n  - name: raft\n    parts: {3A: {TestA3A: 1}}\n", "no package"},
		{"outside the kit", "labs:\n  - name: raft\n    package: ../raft\n    parts: {3A: {TestA3A: 1}}\n", "must be inside the kit"},
		{"negative points", "labs:\n  - name: raft\n    package: ./raft\n    parts: {3A: {TestA3A: -1}}\n", "points are a number ≥ 0"},
		{"not a test", "labs:\n  - name: raft\n    package: ./raft\n    parts: {3A: {TestA/sub: 1}}\n", "not a top-level test name"},
		{"test in two parts", "labs:\n  - name: raft\n    package: ./raft\n    parts: {3A: {TestA: 1}, 3B: {TestA: 2}}\n", "a test belongs to one part"},
		{"args of no test", "labs:\n  - name: raft\n    package: ./raft\n    args: {TestB: [-x]}\n    parts: {3A: {TestA: 1}}\n", "args for TestB, which no part names"},
		{"two labs one name", "labs:\n  - {name: raft, package: ./raft, parts: {3A: {TestA: 1}}}\n  - {name: raft, package: ./r2, parts: {3A: {TestA: 1}}}\n", "a second lab of that name"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseRubric([]byte(c.yaml), "r.yaml")
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.Contains(t, err.Error(), "r.yaml", "the error names the file")
		})
	}
}

func TestParseShard(t *testing.T) {
	s, err := ParseShard("2/4")
	require.NoError(t, err)
	assert.Equal(t, Shard{2, 4}, s)
	for _, bad := range []string{"0/4", "5/4", "2", "a/b", "1/0"} {
		_, err := ParseShard(bad)
		assert.ErrorContains(t, err, "1 ≤ i ≤ n", bad)
	}
}

func TestRunSeedsAreReproducibleAndDistinct(t *testing.T) {
	assert.Equal(t, RunSeed(1, "raft", "TestA", 1), RunSeed(1, "raft", "TestA", 1))
	seen := map[uint64]bool{}
	for _, base := range []uint64{1, 2} {
		for _, test := range []string{"TestA", "TestB"} {
			for run := 1; run <= 3; run++ {
				s := RunSeed(base, "raft", test, run)
				assert.False(t, seen[s], "base %d %s run %d draws a seed of its own", base, test, run)
				seen[s] = true
			}
		}
	}
}

func TestRubricGradesNamesItsTestsOnly(t *testing.T) {
	r := DefaultRubric()
	assert.True(t, r.Grades("raft", "TestInitialElection3A"), "a 3A test is graded")
	assert.True(t, r.Grades("shardkv", "TestChallenge1Delete"), "a challenge test is graded")
	assert.False(t, r.Grades("raft", "TestChallenge1Delete"), "a test is graded in its own lab only")
	assert.False(t, r.Grades("raft", "TestReadIndexPartitionedLeader"), "an optional test is not graded")
	assert.False(t, r.Grades("nolab", "TestInitialElection3A"), "no lab, no points")
}
