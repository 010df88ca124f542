package labtest

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// A panic in a goroutine that the code under test started itself cannot
// be recovered by the harness: it ends the test binary, and testing prints
// no FAIL line, no rerun line, and the harness writes no timeline. The
// crash watch makes such a death leave the same trail as a failure.
//
// At the first Run of a process the harness opens a crash record,
// <logdir>/crashwatch-<pid>.log, and makes it the runtime's crash output
// (debug.SetCrashOutput), so that the runtime itself writes the fatal
// panic there as it dies: nothing of the dying process has to work for
// the panic to reach the disk. Before each body starts the harness
// appends a line naming the run (test, seed, bubble, rerun line), and one
// when it ends, so the record says what was running.
//
// A small monitor, the test binary itself started with envCrashMonitor
// set, waits for the end of a pipe that only the test process holds. When
// the process ends, the monitor reads the record: without a crash it
// removes it; with one it writes a timeline file for the crashed test
// (named like any other: <Test>-seed<S>.log), with the seed, the rerun
// line and the crash report, and prints the test, the seed and the rerun
// line on the standard error it shares with the test binary, so they
// appear right under the panic in go test's output.
//
// If the monitor cannot run (a sandbox that forbids starting processes),
// the record stays behind, self-describing; the next process that starts
// a crash watch in the same log directory turns it into a timeline file
// and says so.

const envCrashMonitor = "RAFTLAB_CRASH_MONITOR"

// Prefixes of the record's own lines; any other line is the runtime's.
const (
	crashRunLine = "labtest-run\t"
	crashEndLine = "labtest-end\t"
)

type crashWatch struct {
	mu   sync.Mutex
	f    *os.File // the record; nil when the watch could not start
	path string
	// pipe is the monitor's stdin. It must stay open, and reachable so
	// that no finalizer closes it, until the process ends.
	pipe *os.File
}

var (
	crashOnce sync.Once
	watch     crashWatch
)

func init() {
	if path := os.Getenv(envCrashMonitor); path != "" {
		os.Exit(crashMonitor(path))
	}
}

// startCrashWatch starts the watch of this process in dir, once.
func startCrashWatch(dir string) {
	crashOnce.Do(func() {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return
		}
		claimCrashRecords(dir, os.Stderr)
		path := filepath.Join(dir, fmt.Sprintf("crashwatch-%d.log", os.Getpid()))
		f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return
		}
		fmt.Fprintf(f, "# labtest crash record of %s (pid %d), started %s.\n"+
			"# The tests that started and did not end were running when the process died; its fatal error, if any, follows.\n",
			filepath.Base(os.Args[0]), os.Getpid(), time.Now().UTC().Format(time.RFC3339))
		if err := debug.SetCrashOutput(f, debug.CrashOptions{}); err != nil {
			f.Close()
			os.Remove(path)
			return
		}
		watch.f, watch.path = f, path
		watch.pipe = startCrashMonitor(path)
	})
}

// startCrashMonitor starts the monitor and returns the pipe it waits on,
// or nil if it could not start.
func startCrashMonitor(path string) *os.File {
	exe, err := os.Executable()
	if err != nil {
		return nil
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil
	}
	defer pr.Close()
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), envCrashMonitor+"="+path)
	cmd.Stdin = pr
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		pw.Close()
		return nil
	}
	go cmd.Wait() // reaps a monitor that fails early
	return pw
}

// begin and end mark a run in the record.
func (c *crashWatch) begin(r *run) {
	c.write(fmt.Sprintf("%s%s\t%d\t%d\t%s\t%s\n", crashRunLine, r.id, r.bubble, r.seed, r.name, r.rerunLine()))
}

func (c *crashWatch) end(r *run) {
	c.write(fmt.Sprintf("%s%s\n", crashEndLine, r.id))
}

func (c *crashWatch) write(line string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.f != nil {
		c.f.WriteString(line)
	}
}

// crashMonitor is the monitor process: it waits for the test process to
// end, then turns a crash in its record into a timeline file.
func crashMonitor(path string) int {
	// Ctrl-C reaches the whole process group; the monitor must outlive the
	// test binary to tidy up after it.
	signal.Ignore(os.Interrupt, syscall.SIGQUIT)
	io.Copy(io.Discard, os.Stdin)
	reportCrashRecord(path, "the test binary crashed", os.Stderr)
	return 0
}

// claimCrashRecords reports, on w, the records that processes whose
// monitor did not run left in dir, and removes those without a crash.
func claimCrashRecords(dir string, w io.Writer) {
	if runtime.GOOS == "windows" {
		return // no cheap way to tell a dead process from a live one
	}
	paths, _ := filepath.Glob(filepath.Join(dir, "crashwatch-*.log"))
	for _, p := range paths {
		pid, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p), "crashwatch-"), ".log"))
		if err != nil || pid == os.Getpid() || processAlive(pid) {
			continue
		}
		// Another process may be claiming it too: the rename decides.
		claimed := fmt.Sprintf("%s.claimed-%d", p, os.Getpid())
		if os.Rename(p, claimed) != nil {
			continue
		}
		reportCrashRecord(claimed, fmt.Sprintf("an earlier test binary (pid %d) crashed", pid), w)
	}
}

