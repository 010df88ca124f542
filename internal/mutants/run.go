package mutants

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Outcome is what one run of the suite against one Raft came to.
type Outcome struct {
	// Failed lists the top-level tests that failed, in the order they
	// failed; a test that brought the whole binary down (a panic, the
	// binary's timeout) is listed with the reason in brackets.
	Failed []string `json:"failed"`
	Passed int      `json:"passed"`
	// FirstFailure is how long after the start the first failure was
	// reported; zero if nothing failed.
	FirstFailure time.Duration `json:"first_failure_ns"`
	Total        time.Duration `json:"total_ns"`
	ExitCode     int           `json:"exit_code"`
	// Crash is set when the binary ended without its own verdict: a
	// panic in a server goroutine, a timeout, a kill.
	Crash string `json:"crash,omitempty"`
}

// Caught says whether the suite failed.
func (o Outcome) Caught() bool { return o.ExitCode != 0 || len(o.Failed) > 0 }

// RunSpec says how to run one test binary.
type RunSpec struct {
	Binary string
	Dir    string   // working directory: the raft package of a workspace
	Args   []string // extra test flags, e.g. -test.run or -test.failfast
	Env    []string // added to the environment
	// Timeout bounds the whole run on the wall clock; the binary gets it
	// as -test.timeout and is killed a minute after it.
	Timeout time.Duration
	// Log, if not nil, receives the binary's output as it comes.
	Log io.Writer
}

// A -test.v result line, e.g. "--- FAIL: TestBackup3B (0.07s)", at any
// depth of subtests.
var resultRE = regexp.MustCompile(`^\s*--- (PASS|FAIL|SKIP): (\S+) \(`)

// A running test, for naming the test a crash happened in.
var runRE = regexp.MustCompile(`^=== (RUN|CONT)\s+(\S+)`)

// RunSuite runs the binary verbosely and parses its verdicts. A binary
// that dies in the middle of a test (a panic in a server goroutine) is
// run again without the tests it has finished or died in, so that the
// first crash does not hide what the rest of the suite would catch.
func RunSuite(ctx context.Context, spec RunSpec) (Outcome, error) {
	start := time.Now()
	deadline := start.Add(spec.Timeout)
	var total Outcome
	var done []string
	for {
		args := spec.Args[:len(spec.Args):len(spec.Args)]
		if len(done) > 0 {
			args = append(args, skipPattern(done))
		}
		o, p, err := runOnce(ctx, spec, args, start, time.Until(deadline))
		total.Failed = append(total.Failed, o.Failed...)
		total.Passed += o.Passed
		if total.FirstFailure == 0 {
			total.FirstFailure = o.FirstFailure
		}
		total.ExitCode = max(total.ExitCode, o.ExitCode)
		if o.Crash != "" {
			total.Crash = strings.TrimPrefix(total.Crash+"; "+o.Crash, "; ")
		}
		total.Total = time.Since(start)
		if err != nil || !strings.HasPrefix(o.Crash, "panic:") && !strings.HasPrefix(o.Crash, "fatal error") ||
			len(p.running) == 0 || time.Until(deadline) < time.Minute {
			return total, err
		}
		done = append(append(done, p.finishedNames...), p.running...)
	}
}

// skipPattern is the -test.skip flag that leaves out the named top-level tests.
func skipPattern(names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = regexp.QuoteMeta(n)
	}
	return "-test.skip=^(" + strings.Join(quoted, "|") + ")$"
}

