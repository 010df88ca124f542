package labtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// The replay check answers the question a student asks first: does the
// printed rerun line show this failure again? After a failure in virtual
// time the harness runs the test once more with the same seed and says
// whether it failed the same way.
//
// It does so in a fresh process of the same test binary, running exactly
// what the rerun line runs, rather than in this process: a fresh process
// starts from the same package-level state, global math/rand and goroutines
// (none) as the rerun line will, so "reproduced" answers that question and
// not a nearby one; and the replay's own reports cannot reach this test's
// output or status (a body's t.Errorf in an in-process replay would print
// again and could not be silenced), nor can a crash or hang of the replay
// take this process down. The child appends what it saw to a file named by
// envReplayReport, which also tells it not to check replays itself.
//
// Two runs fail "the same way" when their first failure messages have the
// same first line, once hexadecimal addresses, goroutine numbers, clock
// readings and the runs' own file names are blanked out, and were noted at
// the same virtual instant. The instant matters for failures reported on
// the bare *testing.T, whose message the harness cannot read.

const envReplayReport = "RAFTLAB_REPLAY_REPORT"

// replayRecord is what a replay child reports of one Run.
type replayRecord struct {
	Name     string        `json:"name"`
	Seed     uint64        `json:"seed"`
	Failed   bool          `json:"failed"`
	First    string        `json:"first"`
	FirstAt  time.Duration `json:"first_at"`
	Stem     string        `json:"stem"`
	Timeline string        `json:"timeline"`
}

// replayChild reports whether this process is a replay of another's test.
func replayChild() bool { return os.Getenv(envReplayReport) != "" }

// replayVerdict is the outcome of a replay check.
type replayVerdict struct {
	reproduced bool
	text       string // for the test's output and the timeline's header
	timeline   string // the replay's timeline, kept when it did not reproduce
}

// firstFailure returns the first failure noted and when.
func (r *run) firstFailure() (string, time.Duration, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.failures) == 0 {
		return "", 0, false
	}
	return r.failures[0], r.firstFailAt, true
}

