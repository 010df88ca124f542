package mutants

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const twoMutants = `# a comment
mutant: first
bug: the first bug
old:
	a := 1
new:
	a := 2
end

mutant: second-one
bug: two edits, one deleting a line and keeping a blank one
old:
	b := 1
	c := 1
new:
	b := 1

end
old:
	d := 1
new:
end
`

func TestParseCatalogReadsNamesBugsAndEdits(t *testing.T) {
	ms, err := ParseCatalog("cat.txt", []byte(twoMutants))
	require.NoError(t, err)
	require.Len(t, ms, 2)

	assert.Equal(t, "first", ms[0].Name)
	assert.Equal(t, "the first bug", ms[0].Bug)
	assert.Equal(t, 2, ms[0].Line)
	assert.Equal(t, []Edit{{Old: "\ta := 1\n", New: "\ta := 2\n"}}, ms[0].Edits)

	assert.Equal(t, "second-one", ms[1].Name)
	assert.Equal(t, []Edit{
		{Old: "\tb := 1\n\tc := 1\n", New: "\tb := 1\n\n"},
		{Old: "\td := 1\n", New: ""},
	}, ms[1].Edits)
}

func TestParseCatalogRejectsMalformedMutants(t *testing.T) {
	cases := map[string]struct{ text, want string }{
		"no bug line": {"mutant: x\nold:\n\ta\nnew:\n\tb\nend\n", "no \"bug:\" line"},
		"no edits":    {"mutant: x\nbug: y\n", "no edits"},
		"unclosed":    {"mutant: x\nbug: y\nold:\n\ta\nnew:\n\tb\n", "not closed"},
		"end too soon": {"mutant: x\nbug: y\nold:\n\ta\nend\n",
			"\"end\" before \"new:\""},
		"empty old":  {"mutant: x\nbug: y\nold:\nnew:\n\tb\nend\n", "empty old text"},
		"no change":  {"mutant: x\nbug: y\nold:\n\ta\nnew:\n\ta\nend\n", "new text is its old text"},
		"duplicate":  {"mutant: x\nbug: y\nold:\n\ta\nnew:\n\tb\nend\nmutant: x\n", "already defined at line 1"},
		"bad name":   {"mutant: Bad_Name\n", "lower-case"},
		"stray text": {"hello\n", "outside a mutant"},
		"stray line": {"mutant: x\nbug: y\n\tcode\n", "unexpected line"},
		"two bugs":   {"mutant: x\nbug: y\nbug: z\n", "two \"bug:\" lines"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ParseCatalog("cat.txt", []byte(c.text))
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.Contains(t, err.Error(), "cat.txt:")
		})
	}
}

func TestApplyReplacesWholeLinesOnce(t *testing.T) {
	src := []byte("func f() {\n\tx := 1\n\tyx := 1\n}\n")
	m := Mutant{Name: "m", Edits: []Edit{{Old: "\tx := 1\n", New: "\tx := 2\n"}}}
	got, err := m.Apply(src)
	require.NoError(t, err)
	// "\tyx := 1" ends the same way but is another line: it stays.
	assert.Equal(t, "func f() {\n\tx := 2\n\tyx := 1\n}\n", string(got))
}

func TestApplyEditsInOrder(t *testing.T) {
	m := Mutant{Name: "m", Edits: []Edit{
		{Old: "a\n", New: "b\n"},
		{Old: "b\nc\n", New: "d\n"}, // sees the first edit's result
	}}
	got, err := m.Apply([]byte("a\nc\n"))
	require.NoError(t, err)
	assert.Equal(t, "d\n", string(got))
}

func TestApplyFailsLoudlyWhenTheCatalogDrifts(t *testing.T) {
	src := []byte("\tx := 1\n\tx := 1\n\ty := 1\n")
	missing := Mutant{Name: "gone", Line: 7, Edits: []Edit{{Old: "\tz := 1\n", New: "\tz := 2\n"}}}
	_, err := missing.Apply(src)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "mutant gone (catalog line 7), edit 1")
	assert.Contains(t, err.Error(), "not in the plain Raft")

	twice := Mutant{Name: "twice", Edits: []Edit{{Old: "\tx := 1\n", New: "\tx := 2\n"}}}
	_, err = twice.Apply(src)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "occurs 2 times")
}

// The real catalog against the real plain Raft: every mutant applies, and
// what it makes is still Go and differs from the plain Raft. This is what
// keeps the catalog from rotting silently when the plain Raft changes.
func TestCatalogAppliesToThePlainRaft(t *testing.T) {
	root, err := FindModuleRoot(".")
	require.NoError(t, err)
	plain, catalog, err := ReadPlain(root)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, len(catalog), 15, "the catalog should plant at least 15 classic bugs")

	_, err = parser.ParseFile(token.NewFileSet(), PlainRaftPath, plain, parser.AllErrors)
	require.NoError(t, err, "the plain Raft does not parse")
	for _, m := range catalog {
		t.Run(m.Name, func(t *testing.T) {
			src, err := m.Apply(plain)
			require.NoError(t, err)
			assert.NotEqual(t, string(plain), string(src))
			_, err = parser.ParseFile(token.NewFileSet(), m.Name+".go", src, parser.AllErrors)
			assert.NoError(t, err, "the mutant is not Go any more")
		})
	}
}

func TestSelectKeepsCatalogOrderAndRejectsUnknownNames(t *testing.T) {
	catalog := []Mutant{{Name: "a"}, {Name: "b"}, {Name: "c"}}
	got, err := Select(catalog, []string{"c", "a"})
	require.NoError(t, err)
	assert.Equal(t, []Mutant{{Name: "a"}, {Name: "c"}}, got)

	all, err := Select(catalog, nil)
	require.NoError(t, err)
	assert.Len(t, all, 3)

	_, err = Select(catalog, []string{"a", "nope"})
	assert.ErrorContains(t, err, `no mutant named "nope"`)
}

func TestCopyModuleLeavesOutGitAndTestOutput(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	write := func(rel, text string) {
		p := filepath.Join(src, rel)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
	}
	write("go.mod", "module raftlab\n")
	write("raft/raft.go", "package raft\n")
	write(".git", "gitdir: elsewhere\n") // a worktree's .git is a file
	write("testlogs/TestX.log", "log\n")
	write("raft/raft.test", "binary\n")
	write("raft/testlogs/kept.txt", "only the root's testlogs is output\n")

	require.NoError(t, CopyModule(src, dst))
	for _, rel := range []string{"go.mod", "raft/raft.go", "raft/testlogs/kept.txt"} {
		assert.FileExists(t, filepath.Join(dst, rel))
	}
	for _, rel := range []string{".git", "testlogs", "raft/raft.test"} {
		assert.NoFileExists(t, filepath.Join(dst, rel))
		assert.NoDirExists(t, filepath.Join(dst, rel))
	}

	root, err := FindModuleRoot(filepath.Join(dst, "raft"))
	require.NoError(t, err)
	assert.Equal(t, dst, root)
}
