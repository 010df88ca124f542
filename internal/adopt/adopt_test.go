package adopt

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"raftlab/internal/kit"
)

// scratchKit copies the real kit into a temporary folder.
func scratchKit(t *testing.T) string {
	t.Helper()
	root, err := kit.FindRoot(".")
	require.NoError(t, err)
	dst := t.TempDir()
	require.NoError(t, kit.Copy(root, dst, nil))
	return dst
}

func TestAdoptClassicTreeReportsEveryAction(t *testing.T) {
	k := scratchKit(t)
	rep, err := Adopt("testdata/classic", k, Options{})
	require.NoError(t, err)

	assert.Equal(t, SrcTree, rep.Layout)
	assert.Equal(t, "6.5840", rep.StudentModule)
	require.Len(t, rep.Labs, 1, "only raft is in the student's tree")
	lab := rep.Labs[0]
	assert.Equal(t, "raft", lab.Name)
	assert.Equal(t, []Copied{{From: "src/raft/raft.go", To: "raft/raft.go", Replaced: true}}, lab.Copied,
		"the student's raft.go replaces ours, and the report says so")
	assert.Empty(t, lab.RemovedFromKit, "the kit's raft has no other implementation file")
	assert.Equal(t, []Rewrite{
		{File: "raft/raft.go", Line: 15, From: "6.5840/labgob", To: "raftlab/labgob"},
		{File: "raft/raft.go", Line: 16, From: "6.5840/labrpc", To: "raftlab/labrpc"},
	}, lab.Rewrites)
	require.Len(t, lab.Supplied, 1, "the code calls DPrintf without declaring it")
	assert.Equal(t, "raft/util.go", lab.Supplied[0].File)
	var leftOut []string
	for _, n := range lab.LeftOut {
		leftOut = append(leftOut, n.Path)
	}
	assert.ElementsMatch(t, []string{"src/raft/config.go", "src/raft/persister.go", "src/raft/test_test.go", "src/raft/NOTES.md"}, leftOut,
		"the classic harness, tests and non-Go files are never copied")
	var notAdopted []string
	for _, n := range rep.NotAdopted {
		notAdopted = append(notAdopted, n.Path)
	}
	assert.ElementsMatch(t, []string{"src/labrpc", "src/labgob", "src/mr"}, notAdopted)

	// What is on disk matches the report.
	raftGo, err := os.ReadFile(filepath.Join(k, "raft", "raft.go"))
	require.NoError(t, err)
	assert.Contains(t, string(raftGo), `"raftlab/labrpc"`)
	assert.NotContains(t, string(raftGo), `"6.5840/`)
	assert.Contains(t, string(raftGo), `DPrintf("S%d: leader of term %d`, "the rest of the file is untouched")
	util, err := os.ReadFile(filepath.Join(k, "raft", "util.go"))
	require.NoError(t, err)
	assert.Contains(t, string(util), "const Debug = false")
	assert.Contains(t, string(util), "func DPrintf(format string, a ...interface{}) (n int, err error)")
	for _, kept := range []string{"persister.go", "config_test.go", "raft3a_test.go"} {
		assert.FileExists(t, filepath.Join(k, "raft", kept), "the kit's harness stays")
	}
	assert.NoFileExists(t, filepath.Join(k, "raft", "config.go"), "the classic harness is not copied")

	text := rep.String()
	for _, want := range []string{
		"copied    src/raft/raft.go -> raft/raft.go  (replaces the kit's raft/raft.go)",
		`import    raft/raft.go:15 "6.5840/labgob" -> "raftlab/labgob"`,
		"supplied  raft/util.go: Debug (false) and DPrintf",
		"left out  src/raft/config.go: the classic test harness",
		"not adopted src/mr: not a lab the kit grades",
	} {
		assert.Contains(t, text, want)
	}
}

func TestAdoptedClassicRaftPasses3A(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the kit's 3A tests on the adopted classic Raft (about 10 s)")
	}
	k := scratchKit(t)
	_, err := Adopt("testdata/classic", k, Options{Compile: true})
	require.NoError(t, err)
	cmd := exec.Command("go", "test", "./raft", "-run", "3A", "-count=1")
	cmd.Dir = k
	start := time.Now()
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "the kit's 3A tests fail on the adopted classic Raft:\n%s", out)
	assert.Contains(t, string(out), "ok  \traftlab/raft")
	t.Logf("go test ./raft -run 3A on the adopted tree: %s", time.Since(start).Round(time.Millisecond))
}

