package kit

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func write(t *testing.T, dir, rel, content string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
}

func TestCopyLeavesOutLeftoversAndWhatSkipNames(t *testing.T) {
	src := t.TempDir()
	write(t, src, "go.mod", "module raftlab\n")
	write(t, src, "raft/raft.go", "package raft\n")
	write(t, src, "raft/raft.test", "binary")
	write(t, src, ".git/HEAD", "ref")
	write(t, src, "testlogs/TestX-seed1.log", "log")
	write(t, src, "raftcore/core.go", "package raftcore\n")
	dst := filepath.Join(t.TempDir(), "copy")
	require.NoError(t, Copy(src, dst, func(rel string, isDir bool) bool { return rel == "raftcore" }))
	assert.FileExists(t, filepath.Join(dst, "raft", "raft.go"))
	for _, gone := range []string{"raft/raft.test", ".git", "testlogs", "raftcore"} {
		assert.NoFileExists(t, filepath.Join(dst, gone))
		assert.NoDirExists(t, filepath.Join(dst, gone))
	}
	assert.Equal(t, []string{"raft"}, Labs(dst))
}

func TestFindRootAndModulePath(t *testing.T) {
	root, err := FindRoot(".")
	require.NoError(t, err)
	assert.FileExists(t, filepath.Join(root, "raft", "raft.go"), "the kit's root is found from a folder inside it")

	other := t.TempDir()
	write(t, other, "go.mod", "// a comment\nmodule \"6.5840\"\n\ngo 1.22\n")
	mod, err := ModulePath(other)
	require.NoError(t, err)
	assert.Equal(t, "6.5840", mod)
	_, err = FindRoot(other)
	assert.ErrorContains(t, err, `is module "6.5840", not the raftlab kit`)
}
