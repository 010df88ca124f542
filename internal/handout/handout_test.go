package handout

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"raftlab/internal/kit"
)

func writeHandout(t *testing.T) (string, *Report) {
	t.Helper()
	root, err := kit.FindRoot(".")
	require.NoError(t, err)
	out := filepath.Join(t.TempDir(), "handout")
	rep, err := Write(root, out, Options{})
	require.NoError(t, err)
	return out, rep
}

func TestHandoutHasSkeletonsAndNoSolution(t *testing.T) {
	out, rep := writeHandout(t)

	raftGo, err := os.ReadFile(filepath.Join(out, "raft", "raft.go"))
	require.NoError(t, err)
	skel, err := skeletons.ReadFile("_skeletons/raft/raft.go")
	require.NoError(t, err)
	assert.Equal(t, string(skel), string(raftGo), "raft/raft.go is the skeleton")
	for _, gone := range []string{"raftcore", "shardctrler/balance", "cmd", "raft/testdata", "internal/mutants", "internal/adopt", "kvraft/doc.go"} {
		assert.NoFileExists(t, filepath.Join(out, gone), "the handout must not carry %s", gone)
		assert.NoDirExists(t, filepath.Join(out, gone), "the handout must not carry %s", gone)
	}
	for _, kept := range []string{"raft/persister.go", "raft/raft3a_test.go", "kvraft/kvraft4a_test.go", "labtest/run.go", "internal/mix/mix.go"} {
		assert.FileExists(t, filepath.Join(out, kept), "the handout needs %s", kept)
	}
	// No file of the handout names a package left out.
	err = filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, pkg := range []string{`"raftlab/raftcore"`, `"raftlab/internal/mutants"`} {
			assert.NotContains(t, string(data), pkg, "%s imports a package the handout leaves out", p)
		}
		return nil
	})
	require.NoError(t, err)
	mk, err := os.ReadFile(filepath.Join(out, "Makefile"))
	require.NoError(t, err)
	assert.NotContains(t, string(mk), "cmd/mutants", "the Makefile's rules for the staff's tools are gone")
	assert.Contains(t, string(mk), "3A 3B 3C 3D:")
	gomod, err := os.ReadFile(filepath.Join(out, "go.mod"))
	require.NoError(t, err)
	if rep.Tidy == "go.mod tidied: only what the handout imports" {
		assert.NotContains(t, string(gomod), "spf13/cobra", "the tools' requirements go with the tools")
	} else {
		t.Logf("go.mod not tidied here: %s", rep.Tidy)
	}
	readme, err := os.ReadFile(filepath.Join(out, "README.md"))
	require.NoError(t, err)
	assert.NotContains(t, string(readme), "raftcore")

	var labs []string
	for _, l := range rep.Labs {
		labs = append(labs, l.Name)
	}
	assert.ElementsMatch(t, kit.Labs(out), labs, "every lab of the kit got its skeleton")
	assert.Contains(t, rep.String(), "raft: skeleton raft/raft.go in place of the kit's raft/raft.go")
}

func TestHandoutRefusesAKitLabWithoutSkeleton(t *testing.T) {
	k := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(k, "go.mod"), []byte("module raftlab\n\ngo 1.25\n"), 0o644))
	for _, lab := range []string{"raft", "shardctrler"} {
		require.NoError(t, os.MkdirAll(filepath.Join(k, lab), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(k, lab, "x.go"), []byte("package "+lab+"\n"), 0o644))
	}
	if containsLab(SkeletonLabs(), "shardctrler") {
		t.Skip("shardctrler has a skeleton now; this test needs a kit lab without one")
	}
	_, err := Write(k, filepath.Join(t.TempDir(), "out"), Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the kit has a shardctrler package but there is no skeleton for it")
}

func containsLab(labs []string, lab string) bool {
	for _, l := range labs {
		if l == lab {
			return true
		}
	}
	return false
}

