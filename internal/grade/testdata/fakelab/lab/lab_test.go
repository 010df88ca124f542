// Package lab is a stand-in for a lab's test suite, for the grader's own
// tests: one test of each way a run can end. It takes the harness's -seed
// and -logdir flags as a real lab's test binary does, and writes a
// timeline-like file into -logdir when it fails.
package lab

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

var (
	seed   = flag.Uint64("seed", 0, "the run's seed")
	logdir = flag.String("logdir", "", "where the run's files go")
)

// timeline writes the file a failed run leaves for the grader to keep.
func timeline(t *testing.T, text string) {
	name := fmt.Sprintf("%s-seed%d.log", t.Name(), *seed)
	if err := os.WriteFile(filepath.Join(*logdir, name), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestPass1A(t *testing.T) {}

func TestFail1A(t *testing.T) {
	picture := filepath.Join(*logdir, fmt.Sprintf("%s-seed%d-linearizability.html", t.Name(), *seed))
	if err := os.WriteFile(picture, []byte("<!DOCTYPE html>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	timeline(t, fmt.Sprintf("# labtest timeline of %s: FAIL\n# seed: %d\n#\n# failures, in the order noted:\nthe value went wrong here\nopen %s\n",
		t.Name(), *seed, picture))
	t.Errorf("agreement: got 1, want 2 (seed %d); open %s", *seed, picture)
}

// A goroutine the code under test started panics: the process dies with no
// verdict, as a student Raft's crash does.
func TestGoroutinePanic1A(t *testing.T) {
	timeline(t, "CRASH\n")
	go func() { panic("student goroutine panics") }()
	time.Sleep(10 * time.Second)
}

// Hangs past the limit, with a child that holds the output open: the
// testing package's timeout ends the test process, and the grader must
// still end the child.
func TestHang1A(t *testing.T) {
	child := exec.Command("sleep", "300")
	child.Stdout = os.Stdout
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(*logdir, "child.pid"), []byte(fmt.Sprint(child.Process.Pid)), 0o644)
	select {}
}

// Stops itself, so that not even the testing package's timeout can fire:
// only a kill from outside ends it.
func TestStopped1A(t *testing.T) {
	syscall.Kill(os.Getpid(), syscall.SIGSTOP)
	select {}
}

func TestSkip1A(t *testing.T) { t.Skip("this server has no ReadIndex") }

// Fails on odd seeds: a flaky test earns nothing unless every run passes.
func TestFlaky1B(t *testing.T) {
	if *seed%2 == 1 {
		t.Fatalf("odd seed %d", *seed)
	}
}

// Each run is a fresh process: a package variable set by an earlier run
// (of this test, or of any other) is never seen.
var touched bool

func TestFreshProcess1B(t *testing.T) {
	if touched {
		t.Fatal("a package variable survived from an earlier run: runs share a process")
	}
	touched = true
}

func TestNotInTheRubric(t *testing.T) { t.Fatal("the grader runs only the rubric's tests") }
