package handout

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// TestMode says how far Verify goes.
type TestMode int

const (
	// BuildOnly builds and vets the handout.
	BuildOnly TestMode = iota
	// RunTests also runs each lab's tests (or those Run selects) and checks
	// that they fail cleanly and quickly.
	RunTests
)

// VerifyOptions tune Verify.
type VerifyOptions struct {
	Tests TestMode
	// Labs restricts RunTests to these labs (default: every skeleton lab
	// in the handout).
	Labs []string
	// Run is the -run pattern of the tests run per lab ("" runs them all).
	Run string
	// Limit is the real time a lab's tests may take before Verify calls
	// it a hang (default 5 minutes).
	Limit time.Duration
	// Env is added to the tests' environment (e.g. RAFTLAB_REPLAY_CHECK=0).
	Env []string
	// Graded, when set, says whether a test earns points (the grader's
	// rubric): one that passes on a skeleton, which does nothing, would
	// give its points away, so Verify reports it.
	Graded func(lab, test string) bool
	GoCmd  string
}

// Verification is what Verify found.
type Verification struct {
	Labs []LabRun
}

// LabRun is one lab's tests on the skeleton.
type LabRun struct {
	Lab      string
	Elapsed  time.Duration
	Failed   []string // tests that failed, cleanly
	Passed   []string // tests that passed on the skeleton (they grade nothing the student writes)
	Skipped  []string
	Crashed  []string // tests that started and never ended: the binary died under them
	Panics   int      // lines of the output starting with "panic:" or "fatal error:"
	TimedOut bool
	Output   []byte // the go test -json output
}

// Clean says whether every test that ran ended with a verdict, with no
// panic or crash and within the limit.
func (r LabRun) Clean() bool {
	return !r.TimedOut && len(r.Crashed) == 0 && r.Panics == 0
}

// Verify builds and vets the handout at dir and, with RunTests, runs each
// skeleton lab's tests. It returns an error when the handout does not
// build or vet, or when a lab's tests do not fail cleanly.
func Verify(ctx context.Context, dir string, opts VerifyOptions) (*Verification, error) {
	if opts.GoCmd == "" {
		opts.GoCmd = "go"
	}
	if opts.Limit == 0 {
		opts.Limit = 5 * time.Minute
	}
	for _, args := range [][]string{{"build", "./..."}, {"vet", "./..."}} {
		cmd := exec.CommandContext(ctx, opts.GoCmd, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("the handout does not pass go %s (%v):\n%s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
		}
	}
	v := &Verification{}
	if opts.Tests == BuildOnly {
		return v, nil
	}
	var errs []error
	for _, lab := range SkeletonLabs() {
		if _, err := os.Stat(dir + "/" + lab); err != nil {
			continue
		}
		if len(opts.Labs) > 0 && !slices.Contains(opts.Labs, lab) {
			continue
		}
		run, err := runLab(ctx, dir, lab, opts)
		if err != nil {
			return v, err
		}
		v.Labs = append(v.Labs, run)
		switch {
		case run.TimedOut:
			errs = append(errs, fmt.Errorf("%s: the tests on the skeleton were still running after %v: a hang", lab, opts.Limit))
		case len(run.Crashed) > 0:
			errs = append(errs, fmt.Errorf("%s: the test binary died during %s", lab, strings.Join(run.Crashed, ", ")))
		case run.Panics > 0:
			errs = append(errs, fmt.Errorf("%s: %d panic lines in the tests' output on the skeleton", lab, run.Panics))
		case len(run.Failed) == 0:
			errs = append(errs, fmt.Errorf("%s: no test failed on the skeleton", lab))
		}
		if opts.Graded != nil {
			for _, test := range run.Passed {
				if opts.Graded(lab, test) {
					errs = append(errs, fmt.Errorf("%s: %s passes on the skeleton, which does nothing, so its points come for free: make the test check that the work it grades was done", lab, test))
				}
			}
		}
	}
	return v, errors.Join(errs...)
}

func runLab(ctx context.Context, dir, lab string, opts VerifyOptions) (LabRun, error) {
	ctx, cancel := context.WithTimeout(ctx, opts.Limit)
	defer cancel()
	args := []string{"test", "-json", "-count=1", "./" + lab}
	if opts.Run != "" {
		args = append(args, "-run", opts.Run)
	}
	cmd := exec.CommandContext(ctx, opts.GoCmd, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), opts.Env...)
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	out, err := cmd.Output()
	run := LabRun{Lab: lab, Elapsed: time.Since(start), Output: out, TimedOut: ctx.Err() != nil}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) && !run.TimedOut {
		return run, fmt.Errorf("go test ./%s: %w", lab, err)
	}
	readEvents(&run, out)
	return run, nil
}

// readEvents sorts the top-level tests of go test -json output by verdict.
func readEvents(run *LabRun, out []byte) {
	started := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		var ev struct{ Action, Test, Output string }
		if json.Unmarshal(sc.Bytes(), &ev) != nil {
			continue
		}
		if ev.Action == "output" && (strings.HasPrefix(ev.Output, "panic:") || strings.HasPrefix(ev.Output, "fatal error:")) {
			run.Panics++
		}
		if ev.Test == "" || strings.Contains(ev.Test, "/") {
			continue
		}
		switch ev.Action {
		case "run":
			started[ev.Test] = true
		case "pass":
			run.Passed = append(run.Passed, ev.Test)
			delete(started, ev.Test)
		case "fail":
			run.Failed = append(run.Failed, ev.Test)
			delete(started, ev.Test)
		case "skip":
			run.Skipped = append(run.Skipped, ev.Test)
			delete(started, ev.Test)
		}
	}
	for t := range started {
		run.Crashed = append(run.Crashed, t)
	}
	slices.Sort(run.Crashed)
}

// String summarizes the verification, one line per lab.
func (v *Verification) String() string {
	var b strings.Builder
	for _, r := range v.Labs {
		verdict := "clean"
		if !r.Clean() {
			verdict = "NOT CLEAN"
		}
		fmt.Fprintf(&b, "%s: %d failed, %d passed, %d skipped in %.1fs (%s)",
			r.Lab, len(r.Failed), len(r.Passed), len(r.Skipped), r.Elapsed.Seconds(), verdict)
		if len(r.Passed) > 0 {
			fmt.Fprintf(&b, "; passing on the skeleton: %s", strings.Join(r.Passed, ", "))
		}
		b.WriteString("\n")
	}
	return b.String()
}
