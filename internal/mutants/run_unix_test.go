//go:build unix

package mutants

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A crash in the middle of the suite: the binary runs again without the
// tests it finished and the one it died in, and both runs count.
func TestRunSuiteRunsTheRestAfterACrash(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "fake.test")
	script := `#!/bin/sh
echo "$*" >> "$(dirname "$0")/calls"
case "$*" in
*-test.skip=*)
	echo "=== RUN   TestC"
	echo "--- FAIL: TestC (0.00s)"
	echo "FAIL"
	exit 1 ;;
*)
	echo "=== RUN   TestA"
	echo "--- PASS: TestA (0.00s)"
	echo "=== RUN   TestB"
	echo "panic: runtime error: index out of range [10] with length 7"
	exit 2 ;;
esac
`
	require.NoError(t, os.WriteFile(bin, []byte(script), 0o755))

	o, err := RunSuite(context.Background(), RunSpec{Binary: bin, Dir: dir, Timeout: 5 * time.Minute})
	require.NoError(t, err)
	assert.Equal(t, []string{"TestB [panic]", "TestC"}, o.Failed)
	assert.Equal(t, 1, o.Passed)
	assert.Equal(t, 2, o.ExitCode)
	assert.Contains(t, o.Crash, "index out of range")

	calls, err := os.ReadFile(filepath.Join(dir, "calls"))
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(calls)), "\n")
	require.Len(t, lines, 2)
	assert.NotContains(t, lines[0], "-test.skip")
	assert.Contains(t, lines[1], "-test.skip=^(TestA|TestB)$")
}
