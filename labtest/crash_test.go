package labtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A panic in a goroutine the harness did not start ends the binary, as in
// any Go program. The crash watch still names the test, the seed and the
// rerun line right under the panic, and leaves a timeline file with them.
func TestServerPanicLeavesATimeline(t *testing.T) {
	dir := t.TempDir()
	out, _ := runHelper(t, "^TestGuardHelperServerPanic$", "-logdir", dir)
	assert.Contains(t, out, "index out of range")
	assert.Contains(t, out, `"labtest": "TestGuardHelperServerPanic #1 seed=99"`, "the trace's labels name the test")
	assert.Contains(t, out, `"server": "9"`)
	assert.NotContains(t, out, "--- FAIL", "testing had no chance to report")

	assert.Contains(t, out, "labtest: the test binary crashed while running TestGuardHelperServerPanic (seed 99): "+
		"panic: runtime error: index out of range [3] with length 0\n"+
		"    replay with:\n        go test ./labtest -run '^TestGuardHelperServerPanic$' -seed 99\n"+
		"    crash report: "+filepath.Join(dir, "TestGuardHelperServerPanic-seed99.log"))

	data, err := os.ReadFile(filepath.Join(dir, "TestGuardHelperServerPanic-seed99.log"))
	require.NoError(t, err, "the crash leaves a timeline file named like a failure's")
	text := string(data)
	assert.True(t, strings.HasPrefix(text, "# labtest timeline of TestGuardHelperServerPanic: CRASH\n# seed: 99\n"+
		"# rerun: go test ./labtest -run '^TestGuardHelperServerPanic$' -seed 99\n"+
		"# crash: panic: runtime error: index out of range [3] with length 0\n"), text)
	assert.Contains(t, text, "TestGuardHelperServerPanic.func1.1.1()", "the panicking goroutine's stack")
	assert.Equal(t, []string{"TestGuardHelperServerPanic-seed99.log"}, dirNames(t, dir), "the crash record is gone")
}

// A binary that ends normally leaves nothing of its crash watch behind.
func TestNoCrashNoRecord(t *testing.T) {
	dir := t.TempDir()
	out, _ := runHelper(t, "^TestGuardHelperZAfter$", "-logdir", dir)
	assert.Contains(t, out, "--- PASS: TestGuardHelperZAfter")
	assert.Empty(t, dirNames(t, dir))
}

// A record left by a process whose monitor could not run is reported by
// the next process that watches the same directory.
func TestLeftoverCrashRecordIsReported(t *testing.T) {
	dead := exec.Command(os.Args[0], "-test.run", "^$")
	require.NoError(t, dead.Run())
	dir := t.TempDir()
	record := fmt.Sprintf("# labtest crash record of labtest.test (pid %d)\n", dead.Process.Pid) +
		crashRunLine + "TestA #1 seed=5\t3\t5\tTestA\tgo test ./x -run '^TestA$' -seed 5\n" +
		crashEndLine + "TestA #1 seed=5\n" +
		crashRunLine + "TestB #2 seed=6\t4\t6\tTestB\tgo test ./x -run '^TestB$' -seed 6\n" +
		"panic: boom\n\ngoroutine 9 [running, synctest bubble 4]:\nmain.f()\n\t/x/f.go:3 +0x1\n"
	path := filepath.Join(dir, fmt.Sprintf("crashwatch-%d.log", dead.Process.Pid))
	require.NoError(t, os.WriteFile(path, []byte(record), 0o644))

	var said strings.Builder
	claimCrashRecords(dir, &said)
	assert.Contains(t, said.String(), "labtest: an earlier test binary (pid "+strconv.Itoa(dead.Process.Pid)+") crashed while running TestB (seed 6): panic: boom\n"+
		"    replay with:\n        go test ./x -run '^TestB$' -seed 6\n")
	data, err := os.ReadFile(filepath.Join(dir, "TestB-seed6.log"))
	require.NoError(t, err, "TestB's bubble is the panicking goroutine's")
	assert.Contains(t, string(data), "# rerun: go test ./x -run '^TestB$' -seed 6\n# crash: panic: boom\n")
	assert.Equal(t, []string{"TestB-seed6.log"}, dirNames(t, dir), "the record is consumed")
}