// runOnce runs the binary once with args, timing events from start.
func runOnce(ctx context.Context, spec RunSpec, args []string, start time.Time, timeout time.Duration) (Outcome, *outputParser, error) {
	args = append([]string{"-test.v", "-test.count=1", fmt.Sprintf("-test.timeout=%v", timeout)}, args...)
	ctx, cancel := context.WithTimeout(ctx, timeout+time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, spec.Binary, args...)
	cmd.Dir = spec.Dir
	cmd.Env = append(os.Environ(), spec.Env...)
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw

	p := &outputParser{}
	if err := cmd.Start(); err != nil {
		return Outcome{}, p, err
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(pr)
		sc.Buffer(nil, 4<<20)
		for sc.Scan() {
			line := sc.Text()
			if spec.Log != nil {
				fmt.Fprintln(spec.Log, line)
			}
			p.line(line, time.Since(start))
		}
		io.Copy(io.Discard, pr) // a line too long for the scanner: keep the binary unblocked
	}()
	err := cmd.Wait()
	pw.Close()
	wg.Wait()

	o := p.outcome()
	o.Total = time.Since(start)
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		o.ExitCode = exit.ExitCode()
		if o.ExitCode < 0 {
			o.ExitCode = 1 // killed by a signal
		}
	default:
		return o, p, err
	}
	if ctx.Err() != nil {
		p.crash = "killed: no verdict within " + (timeout + time.Minute).String()
	}
	p.finishCrash(&o)
	return o, p, nil
}

// outputParser follows a -test.v output stream.
type outputParser struct {
	failed        []string
	failedSet     map[string]bool
	passed        int
	first         time.Duration
	running       []string // top-level tests started and not finished
	finishedNames []string
	crash         string // what ended the binary without a verdict
	sawEnd        bool   // the binary's closing "PASS" or "FAIL" line
}

func topLevel(name string) string {
	top, _, _ := strings.Cut(name, "/")
	return top
}

func (p *outputParser) line(line string, at time.Duration) {
	if m := runRE.FindStringSubmatch(line); m != nil {
		if name := m[2]; !strings.Contains(name, "/") {
			p.running = append(p.running, name)
		}
		return
	}
	if m := resultRE.FindStringSubmatch(line); m != nil {
		verdict, name := m[1], m[2]
		if strings.Contains(name, "/") {
			return // the top-level test carries the verdict
		}
		p.finished(name)
		switch verdict {
		case "PASS":
			p.passed++
		case "FAIL":
			p.fail(name, at)
		}
		return
	}
	switch {
	case line == "PASS" || line == "FAIL":
		p.sawEnd = true
	case p.crash == "" && strings.HasPrefix(line, "panic: test timed out after"):
		p.crash = "timeout"
	case p.crash == "" && strings.HasPrefix(line, "panic: "):
		p.crash = "panic: " + strings.TrimPrefix(line, "panic: ")
	case p.crash == "" && strings.HasPrefix(line, "fatal error: "):
		p.crash = line
	}
}

func (p *outputParser) fail(name string, at time.Duration) {
	if p.failedSet == nil {
		p.failedSet = map[string]bool{}
	}
	if p.failedSet[name] {
		return
	}
	p.failedSet[name] = true
	p.failed = append(p.failed, name)
	if p.first == 0 {
		p.first = at
	}
}

func (p *outputParser) finished(name string) {
	p.finishedNames = append(p.finishedNames, name)
	for i, r := range p.running {
		if r == name {
			p.running = append(p.running[:i], p.running[i+1:]...)
			return
		}
	}
}

func (p *outputParser) outcome() Outcome {
	return Outcome{Failed: append([]string(nil), p.failed...), Passed: p.passed, FirstFailure: p.first}
}

// finishCrash names the tests that were running when the binary died
// without a verdict, with the reason.
func (p *outputParser) finishCrash(o *Outcome) {
	if o.ExitCode == 0 || (p.sawEnd && !strings.HasPrefix(p.crash, "killed")) {
		return
	}
	if p.crash == "" && len(p.failed) == 0 {
		p.crash = fmt.Sprintf("exit status %d without a failed test", o.ExitCode)
	}
	if p.crash == "" {
		return
	}
	o.Crash = p.crash
	reason := "panic"
	switch {
	case p.crash == "timeout":
		reason = "timeout"
	case strings.HasPrefix(p.crash, "killed"):
		reason = "killed"
	case strings.HasPrefix(p.crash, "fatal error"):
		reason = "fatal error"
	case strings.HasPrefix(p.crash, "exit status"):
		reason = "exit"
	}
	running := p.running
	if len(running) == 0 {
		running = []string{"(no test running)"}
	}
	for _, name := range running {
		if !p.failedSet[name] {
			o.Failed = append(o.Failed, fmt.Sprintf("%s [%s]", name, reason))
		}
	}
	if o.FirstFailure == 0 {
		o.FirstFailure = o.Total
	}
}
