package mutants

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Config is one mutation run.
type Config struct {
	Root     string   // the module
	Go       string   // the go command
	Only     []string // mutants to run; all if empty
	Parallel int      // suites run at once (compiles are one at a time)
	Count    int      // runs of the suite per mutant (and for the base)
	Timeout  time.Duration
	TestArgs []string // extra flags for every test binary, e.g. -test.failfast
	Env      []string // extra environment for every test binary
	Keep     bool     // keep the workspace (binaries, logs) for inspection
	// Progress receives a line per finished suite; Verbose, if not nil,
	// every line of every suite's output.
	Progress io.Writer
	Verbose  io.Writer
}

// Result is one mutant's fate (or the plain Raft's, under the name "base").
type Result struct {
	Name string    `json:"name"`
	Bug  string    `json:"bug,omitempty"`
	Runs []Outcome `json:"runs"` // one per run of the suite
	// Err is set when the mutant could not be tried at all (it did not
	// compile, or the binary could not start); it counts as neither
	// caught nor survived.
	Err string `json:"error,omitempty"`
	// Logs is where the suite's timeline files went (kept with Keep).
	Logs string `json:"logs,omitempty"`
}

// CaughtRuns is how many runs of the suite failed.
func (r Result) CaughtRuns() int {
	n := 0
	for _, o := range r.Runs {
		if o.Caught() {
			n++
		}
	}
	return n
}

// Failures lists the tests that failed in any run, in the order they
// first failed, each with the number of runs it failed in.
func (r Result) Failures() []TestFailures {
	var out []TestFailures
	at := map[string]int{}
	for _, o := range r.Runs {
		for _, name := range o.Failed {
			i, ok := at[name]
			if !ok {
				i = len(out)
				at[name] = i
				out = append(out, TestFailures{Test: name})
			}
			out[i].Runs++
		}
	}
	return out
}

// TestFailures is a test and how many runs it failed in.
type TestFailures struct {
	Test string
	Runs int
}

