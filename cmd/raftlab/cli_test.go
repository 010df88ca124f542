package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// raftlabBin builds the command into the test's temporary folder.
func raftlabBin(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "raftlab")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

// run runs raftlab with args and returns its combined output and exit code.
func run(t *testing.T, bin string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return string(out), code
}

const sampleTimeline = "../../internal/timeline/testdata/TestTimelineSample-seed42.log"

func TestCLIAdoptIntoACopyOfTheKit(t *testing.T) {
	bin := raftlabBin(t)
	out := filepath.Join(t.TempDir(), "kit")
	text, code := run(t, bin, "adopt", "../../internal/adopt/testdata/classic", "-o", out, "-compile=false")
	require.Equal(t, 0, code, text)
	assert.Contains(t, text, "copied    src/raft/raft.go -> raft/raft.go  (replaces the kit's raft/raft.go)")
	assert.FileExists(t, filepath.Join(out, "raft", "util.go"), "the supplied DPrintf")
	assert.FileExists(t, filepath.Join(out, "raftcore", "core.go"), "-o copies the whole kit")
	ours, err := os.ReadFile("../../raft/raft.go")
	require.NoError(t, err)
	assert.Contains(t, string(ours), "raftlab/raftcore", "-o leaves this kit's own raft.go alone")

	text, code = run(t, bin, "adopt", "../../internal/adopt/testdata/classic", "-o", out)
	assert.Equal(t, 2, code)
	assert.Contains(t, text, "is not empty: name a new folder")
}

func TestCLILogs(t *testing.T) {
	bin := raftlabBin(t)
	text, code := run(t, bin, "logs", "-server", "2", "-hide", "network", "-color", "never", "-width", "100", sampleTimeline)
	require.Equal(t, 0, code, text)
	assert.Contains(t, text, "TestTimelineSample  FAIL")
	assert.Contains(t, text, "server 2")
	assert.NotContains(t, text, "server 0 ")
	assert.Contains(t, text, "term 1: campaign")

	page := filepath.Join(t.TempDir(), "tl.html")
	text, code = run(t, bin, "logs", "-html", page, sampleTimeline)
	require.Equal(t, 0, code, text)
	html, err := os.ReadFile(page)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(html), "<!DOCTYPE html>"))
	assert.NotContains(t, string(html), "<script src", "the page is self-contained")

	text, code = run(t, bin, "logs", "-server", "9", sampleTimeline)
	assert.Equal(t, 2, code)
	assert.Contains(t, text, `no server "9"`)
	text, code = run(t, bin, "logs", "missing.log")
	assert.Equal(t, 2, code)
	assert.Contains(t, text, "missing.log")
	text, code = run(t, bin, "logs", "-from", "soon", sampleTimeline)
	assert.Equal(t, 2, code)
	assert.Contains(t, text, "not a virtual time")
}