// reportToReplayParent appends this run's outcome to the parent's report.
func (r *run) reportToReplayParent(failed bool, timeline string) {
	r.stemMu.Lock()
	stem := r.stem
	r.stemMu.Unlock()
	rec := replayRecord{Name: r.name, Seed: r.seed, Failed: failed, Stem: stem, Timeline: timeline}
	rec.First, rec.FirstAt, _ = r.firstFailure()
	data, err := json.Marshal(rec)
	if err != nil {
		return
	}
	f, err := os.OpenFile(os.Getenv(envReplayReport), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	f.Write(append(data, '\n'))
}

// shouldReplay says whether a failed run gets a replay check, and if not,
// why, when that is worth saying.
func (r *run) shouldReplay() (bool, string) {
	switch {
	case !r.virtual || replayChild():
		return false, ""
	case !r.set.replay:
		return false, ""
	case r.realTimeGuard.Load():
		return false, "skipped: the failure came from a guard that watches real time (a stall), which the seed does not decide"
	}
	return true, ""
}

// replayCheck runs this test's seed again in a fresh process and compares
// its first failure with this run's. mine is this run's timeline, for
// finding where the two runs part.
func (r *run) replayCheck(mine []string, took time.Duration) replayVerdict {
	first, firstAt, _ := r.firstFailure()
	dir, err := os.MkdirTemp("", "labtest-replay-")
	if err != nil {
		return replayVerdict{text: "could not run: " + err.Error()}
	}
	defer os.RemoveAll(dir)
	report := filepath.Join(dir, "report.jsonl")

	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	limit := 2*took + time.Minute
	stall := r.stall
	if stallSeen.Load() && fastStall < stall {
		stall = fastStall // the code under test is known to stall
	}
	args := []string{
		"-test.run", runPattern(r.name), "-test.count", "1", "-test.timeout", (limit + 10*time.Second).String(),
		"-seed", strconv.FormatUint(r.seed, 10), "-logdir", dir, "-logs",
		"-log-topics", strings.ReplaceAll(r.set.topics.String(), "|", ","),
		"-strict=" + strconv.FormatBool(r.strict), "-stall", stall.String(),
		"-vtime-limit", r.set.vlimit.String(), "-replay-check=false",
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Env = append(os.Environ(), envReplayReport+"="+report, fmt.Sprintf("GOMAXPROCS=%d", runtime.GOMAXPROCS(0)))
	cmd.WaitDelay = 5 * time.Second
	out, runErr := cmd.CombinedOutput()

	rec, ok := readReplayRecord(report, r.name, r.seed)
	if !ok {
		why := "it ended without running the test"
		if ctx.Err() != nil {
			why = fmt.Sprintf("it did not finish within %v", limit)
		} else if runErr != nil {
			why += " (" + runErr.Error() + ")"
		}
		return replayVerdict{text: fmt.Sprintf("could not tell: the replay process (%s %s) %s; its output ends with:\n%s",
			filepath.Base(exe), strings.Join(args[:2], " "), why, indent(lastLines(string(out), 15)))}
	}

	norm := func(s, stem string) string {
		s, _, _ = strings.Cut(s, "\n")
		if stem != "" {
			s = strings.ReplaceAll(s, stem, "<run files>")
		}
		return normalizeVolatile(s)
	}
	mineFirst := norm(first, r.fileStem())
	if rec.Failed && norm(rec.First, rec.Stem) == mineFirst && rec.FirstAt == firstAt {
		return replayVerdict{reproduced: true, text: fmt.Sprintf(
			"reproduced: yes (the same seed, run again in a fresh process, failed the same way at virtual %.6fs)", firstAt.Seconds())}
	}

	var b strings.Builder
	b.WriteString("reproduced: no: the same seed, run again in a fresh process, ")
	if rec.Failed {
		fmt.Fprintf(&b, "failed differently:\n    this run:   %q at virtual %.6fs\n    the replay: %q at virtual %.6fs\n",
			mineFirst, firstAt.Seconds(), norm(rec.First, rec.Stem), rec.FirstAt.Seconds())
	} else {
		b.WriteString("passed.\n")
	}
	v := replayVerdict{}
	if theirs, err := readTimeline(rec.Timeline); err == nil {
		if at, a, c, ok := divergence(mine, theirs); ok {
			fmt.Fprintf(&b, "    The runs part at line %d of the timeline:\n      this run:   %s\n      the replay: %s\n", at+1, a, c)
		}
		dst := r.fileStem() + ".replay.log"
		data, err := os.ReadFile(rec.Timeline)
		if err == nil {
			data = keepReplayArtifacts(rec.Stem, r.fileStem()+".replay", data)
		}
		if err == nil && os.WriteFile(dst, data, 0o644) == nil {
			v.timeline = dst
			fmt.Fprintf(&b, "    The replay's timeline is %s, beside this run's, for comparing the two.\n", dst)
		}
	}
	b.WriteString(notReplayingHint())
	v.text = b.String()
	return v
}

// keepReplayArtifacts copies the replay's other files (a linearizability
// page), named after its stem in the replay's folder, which is deleted,
// to the same names after kept (<stem>.replay-<name>), and returns its
// timeline naming them there.
func keepReplayArtifacts(stem, kept string, timeline []byte) []byte {
	if stem == "" {
		return timeline
	}
	entries, err := os.ReadDir(filepath.Dir(stem))
	if err != nil {
		return timeline
	}
	prefix := filepath.Base(stem) + "-"
	for _, e := range entries {
		if e.IsDir() || !strings.HasPrefix(e.Name(), prefix) || strings.HasSuffix(e.Name(), ".log") {
			continue
		}
		if data, err := os.ReadFile(filepath.Join(filepath.Dir(stem), e.Name())); err == nil {
			os.WriteFile(kept+"-"+strings.TrimPrefix(e.Name(), prefix), data, 0o644)
		}
	}
	return bytes.ReplaceAll(timeline, []byte(stem), []byte(kept))
}

// notReplayingHint lists what makes a seeded run unrepeatable and how to
// fix it.
func notReplayingHint() string {
	var b strings.Builder
	b.WriteString("    The failure depends on something the seed does not control:\n" +
		"      - randomness not drawn from the seed: the top-level functions of math/rand/v2 (rand.IntN), " +
		"crypto/rand, or a source made at package init (outside the test, where time.Now is the wall clock);\n")
	if globalRandSeedable.Load() {
		b.WriteString("      - the global math/rand source while tests run in parallel (t.Parallel), which they share;\n")
	} else {
		b.WriteString("      - the global math/rand source, which this test binary cannot seed: " + globalRandFix + ";\n")
	}
	b.WriteString("      - map iteration order (range over a map), which Go randomizes on every run;\n" +
		"      - goroutines racing: a data race (run with -race), or goroutines that act at the same virtual instant, " +
		"whose order the scheduler picks.\n" +
		"    Draw randomness from peers[me].Rand() (seeded from the test's seed), iterate maps in sorted key order, " +
		"and protect shared state with locks.")
	return b.String()
}

func readReplayRecord(path, name string, seed uint64) (replayRecord, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return replayRecord{}, false
	}
	for _, line := range bytes.Split(data, []byte("\n")) {
		var rec replayRecord
		if json.Unmarshal(line, &rec) == nil && rec.Name == name && rec.Seed == seed {
			return rec, true
		}
	}
	return replayRecord{}, false
}

var (
	hexRE       = regexp.MustCompile(`0x[0-9a-fA-F]+`)
	goroutineRE = regexp.MustCompile(`goroutine \d+`)
	clockRE     = regexp.MustCompile(`\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?|\b\d{2}:\d{2}:\d{2}(\.\d+)?\b`)
)

// normalizeVolatile blanks out what differs between two runs that did the
// same: addresses, goroutine numbers, clock readings.
func normalizeVolatile(s string) string {
	s = hexRE.ReplaceAllString(s, "0x…")
	s = goroutineRE.ReplaceAllString(s, "goroutine …")
	return clockRE.ReplaceAllString(s, "…")
}

// readTimeline returns the merged timeline section of a timeline file.
func readTimeline(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines []string
	in := false
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "# timeline"):
			in = true
		case in && (l == "" || strings.HasPrefix(l, "#")):
			return lines, nil
		case in:
			lines = append(lines, l)
		}
	}
	return lines, sc.Err()
}

// divergence finds the first line where two timelines differ, ignoring
// what normalizeVolatile blanks out.
func divergence(a, b []string) (int, string, string, bool) {
	for i := 0; i < len(a) || i < len(b); i++ {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if normalizeVolatile(x) != normalizeVolatile(y) {
			if x == "" {
				x = "(the timeline ends)"
			}
			if y == "" {
				y = "(the timeline ends)"
			}
			return i, strings.TrimSpace(x), strings.TrimSpace(y), true
		}
	}
	return 0, "", "", false
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func indent(s string) string {
	return "      " + strings.ReplaceAll(s, "\n", "\n      ")
}