// FirstFailure is the mean time to the first failure over the runs that
// failed; zero if none did.
func (r Result) FirstFailure() time.Duration {
	var sum time.Duration
	n := 0
	for _, o := range r.Runs {
		if o.Caught() {
			sum += o.FirstFailure
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return sum / time.Duration(n)
}

// Total is the wall time of all runs.
func (r Result) Total() time.Duration {
	var sum time.Duration
	for _, o := range r.Runs {
		sum += o.Total
	}
	return sum
}

// Report is a whole run.
type Report struct {
	Base    Result   `json:"base"`
	Mutants []Result `json:"mutants"`
	Count   int      `json:"count"` // runs of the suite per mutant
	Workdir string   `json:"workdir,omitempty"`
}

// Planted is how many mutants were tried.
func (r Report) Planted() int { return len(r.Mutants) }

// Caught lists the mutants every run of the suite caught.
func (r Report) Caught() []Result {
	return r.filter(func(m Result) bool { return m.CaughtRuns() == len(m.Runs) })
}

// Sometimes lists the mutants some runs caught and others missed.
func (r Report) Sometimes() []Result {
	return r.filter(func(m Result) bool { c := m.CaughtRuns(); return c > 0 && c < len(m.Runs) })
}

// Survivors lists the mutants no run caught.
func (r Report) Survivors() []Result {
	return r.filter(func(m Result) bool { return m.CaughtRuns() == 0 })
}

// Broken lists the mutants that could not be tried.
func (r Report) Broken() []Result {
	var out []Result
	for _, m := range r.Mutants {
		if m.Err != "" {
			out = append(out, m)
		}
	}
	return out
}

func (r Report) filter(keep func(Result) bool) []Result {
	var out []Result
	for _, m := range r.Mutants {
		if m.Err == "" && keep(m) {
			out = append(out, m)
		}
	}
	return out
}

// Select returns the catalog's mutants named in only (all if only is
// empty), in catalog order; an unknown name is an error.
func Select(catalog []Mutant, only []string) ([]Mutant, error) {
	if len(only) == 0 {
		return catalog, nil
	}
	want := map[string]bool{}
	for _, n := range only {
		want[n] = true
	}
	var out []Mutant
	for _, m := range catalog {
		if want[m.Name] {
			out = append(out, m)
			delete(want, m.Name)
		}
	}
	for n := range want {
		return nil, fmt.Errorf("no mutant named %q in %s", n, CatalogPath)
	}
	return out, nil
}

// Run tries the plain Raft and then every selected mutant. It applies
// every mutant before running anything, so a catalog that has drifted
// from the plain Raft fails at once. If the plain Raft fails the suite
// the mutants are not run: their failures would mean nothing.
func Run(ctx context.Context, cfg Config) (Report, error) {
	plain, catalog, err := ReadPlain(cfg.Root)
	if err != nil {
		return Report{}, err
	}
	selected, err := Select(catalog, cfg.Only)
	if err != nil {
		return Report{}, err
	}
	sources := make([][]byte, len(selected))
	for i, m := range selected {
		if sources[i], err = m.Apply(plain); err != nil {
			return Report{}, err
		}
	}

	ws, err := NewWorkspace(cfg.Root)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Count: max(1, cfg.Count)}
	if cfg.Keep {
		rep.Workdir = ws.Dir
	} else {
		defer ws.Remove()
	}
	r := &runner{cfg: cfg, ws: ws}

	rep.Base = r.try(ctx, "base", "", plain)
	r.progress(rep.Base)
	if rep.Base.Err != "" || rep.Base.CaughtRuns() > 0 {
		return rep, nil
	}

	rep.Mutants = make([]Result, len(selected))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < max(1, cfg.Parallel); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				rep.Mutants[i] = r.try(ctx, selected[i].Name, selected[i].Bug, sources[i])
				r.progress(rep.Mutants[i])
			}
		}()
	}
	for i := range selected {
		if ctx.Err() != nil {
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return rep, ctx.Err()
}

type runner struct {
	cfg     Config
	ws      *Workspace
	buildMu sync.Mutex // one raft/raft.go in the workspace at a time
	outMu   sync.Mutex
}

// try builds src as raft/raft.go and runs the suite against it.
func (r *runner) try(ctx context.Context, name, bug string, src []byte) Result {
	res := Result{Name: name, Bug: bug}
	bin := filepath.Join(r.ws.Dir, "bin", name+".test")
	r.buildMu.Lock()
	err := os.MkdirAll(filepath.Dir(bin), 0o755)
	if err == nil {
		err = r.ws.Install(src)
	}
	if err == nil {
		err = r.ws.BuildTest(ctx, r.cfg.Go, bin)
	}
	r.buildMu.Unlock()
	if err != nil {
		res.Err = err.Error()
		return res
	}

	res.Logs = filepath.Join(r.ws.Dir, "testlogs", name)
	var log io.Writer
	if r.cfg.Verbose != nil {
		log = &prefixWriter{mu: &r.outMu, w: r.cfg.Verbose, prefix: name + ": "}
	}
	for run := 0; run < max(1, r.cfg.Count) && ctx.Err() == nil; run++ {
		o, err := RunSuite(ctx, RunSpec{
			Binary:  bin,
			Dir:     filepath.Join(r.ws.Dir, "raft"),
			Args:    r.cfg.TestArgs,
			Env:     append([]string{"RAFTLAB_LOGDIR=" + res.Logs}, r.cfg.Env...),
			Timeout: r.cfg.Timeout,
			Log:     log,
		})
		if err != nil {
			res.Err = err.Error()
			break
		}
		res.Runs = append(res.Runs, o)
	}
	if !r.cfg.Keep {
		res.Logs = ""
		os.Remove(bin) // binaries are large; the workspace goes at the end anyway
	}
	return res
}

func (r *runner) progress(res Result) {
	if r.cfg.Progress == nil {
		return
	}
	r.outMu.Lock()
	defer r.outMu.Unlock()
	fmt.Fprintln(r.cfg.Progress, progressLine(res))
}

// prefixWriter tags each line of a suite's output with its mutant, so
// that parallel suites can share a terminal.
type prefixWriter struct {
	mu     *sync.Mutex
	w      io.Writer
	prefix string
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, err := fmt.Fprintf(p.w, "%s%s", p.prefix, b); err != nil {
		return 0, err
	}
	return len(b), nil
}
