package grade

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"raftlab/internal/mix"
)

// Options configure a grading run. The zero value of each field is the
// default the raftlab command documents.
type Options struct {
	KitDir   string        // the kit's root (holds go.mod); default: the working directory
	Rubric   *Rubric       // default: DefaultRubric()
	Select   []string      // labs and parts (raft, 3A); none: every lab
	Runs     int           // runs of each test, each in its own process with its own seed; default 1
	Parallel int           // processes at once; default: the core count
	FailFast bool          // start nothing new after the first run that does not pass
	Race     bool          // build the test binaries with the race detector
	Timeout  time.Duration // real-time limit of one run; default 3m

	// BaseSeed, when SeedSet, fixes every run's seed: a grading run with
	// the same base seed, selection and runs draws the same seeds, however
	// it is sharded or parallelised. Otherwise one is drawn and recorded.
	BaseSeed uint64
	SeedSet  bool

	Shard       Shard  // one shard of the test list; zero: all
	ArtifactDir string // where failed runs' folders go; default grade-artifacts
	ReplayCheck bool   // let the harness run a failed seed again to see it reproduce
	Strict      bool   // the harness's -strict: goroutines outliving Kill fail the test

	Progress   Progress  // live or line output; default: none
	Log        io.Writer // build and setup messages; default: discarded
	Submission string    // recorded in the results
	Command    string    // recorded in the results

	// unsubmitted says which labs a graded submission lacks: they earn
	// nothing instead of grading the kit's own code.
	unsubmitted func(Lab) bool

	// Grace is how long a run's output may stay open after its process
	// ended or was killed (the harness's crash monitor writes the crash's
	// timeline then) before the group is killed; default 10s.
	Grace time.Duration
}

// Shard is the i-th (1-based) of n shares of a test list.
type Shard struct{ Index, Count int }

// ParseShard reads "i/n".
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 1 || i > n {
		return Shard{}, fmt.Errorf("-shard %q: want i/n with 1 ≤ i ≤ n, e.g. -shard 2/4 for the second of four shards", s)
	}
	return Shard{i, n}, nil
}