func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	return p.Signal(syscall.Signal(0)) == nil
}

// crashRun is a run the record names.
type crashRun struct {
	id, bubble, seed, name, rerun string
}

// reportCrashRecord turns the record at path into a timeline file of the
// crashed test if it holds a crash, says so on w, and removes the record.
func reportCrashRecord(path, what string, w io.Writer) {
	data, err := os.ReadFile(path)
	if err != nil {
		return
	}
	defer os.Remove(path)
	runs, running, crash := parseCrashRecord(string(data))
	if strings.TrimSpace(crash) == "" {
		return
	}
	crashed := crashedRuns(crash, runs, running)
	headline := firstLine(crash)
	dir := filepath.Dir(path)
	var b strings.Builder
	if len(crashed) == 0 {
		fmt.Fprintf(&b, "labtest: %s outside any test of the harness: %s\n", what, headline)
	}
	for _, cr := range crashed {
		file := writeCrashTimeline(dir, cr, crashed, headline, crash)
		fmt.Fprintf(&b, "labtest: %s while running %s (seed %s): %s\n    replay with:\n        %s\n", what, cr.name, cr.seed, headline, cr.rerun)
		if file != "" {
			fmt.Fprintf(&b, "    crash report: %s\n", file)
		}
	}
	io.WriteString(w, b.String())
}

// parseCrashRecord splits a record into its runs (by id), the ids of those
// that had not ended, in order, and the runtime's crash output.
func parseCrashRecord(text string) (map[string]crashRun, []string, string) {
	runs := map[string]crashRun{}
	var order []string
	ended := map[string]bool{}
	var crash strings.Builder
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 64*1024), 64*1024*1024)
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, crashRunLine):
			f := strings.SplitN(strings.TrimPrefix(l, crashRunLine), "\t", 5)
			if len(f) == 5 {
				runs[f[0]] = crashRun{id: f[0], bubble: f[1], seed: f[2], name: f[3], rerun: f[4]}
				order = append(order, f[0])
			}
		case strings.HasPrefix(l, crashEndLine):
			ended[strings.TrimPrefix(l, crashEndLine)] = true
		case strings.HasPrefix(l, "# ") && crash.Len() == 0:
		default:
			crash.WriteString(l)
			crash.WriteString("\n")
		}
	}
	var running []string
	for _, id := range order {
		if !ended[id] {
			running = append(running, id)
		}
	}
	return runs, running, strings.TrimLeft(crash.String(), "\n")
}

// crashedRuns names the run whose goroutine crashed, from the labels or
// the bubble of the first goroutine in the crash output (the one that
// panicked); failing that, every run that was still running.
func crashedRuns(crash string, runs map[string]crashRun, running []string) []crashRun {
	for _, g := range parseStacks([]byte(crash)) {
		if id := g.Labels[labelRun]; id != "" {
			if cr, ok := runs[id]; ok {
				return []crashRun{cr}
			}
		}
		if g.Bubble != 0 {
			for _, id := range running {
				if runs[id].bubble == strconv.Itoa(g.Bubble) {
					return []crashRun{runs[id]}
				}
			}
		}
		break
	}
	var out []crashRun
	for _, id := range running {
		out = append(out, runs[id])
	}
	return out
}

// writeCrashTimeline writes the timeline file of a crashed run and returns
// its path, or "" if it could not be written.
func writeCrashTimeline(dir string, cr crashRun, all []crashRun, headline, crash string) string {
	stem := reserveStem(filepath.Join(dir, fmt.Sprintf("%s-seed%s", unsafeName.ReplaceAllString(cr.name, "_"), cr.seed)))
	var b strings.Builder
	fmt.Fprintf(&b, "# labtest timeline of %s: CRASH\n# seed: %s\n# rerun: %s\n", cr.name, cr.seed, cr.rerun)
	fmt.Fprintf(&b, "# crash: %s\n#\n", headline)
	b.WriteString("# The test binary died of an unrecovered panic or fatal error, so the harness could not write the\n" +
		"# usual timeline. A panic in a goroutine that the code under test started itself (a server's ticker,\n" +
		"# applier or RPC sender) ends the whole binary: find the goroutine that panicked below, fix or recover\n" +
		"# the panic there, and run the rerun line to see it again (add -v for the test's log).\n")
	if len(all) > 1 {
		b.WriteString("# The crash cannot be pinned on one test; these were running:")
		for _, o := range all {
			fmt.Fprintf(&b, " %s (seed %s)", o.name, o.seed)
		}
		b.WriteString("\n")
	}
	b.WriteString("#\n# the crash report (each distinct goroutine stack once):\n")
	b.WriteString(collapseStacks(crash))
	if err := os.WriteFile(stem+".log", []byte(b.String()), 0o644); err != nil {
		return ""
	}
	return stem + ".log"
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return l
}
