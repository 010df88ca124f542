package labtest

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"time"

	"raftlab/dlog"
	"raftlab/labrpc"
)

// finish runs on the outer test goroutine when the test is over: it checks
// whether a failure replays, writes the timeline file of a failed test (of
// every test with -logs) and prints the seed and the rerun line of a failed
// one.
func (r *run) finish() {
	r.outer.Helper()
	r.exit()
	watch.end(r)
	failed := r.outer.Failed()
	var verdict *replayVerdict
	var tl timelineData
	if failed || r.set.logs {
		tl = r.collectTimeline()
	}
	if failed {
		if ok, why := r.shouldReplay(); ok {
			v := r.replayCheck(tl.texts(), time.Since(r.realStart))
			verdict = &v
		} else if why != "" {
			verdict = &replayVerdict{text: why}
		}
	}
	path := ""
	if failed || r.set.logs {
		var err error
		if path, err = r.writeLog(failed, tl, verdict); err != nil {
			r.outer.Logf("labtest: could not write the timeline: %v", err)
		} else {
			r.outer.Logf("labtest: timeline of this run: %s", path)
		}
	} else {
		r.releaseStem()
	}
	if verdict != nil {
		r.outer.Logf("labtest: replay check: %s", verdict.text)
	}
	if failed {
		r.outer.Logf("labtest: seed %d; replay with:\n    %s", r.seed, r.rerunLine())
	}
	if replayChild() {
		r.reportToReplayParent(failed, path)
	}
}

// logDir is -logdir, or testlogs/ at the module root (ignored by git), so
// that the files of all packages land in one place.
func (r *run) logDir() string {
	if r.set.logDir != "" {
		return r.set.logDir
	}
	if root, ok := moduleRoot(); ok {
		return filepath.Join(root, "testlogs")
	}
	return filepath.Join(os.TempDir(), "raftlab-testlogs")
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_.=-]+`)

func (r *run) writeLog(failed bool, tl timelineData, verdict *replayVerdict) (string, error) {
	path := r.fileStem() + ".log"
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	w := bufio.NewWriter(f)
	result := "PASS"
	if failed {
		result = "FAIL"
	}
	mode := "virtual time"
	if !r.virtual {
		mode = "real time"
	}
	fmt.Fprintf(w, "# labtest timeline of %s: %s\n", r.name, result)
	fmt.Fprintf(w, "# seed: %d\n", r.seed)
	fmt.Fprintf(w, "# rerun: %s\n", r.rerunLine())
	fmt.Fprintf(w, "# mode: %s; topics: %s; %s, GOMAXPROCS=%d; written %s\n", mode, r.set.topics,
		runtime.Version(), runtime.GOMAXPROCS(0), time.Now().UTC().Format(time.RFC3339))
	if verdict != nil {
		fmt.Fprintf(w, "# replay check: %s\n", strings.ReplaceAll(verdict.text, "\n", "\n#   "))
	}

	r.mu.Lock()
	failures := append([]string(nil), r.failures...)
	dumps := append([]string(nil), r.dumps...)
	r.mu.Unlock()
	if len(failures) > 0 {
		fmt.Fprintf(w, "#\n# failures, in the order noted (each also in the timeline at its instant):\n")
		for _, m := range failures {
			fmt.Fprintf(w, "%s\n", m)
		}
	}
	fmt.Fprintf(w, "#\n# timeline (seconds since the start of the test, topic, who, what):\n")
	if !tl.complete {
		fmt.Fprintf(w, "(the timeline could not be read: a frozen goroutine of the test holds a lock of the network or the log)\n")
	}
	if tl.dropped > 0 {
		fmt.Fprintf(w, "(the oldest %d log entries were dropped)\n", tl.dropped)
	}
	if !tl.netLogged {
		fmt.Fprintf(w, "(network events come from its trace: at one virtual instant their order relative to log lines is not known)\n")
	}
	for _, l := range tl.lines {
		fmt.Fprintln(w, l.text)
	}
	writePerServer(w, tl.start, tl.entries)
	if len(dumps) > 0 {
		fmt.Fprintf(w, "\n# goroutine stacks taken by the guards:\n")
		for _, d := range dumps {
			fmt.Fprintln(w, d)
		}
	}
	r.writeFinalStates(w)
	if err := w.Flush(); err != nil {
		f.Close()
		return "", err
	}
	return path, f.Close()
}

// writePerServer repeats each component's own log lines in a section of its
// own, for reading one server's story without the others' lines between.
func writePerServer(w io.Writer, start time.Time, entries []dlog.Entry) {
	by := map[string][]dlog.Entry{}
	for _, e := range entries {
		if e.Server == "net" || e.Server == "test" {
			continue
		}
		by[e.Server] = append(by[e.Server], e)
	}
	names := make([]string, 0, len(by))
	for n := range by {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "\n# log of %s:\n", n)
		for _, e := range by[n] {
			fmt.Fprintln(w, e.Format(start))
		}
	}
}

// timelineData is what the timeline file shows of the test's records.
type timelineData struct {
	start     time.Time
	entries   []dlog.Entry
	dropped   int
	complete  bool
	netLogged bool
	lines     []line
}

func (r *run) collectTimeline() timelineData {
	tl := timelineData{start: time.Unix(0, r.startNs.Load()), netLogged: r.set.topics&dlog.Network != 0}
	var trace []labrpc.TraceEvent
	tl.entries, tl.dropped, trace, tl.complete = r.collect()
	tl.lines = timeline(tl.start, tl.entries, trace, tl.netLogged)
	return tl
}

// texts returns the timeline's lines as the file shows them.
func (tl timelineData) texts() []string {
	out := make([]string, len(tl.lines))
	for i, l := range tl.lines {
		out[i] = l.text
	}
	return out
}

// finalState is a state dumper registered with H.OnFinalState.
type finalState struct {
	name string
	f    func() string
}

// finalStateWait bounds the wait for the state dumpers, which run at once.
// After a guard froze the test, a lock a dumper needs is likely held for
// good, and waiting longer would only slow a suite whose every test stalls.
const (
	finalStateWait       = 500 * time.Millisecond
	finalStateWaitFrozen = 50 * time.Millisecond
)

// writeFinalStates ends the timeline with each server's final state.
func (r *run) writeFinalStates(w io.Writer) {
	r.mu.Lock()
	fs := append([]finalState(nil), r.finalStates...)
	r.mu.Unlock()
	if len(fs) == 0 {
		return
	}
	out := make([]chan string, len(fs))
	for i, f := range fs {
		out[i] = make(chan string, 1)
		go func() {
			defer func() {
				if p := recover(); p != nil {
					out[i] <- fmt.Sprintf("(the state function panicked: %v)", p)
				}
			}()
			out[i] <- f.f()
		}()
	}
	fmt.Fprintf(w, "\n# final state of the servers:\n")
	wait := finalStateWait
	if r.abandoned.Load() {
		wait = finalStateWaitFrozen
	}
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	expired := false
	for i, f := range fs {
		var text string
		if !expired {
			select {
			case text = <-out[i]:
			case <-deadline.C:
				expired = true
			}
		}
		if expired {
			select {
			case text = <-out[i]:
			default:
				text = fmt.Sprintf("(did not return within %v: a lock it takes is held by a goroutine of the test that a guard froze)", wait)
			}
		}
		fmt.Fprintf(w, "## %s:\n%s\n", f.name, strings.TrimRight(text, "\n"))
	}
}