func (s Shard) String() string {
	if s.Count == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// takes reports whether the shard runs the k-th (0-based) test of the
// selection: tests are dealt round-robin, so shards differ by at most one
// test and each machine computes its share alone.
func (s Shard) takes(k int) bool {
	return s.Count == 0 || k%s.Count == s.Index-1
}

// Progress is told what happens, for live or line-by-line output. Calls
// come one at a time.
type Progress interface {
	Begin(tests []*TestResult, runs int)
	Started(t *TestResult, run int)
	Finished(t *TestResult, r RunResult)
	End()
}

// RunSeed is the seed of a test's run-th run under a base seed: a pure
// function, so a run can be found again from the results alone.
func RunSeed(base uint64, lab, test string, run int) uint64 {
	return mix.SplitMix64(base ^ mix.String(lab+"/"+test) + mix.Gamma*uint64(run))
}

// job is one run of one test.
type job struct {
	test *TestResult
	lab  *labBuild
	run  int
	seed uint64
}

type labBuild struct {
	SelectedLab
	bin    string   // the test binary, once built
	pkgDir string   // where the binary runs (go test runs it in its package)
	order  []string // the binary's tests, in its order
}

// Grade builds each selected lab's test binary once and runs every
// selected test in its own process, Runs times, Parallel at once.
func Grade(ctx context.Context, o Options) (*Results, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	sel, err := o.Rubric.Select(o.Select)
	if err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp("", "raftlab-grade-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)

	res := &Results{Version: FormatVersion, Started: now(), BaseSeed: o.BaseSeed, Runs: o.Runs,
		Race: o.Race, Shard: o.Shard.String(), Submission: o.Submission, Command: o.Command}
	var tests []*TestResult
	var builds []*labBuild
	for _, sl := range sel {
		lb := &labBuild{SelectedLab: sl, pkgDir: filepath.Join(o.KitDir, filepath.FromSlash(sl.Lab.Package))}
		lr, listed := o.prepare(ctx, lb, work)
		res.Labs = append(res.Labs, lr)
		for _, tr := range labTests(sl, lb.order) {
			switch {
			case !lr.Present:
				// No runs: the summary reports the lab as not present.
				tr.Runs = []RunResult{}
			case lr.Error != "":
				tr.Runs = []RunResult{{Run: 1, Outcome: Error, Message: lr.Error}}
			case !listed[tr.Name]:
				tr.Runs = []RunResult{{Run: 1, Outcome: Missing,
					Message: fmt.Sprintf("%s has no test %s; the rubric names it in part %s", sl.Lab.Package, tr.Name, tr.Part)}}
			}
			res.Selected = append(res.Selected, tr.Key())
			tests = append(tests, &tr)
			builds = append(builds, lb)
		}
	}

	// The shard's share, and the runs of it that need a process, run by
	// run, so that every test has a result early.
	var mine []*TestResult
	var runnable []int
	for k, t := range tests {
		if !o.Shard.takes(k) {
			continue
		}
		mine = append(mine, t)
		if len(t.Runs) == 0 && builds[k].bin != "" {
			t.Runs = make([]RunResult, o.Runs)
			for i := range t.Runs {
				t.Runs[i] = RunResult{Run: i + 1, Seed: RunSeed(o.BaseSeed, t.Lab, t.Name, i+1), Outcome: NotRun}
			}
			runnable = append(runnable, k)
		}
	}
	var jobs []job
	for run := 1; run <= o.Runs; run++ {
		for _, k := range runnable {
			jobs = append(jobs, job{test: tests[k], lab: builds[k], run: run, seed: tests[k].Runs[run-1].Seed})
		}
	}
	o.Progress.Begin(mine, o.Runs)
	o.runAll(ctx, jobs, work)
	o.Progress.End()

	for _, t := range mine {
		t.score(len(t.Runs))
		res.Tests = append(res.Tests, *t)
	}
	res.Finished = now()
	return res, ctx.Err()
}

func (o *Options) defaults() error {
	if o.KitDir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return err
		}
		o.KitDir = wd
	}
	abs, err := filepath.Abs(o.KitDir)
	if err != nil {
		return err
	}
	o.KitDir = abs
	if _, err := os.Stat(filepath.Join(o.KitDir, "go.mod")); err != nil {
		return fmt.Errorf("grade: %s has no go.mod; run raftlab from the kit's root (the folder with go.mod) or give -kit DIR", o.KitDir)
	}
	if o.Rubric == nil {
		o.Rubric = DefaultRubric()
	}
	if o.Runs < 1 {
		o.Runs = 1
	}
	if o.Parallel < 1 {
		o.Parallel = runtime.NumCPU()
	}
	if o.Timeout <= 0 {
		o.Timeout = 3 * time.Minute
	}
	if !o.SeedSet {
		o.BaseSeed = FreshSeed()
		o.SeedSet = true
	}
	if o.ArtifactDir == "" {
		o.ArtifactDir = "grade-artifacts"
	}
	if o.ArtifactDir, err = filepath.Abs(o.ArtifactDir); err != nil {
		return err
	}
	if o.Progress == nil {
		o.Progress = nopProgress{}
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.Grace <= 0 {
		o.Grace = 10 * time.Second
	}
	return nil
}

// prepare builds a lab's test binary and lists its tests.
func (o *Options) prepare(ctx context.Context, lb *labBuild, work string) (LabResult, map[string]bool) {
	lr := LabResult{Name: lb.Lab.Name, Package: lb.Lab.Package}
	if !hasTests(lb.pkgDir) {
		fmt.Fprintf(o.Log, "grade: %s: not present (no tests in %s)\n", lb.Lab.Name, lb.Lab.Package)
		return lr, nil
	}
	lr.Present = true
	if o.unsubmitted != nil && o.unsubmitted(lb.Lab) {
		lr.Error = fmt.Sprintf("the submission has no %s lab", lb.Lab.Name)
		return lr, nil
	}
	lb.bin = filepath.Join(work, lb.Lab.Name+".test")
	args := []string{"test", "-c", "-o", lb.bin}
	if o.Race {
		args = append(args, "-race")
	}
	args = append(args, lb.Lab.Package)
	fmt.Fprintf(o.Log, "grade: building %s (go %s)\n", lb.Lab.Name, strings.Join(args, " "))
	build := exec.CommandContext(ctx, "go", args...)
	build.Dir = o.KitDir
	if out, err := build.CombinedOutput(); err != nil {
		lr.Error = fmt.Sprintf("the test binary of %s does not build (go %s): %v\n%s", lb.Lab.Package, strings.Join(args, " "), err, firstLines(string(out), 40))
		fmt.Fprintf(o.Log, "grade: %s\n", lr.Error)
		return lr, nil
	}
	list := exec.CommandContext(ctx, lb.bin, "-test.list", ".*")
	list.Dir = lb.pkgDir
	out, err := list.Output()
	if err != nil {
		lr.Error = fmt.Sprintf("listing the tests of %s failed: %v\n%s", lb.Lab.Package, err, firstLines(string(out), 20))
		return lr, nil
	}
	listed := map[string]bool{}
	var order []string
	for _, line := range strings.Split(string(out), "\n") {
		if name := strings.TrimSpace(line); strings.HasPrefix(name, "Test") && !listed[name] {
			listed[name] = true
			order = append(order, name)
		}
	}
	lb.order = order
	return lr, listed
}

func hasTests(dir string) bool {
	m, _ := filepath.Glob(filepath.Join(dir, "*_test.go"))
	return len(m) > 0
}

// labTests returns a lab's selected tests part by part, in the rubric's
// order of parts; within a part, the tests the binary has in its own
// (source) order, then those it lacks.
func labTests(sl SelectedLab, order []string) []TestResult {
	pos := map[string]int{}
	for i, name := range order {
		pos[name] = i
	}
	var out []TestResult
	for _, p := range sl.Parts {
		tests := append([]RubricTest(nil), p.Tests...)
		sort.SliceStable(tests, func(a, b int) bool {
			pa, oka := pos[tests[a].Name]
			pb, okb := pos[tests[b].Name]
			if oka != okb {
				return oka
			}
			return pa < pb
		})
		for _, t := range tests {
			out = append(out, TestResult{Lab: sl.Lab.Name, Part: p.Name, Name: t.Name, MaxPoints: t.Points})
		}
	}
	return out
}

// runAll runs the jobs on Parallel workers.
func (o *Options) runAll(ctx context.Context, jobs []job, work string) {
	var mu sync.Mutex // guards the results and serialises Progress
	stop := false
	next := 0
	var wg sync.WaitGroup
	for w := 0; w < o.Parallel; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if stop || next >= len(jobs) || ctx.Err() != nil {
					mu.Unlock()
					return
				}
				j := jobs[next]
				next++
				o.Progress.Started(j.test, j.run)
				mu.Unlock()

				r := o.runOne(ctx, j, work)

				mu.Lock()
				j.test.Runs[j.run-1] = r
				o.Progress.Finished(j.test, r)
				if o.FailFast && r.Outcome != Pass && r.Outcome != Skip {
					stop = true
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

// runOne runs one test once, in a process group of its own, and keeps the
// folder of files it wrote when it did not pass.
func (o *Options) runOne(ctx context.Context, j job, work string) RunResult {
	r := RunResult{Run: j.run, Seed: j.seed, Rerun: o.rerunLine(j)}
	dir := filepath.Join(work, "runs", j.test.Lab, j.test.Name, fmt.Sprintf("run%d", j.run))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		r.Outcome, r.Message = Error, err.Error()
		return r
	}
	stdout, err1 := os.Create(filepath.Join(dir, "stdout.txt"))
	stderr, err2 := os.Create(filepath.Join(dir, "stderr.txt"))
	if err := errors.Join(err1, err2); err != nil {
		r.Outcome, r.Message = Error, err.Error()
		return r
	}
	args := []string{
		"-test.run", "^" + j.test.Name + "$",
		"-test.count=1",
		"-test.v",
		"-test.timeout", o.Timeout.String(),
		"-seed", strconv.FormatUint(j.seed, 10),
		"-logdir", dir,
	}
	args = append(args, j.lab.Lab.Args[j.test.Name]...)
	if o.Strict {
		args = append(args, "-strict")
	}
	// The testing package's own timeout comes first and prints every
	// goroutine; the kill is for a process that cannot even do that.
	runCtx, cancel := context.WithTimeout(ctx, o.Timeout+o.Grace)
	defer cancel()
	cmd := exec.CommandContext(runCtx, j.lab.bin, args...)
	cmd.Dir = j.lab.pkgDir
	// The grader's options decide these, not what the grader's own
	// environment happens to hold (CI sets RAFTLAB_STRICT for its own tests).
	cmd.Env = append(os.Environ(),
		"RAFTLAB_REPLAY_CHECK="+strconv.FormatBool(o.ReplayCheck),
		"RAFTLAB_STRICT="+strconv.FormatBool(o.Strict))
	// Through pipes, not the files themselves, so that Wait also waits for
	// whatever the test started that still writes to them (the crash
	// monitor), up to Grace.
	cmd.Stdout = struct{ io.Writer }{stdout}
	cmd.Stderr = struct{ io.Writer }{stderr}
	ownGroup(cmd)
	cmd.Cancel = func() error { return killGroup(cmd) }
	cmd.WaitDelay = o.Grace
	start := time.Now()
	r.Started = start.UTC().Round(0)
	runErr := cmd.Run()
	r.Seconds = time.Since(start).Seconds()
	killGroup(cmd) // leftovers of a run that ended by itself
	stdout.Close()
	stderr.Close()

	out, _ := os.ReadFile(filepath.Join(dir, "stdout.txt"))
	errOut, _ := os.ReadFile(filepath.Join(dir, "stderr.txt"))
	killed := runCtx.Err() != nil && ctx.Err() == nil
	var recorded []string
	if runErr != nil {
		recorded = recordedFailures(dir)
	}
	r.Outcome, r.Message = classify(j.test.Name, string(out), string(errOut), runErr, killed, o.Timeout, recorded)
	if ctx.Err() != nil {
		r.Outcome, r.Message = NotRun, "the grading run was interrupted"
	}
	if r.Outcome == Pass || r.Outcome == Skip || r.Outcome == NotRun {
		os.RemoveAll(dir)
		return r
	}
	// The harness names files by where they were written; say where they
	// are kept.
	dest := o.artifactFolder(j)
	r.Message = strings.ReplaceAll(r.Message, dir, dest)
	r.Artifacts, r.Files = o.keepArtifacts(dir, dest, j, r)
	return r
}

// rerunLine is the command, from the kit's root, that runs this run again.
func (o *Options) rerunLine(j job) string {
	var b strings.Builder
	fmt.Fprintf(&b, "go test %s -run '^%s$' -count=1 -seed %d", j.lab.Lab.Package, j.test.Name, j.seed)
	if o.Race {
		b.WriteString(" -race")
	}
	for _, a := range j.lab.Lab.Args[j.test.Name] {
		b.WriteString(" " + shellQuote(a))
	}
	if o.Strict {
		b.WriteString(" -strict")
	}
	return b.String()
}

func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=./:,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

type nopProgress struct{}

func (nopProgress) Begin([]*TestResult, int)        {}
func (nopProgress) Started(*TestResult, int)        {}
func (nopProgress) Finished(*TestResult, RunResult) {}
func (nopProgress) End()                            {}

// now is the wall clock as the results record it: UTC, without the
// monotonic reading, so that it survives a JSON round trip unchanged.
func now() time.Time { return time.Now().UTC().Round(0) }