// fakeKit is a minimal raftlab module with a raft lab: a reference
// raft.go, the Persister file, and a test file declaring config.
func fakeKit(t *testing.T) string {
	t.Helper()
	k := t.TempDir()
	write(t, k, "go.mod", "module raftlab\n\ngo 1.25\n\nrequire github.com/stretchr/testify v1.12.1\n")
	write(t, k, "labrpc/labrpc.go", "package labrpc\n\ntype ClientEnd struct{}\n")
	write(t, k, "labgob/labgob.go", "package labgob\n")
	write(t, k, "raft/raft.go", "package raft\n\n// ours\ntype Raft struct{}\n")
	write(t, k, "raft/extra.go", "package raft\n\nfunc helper() {}\n")
	write(t, k, "raft/persister.go", "package raft\n\ntype Persister struct{}\n")
	write(t, k, "raft/config_test.go", "package raft\n\ntype config struct{}\n")
	return k
}

func write(t *testing.T, dir, rel, content string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
}

func TestAdoptRefusesWhatItCannotFit(t *testing.T) {
	const ok = "package raft\n\nimport \"6.5840/labrpc\"\n\ntype Raft struct{ peers []*labrpc.ClientEnd }\n"
	cases := []struct {
		name  string
		files map[string]string // in the student's tree
		opts  Options
		want  string
	}{
		{"a package the kit lacks", map[string]string{
			"src/go.mod": "module 6.5840\n", "src/raft/raft.go": "package raft\n\nimport \"6.5840/kvsrv\"\n\nvar _ = kvsrv.X\n"},
			Options{}, `src/raft/raft.go: line 3 imports "6.5840/kvsrv", but the kit has no package kvsrv`},
		{"a module the kit does not require", map[string]string{
			"src/go.mod": "module 6.5840\n", "src/raft/raft.go": "package raft\n\nimport \"github.com/sasha-s/go-deadlock\"\n\nvar _ deadlock.Mutex\n"},
			Options{}, "from a module the kit does not require: add it to the kit (go get github.com/sasha-s/go-deadlock in the kit)"},
		{"a name of the kit's tests", map[string]string{
			"src/go.mod": "module 6.5840\n", "src/raft/raft.go": ok + "\ntype config int\n"},
			Options{}, "raft/raft.go declares config, and so does the kit's raft/config_test.go: rename yours"},
		{"a file of another package", map[string]string{
			"src/go.mod": "module 6.5840\n", "src/raft/raft.go": ok, "src/raft/other.go": "package main\n"},
			Options{}, "src/raft/other.go is package main; the files of the raft lab must be package raft"},
		{"only the harness", map[string]string{
			"src/go.mod": "module 6.5840\n", "src/raft/config.go": "package raft\n", "src/raft/x_test.go": "package raft\n"},
			Options{}, "src/raft has no implementation files to adopt"},
		{"a lab the kit lacks, asked for", map[string]string{
			"src/go.mod": "module 6.5840\n", "src/raft/raft.go": ok, "src/shardkv/server.go": "package shardkv\n"},
			Options{Labs: []string{"shardkv"}}, "the kit at"},
		{"no lab at all", map[string]string{"README": "hello\n"},
			Options{}, "no classic lab tree in"},
		{"a Debug of unknown type", map[string]string{
			"src/go.mod": "module 6.5840\n", "src/raft/raft.go": ok + "\nvar Debug = os.Getenv(\"D\")\n\nfunc f() { DPrintf(\"x\") }\n"},
			Options{}, "declares a Debug whose type adopt cannot tell"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k := fakeKit(t)
			student := t.TempDir()
			for rel, content := range c.files {
				write(t, student, rel, content)
			}
			rep, err := Adopt(student, k, c.opts)
			require.Error(t, err, "adopt must refuse %s", c.name)
			if rep != nil {
				assert.False(t, rep.Written)
			}
			assert.Contains(t, err.Error(), c.want)
			ours, rerr := os.ReadFile(filepath.Join(k, "raft", "raft.go"))
			require.NoError(t, rerr, "a refused adoption leaves the kit's files")
			assert.Equal(t, "package raft\n\n// ours\ntype Raft struct{}\n", string(ours), "a refused adoption changes nothing")
			assert.FileExists(t, filepath.Join(k, "raft", "extra.go"))
		})
	}
}