func TestHandoutRefusesAFolderWithFiles(t *testing.T) {
	out := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(out, "keep.txt"), nil, 0o644))
	_, err := Write(".", out, Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is not empty")
}

func TestHandoutBuildsAndTheSkeletonsFailCleanly(t *testing.T) {
	out, _ := writeHandout(t)
	// The 3A tests on the skeleton: about 8 failures in a few seconds. The
	// limit is far above that, and far below a hang's ten minutes.
	opts := VerifyOptions{Tests: RunTests, Labs: []string{"raft"}, Run: "3A", Limit: 2 * time.Minute,
		Graded: func(lab, test string) bool { return strings.HasSuffix(test, "3A") }}
	if testing.Short() {
		opts.Tests = BuildOnly
	}
	v, err := Verify(context.Background(), out, opts)
	require.NoError(t, err, "the handout must build, vet, and fail cleanly:\n%s", v)
	if testing.Short() {
		t.Log("-short: built and vetted the handout; its tests on the skeletons run without -short")
		return
	}
	require.Len(t, v.Labs, 1, "the raft lab's tests ran")
	for _, run := range v.Labs {
		assert.True(t, run.Clean(), "%s: the skeleton's tests must end without a hang or crash", run.Lab)
		assert.NotEmpty(t, run.Failed, "%s: the skeleton fails its tests", run.Lab)
		for _, p := range run.Passed {
			assert.False(t, strings.HasSuffix(p, "3A"),
				"%s passes on a skeleton that does nothing: the test grades nothing", p)
		}
		assert.Contains(t, string(run.Output), `"Action":"fail"`)
		t.Logf("%s: %d tests failed in %s (real time, 2 cores shared)", run.Lab, len(run.Failed), run.Elapsed.Round(100*time.Millisecond))
	}
}

func TestReadEventsFindsACrash(t *testing.T) {
	out := strings.Join([]string{
		`{"Action":"run","Test":"TestA"}`,
		`{"Action":"fail","Test":"TestA"}`,
		`{"Action":"run","Test":"TestB"}`,
		`{"Action":"output","Test":"TestB","Output":"panic: boom\n"}`,
		`{"Action":"fail"}`,
	}, "\n")
	var run LabRun
	readEvents(&run, []byte(out))
	assert.Equal(t, []string{"TestA"}, run.Failed)
	assert.Equal(t, []string{"TestB"}, run.Crashed, "a test with no verdict died with the binary")
	assert.Equal(t, 1, run.Panics)
	assert.False(t, run.Clean())
}

func TestHandoutSkipsASkeletonWhoseLabTheKitLacks(t *testing.T) {
	k := t.TempDir()
	files := map[string]string{
		"go.mod":            "module raftlab\n\ngo 1.25\n",
		"raft/ours.go":      "package raft\n\n// our implementation\n",
		"raft/persister.go": "package raft\n",
		"raft/x_test.go":    "package raft\n",
	}
	for rel, content := range files {
		p := filepath.Join(k, filepath.FromSlash(rel))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	out := filepath.Join(t.TempDir(), "out")
	rep, err := Write(k, out, Options{})
	require.NoError(t, err)
	assert.Contains(t, rep.NoPackage, "kvraft", "the kvraft skeleton is skipped: this kit has no kvraft")
	assert.NotContains(t, rep.NoPackage, "raft", "the raft skeleton is used: this kit has raft")
	require.Len(t, rep.Labs, 1)
	assert.Equal(t, []string{"raft/ours.go"}, rep.Labs[0].Replaced)
	assert.NoFileExists(t, filepath.Join(out, "raft", "ours.go"))
	assert.FileExists(t, filepath.Join(out, "raft", "raft.go"))
	assert.FileExists(t, filepath.Join(out, "raft", "persister.go"))
	assert.FileExists(t, filepath.Join(out, "raft", "x_test.go"))
	assert.NoDirExists(t, filepath.Join(out, "kvraft"))
	assert.Contains(t, rep.String(), "kvraft: skeleton not used (the kit has no kvraft package)")
}