func TestAdoptSingleLabFolderRemovesTheKitsOtherFiles(t *testing.T) {
	k := fakeKit(t)
	student := t.TempDir()
	write(t, student, "raft.go", "package raft\n\nimport \"6.5840/labrpc\"\n\ntype Raft struct{ peers []*labrpc.ClientEnd }\n\nfunc f() { DPrintf(\"x %d\", 1) }\n")
	write(t, student, "util.go", "package raft\n\nconst Debug = 0\n")
	rep, err := Adopt(student, k, Options{Compile: true})
	require.NoError(t, err, "report:\n%s", rep)
	assert.Equal(t, LabFolder, rep.Layout)
	require.Len(t, rep.Labs, 1)
	assert.Equal(t, []string{"raft/extra.go"}, rep.Labs[0].RemovedFromKit, "the kit's other reference file goes, and is listed")
	assert.NoFileExists(t, filepath.Join(k, "raft", "extra.go"))
	require.Len(t, rep.Labs[0].Supplied, 1)
	assert.Equal(t, "raft/dprintf.go", rep.Labs[0].Supplied[0].File, "util.go is the student's; the helper takes another name")
	helper, err := os.ReadFile(filepath.Join(k, "raft", "dprintf.go"))
	require.NoError(t, err)
	assert.Contains(t, string(helper), "if Debug > 0 {", "the student's integer Debug gates the supplied DPrintf")
	assert.NotContains(t, string(helper), "const Debug", "the student's own Debug is used")
	assert.Contains(t, rep.String(), "removed   raft/extra.go (the kit's reference implementation)")
}

func TestAdoptRewritesOlderCoursesImports(t *testing.T) {
	k := fakeKit(t)
	student := t.TempDir() // a lab folder out of its tree: no go.mod to name the module
	write(t, student, "raft.go", "package raft\n\nimport (\n\t\"6.824/labgob\"\n\t\"labrpc\"\n)\n\nvar _ = labgob.X\nvar _ labrpc.ClientEnd\n")
	rep, err := Adopt(student, k, Options{})
	require.NoError(t, err)
	assert.Equal(t, []Rewrite{
		{File: "raft/raft.go", Line: 4, From: "6.824/labgob", To: "raftlab/labgob"},
		{File: "raft/raft.go", Line: 5, From: "labrpc", To: "raftlab/labrpc"},
	}, rep.Labs[0].Rewrites, "the 6.824 module and the GOPATH-era bare names are the course's too")
}

func TestAdoptDryRunChangesNothing(t *testing.T) {
	k := fakeKit(t)
	rep, err := Adopt("testdata/classic/src/raft", k, Options{DryRun: true})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(rep.String(), "would adopt (dry run, nothing changed)"))
	assert.NotEmpty(t, rep.Labs[0].Copied)
	ours, err := os.ReadFile(filepath.Join(k, "raft", "raft.go"))
	require.NoError(t, err)
	assert.Equal(t, "package raft\n\n// ours\ntype Raft struct{}\n", string(ours))
	assert.NoFileExists(t, filepath.Join(k, "raft", "util.go"))
}

func TestAdoptCompileReportsTheCompilersErrors(t *testing.T) {
	k := fakeKit(t)
	student := t.TempDir()
	write(t, student, "raft.go", "package raft\n\ntype Raft struct{}\n\nfunc f() int { return \"not an int\" }\n")
	rep, err := Adopt(student, k, Options{Compile: true})
	require.Error(t, err)
	assert.True(t, rep.Written, "the files were written before the compiler looked at them, and the report says so")
	assert.Contains(t, err.Error(), "the adopted raft lab does not compile against the kit's suite")
	assert.Contains(t, err.Error(), "raft.go:5")
}
