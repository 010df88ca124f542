package grade

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"time"
)

// FormatVersion is the version of the JSON result format; merge refuses
// files of another version rather than misread them.
const FormatVersion = 1

// Outcome is how one run of a test ended.
type Outcome string

const (
	Pass    Outcome = "pass"
	Fail    Outcome = "fail"    // the test reported a failure
	Crash   Outcome = "crash"   // the process died without a verdict (a panic in a goroutine, os.Exit)
	Timeout Outcome = "timeout" // past the real-time limit; the process group was killed
	Skip    Outcome = "skip"    // the test skipped itself
	Missing Outcome = "missing" // the binary has no test of that name
	Error   Outcome = "error"   // the grader could not run it (build failure, exec error)
	NotRun  Outcome = "not run" // -failfast stopped the run before it
)

// Results is one grading run, or several merged: what `-json` writes and
// `raftlab merge` reads.
type Results struct {
	Version    int          `json:"version"`
	Started    time.Time    `json:"started"`
	Finished   time.Time    `json:"finished"`
	BaseSeed   uint64       `json:"base_seed,string"`
	Runs       int          `json:"runs"` // runs asked for each test
	Race       bool         `json:"race,omitempty"`
	Shard      string       `json:"shard,omitempty"`      // "i/n" when one shard of a split run
	Submission string       `json:"submission,omitempty"` // the student tree graded, if not the kit's own code
	Command    string       `json:"command,omitempty"`
	Labs       []LabResult  `json:"labs"`
	Tests      []TestResult `json:"tests"`
	// Selected lists every test the run's selection covers, sharded or not
	// ("lab/Test"), so that a merge can tell whether every shard came in.
	Selected []string `json:"selected"`
}

// LabResult says whether a lab could be graded at all.
type LabResult struct {
	Name    string `json:"name"`
	Package string `json:"package"`
	Present bool   `json:"present"`
	Error   string `json:"error,omitempty"` // build or listing failure
}

// TestResult is one test, all its runs, and what it earned.
type TestResult struct {
	Lab       string      `json:"lab"`
	Part      string      `json:"part"`
	Name      string      `json:"name"`
	MaxPoints float64     `json:"max_points"`
	Points    float64     `json:"points"`
	Passed    bool        `json:"passed"` // every run asked for ran and passed
	Runs      []RunResult `json:"runs"`
}

// RunResult is one run of a test, in its own process.
type RunResult struct {
	Run       int       `json:"run"`         // 1-based
	Seed      uint64    `json:"seed,string"` // a string: JSON readers that use doubles (jq, JavaScript) would round it
	Outcome   Outcome   `json:"outcome"`
	Rerun     string    `json:"rerun"` // from the kit's root
	Started   time.Time `json:"started"`
	Seconds   float64   `json:"seconds"`             // real time of the process
	Message   string    `json:"message,omitempty"`   // the first lines of the failure
	Artifacts string    `json:"artifacts,omitempty"` // the folder of a failed run
	Files     []string  `json:"files,omitempty"`     // what is in it
}

// Key is the test's "lab/Test" name.
func (t *TestResult) Key() string { return t.Lab + "/" + t.Name }

// score sets Passed and Points from the runs: all of want runs passed.
func (t *TestResult) score(want int) {
	n := 0
	for _, r := range t.Runs {
		if r.Outcome != Pass {
			n = -1
			break
		}
		n++
	}
	t.Passed = n >= want && n > 0
	t.Points = 0
	if t.Passed {
		t.Points = t.MaxPoints
	}
}

// Failures counts the runs that ran and did not pass or skip.
func (t *TestResult) Failures() int {
	n := 0
	for _, r := range t.Runs {
		if r.Outcome != Pass && r.Outcome != Skip && r.Outcome != NotRun {
			n++
		}
	}
	return n
}

// Timing returns the mean and standard deviation of the runs' real times.
func (t *TestResult) Timing() (mean, sd float64, n int) {
	var sum, sq float64
	for _, r := range t.Runs {
		if r.Outcome == NotRun || r.Outcome == Missing || r.Outcome == Error {
			continue
		}
		sum += r.Seconds
		sq += r.Seconds * r.Seconds
		n++
	}
	if n == 0 {
		return 0, 0, 0
	}
	mean = sum / float64(n)
	if n > 1 {
		sd = math.Sqrt(math.Max(0, (sq-float64(n)*mean*mean)/float64(n-1)))
	}
	return mean, sd, n
}

// PartScore is one line of the summary.
type PartScore struct {
	Lab, Part     string
	Points, Max   float64
	Passed, Tests int
	Present       bool
}

// Summary adds the tests up per lab and part, in the order of the results,
// and gives the total over the labs that are present.
func (r *Results) Summary() (parts []PartScore, points, max float64) {
	present := map[string]bool{}
	for _, l := range r.Labs {
		present[l.Name] = l.Present
	}
	idx := map[string]int{}
	for _, t := range r.Tests {
		k := t.Lab + "\x00" + t.Part
		i, ok := idx[k]
		if !ok {
			i = len(parts)
			idx[k] = i
			parts = append(parts, PartScore{Lab: t.Lab, Part: t.Part, Present: present[t.Lab]})
		}
		p := &parts[i]
		p.Max += t.MaxPoints
		p.Points += t.Points
		p.Tests++
		if t.Passed {
			p.Passed++
		}
	}
	for _, p := range parts {
		if p.Present {
			points += p.Points
			max += p.Max
		}
	}
	return parts, points, max
}

// Uncovered lists the selected tests that no result covers (a shard that
// did not come in).
func (r *Results) Uncovered() []string {
	have := map[string]bool{}
	for _, t := range r.Tests {
		have[t.Key()] = true
	}
	var out []string
	for _, k := range r.Selected {
		if !have[k] {
			out = append(out, k)
		}
	}
	return out
}

// WriteJSON writes the results, indented, to file.
func (r *Results) WriteJSON(file string) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(file, append(data, '\n'), 0o644)
}

// ReadJSON reads a results file written by WriteJSON.
func ReadJSON(file string) (*Results, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var r Results
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s: not a grading result (%v); give the file `raftlab grade -json` wrote", file, err)
	}
	if r.Version != FormatVersion {
		return nil, fmt.Errorf("%s: result format version %d, this raftlab reads version %d; merge files written by the same raftlab", file, r.Version, FormatVersion)
	}
	return &r, nil
}

// Merge combines the results of several runs (typically the shards of one
// grading run) into one set: the labs and tests of all of them, and a test
// found in several files gets all their runs, so it earns its points only
// if every run of every file passed. Files of different base seeds or run
// counts merge too (their runs are all real runs), but different
// submissions do not.
func Merge(in []*Results) (*Results, error) {
	if len(in) == 0 {
		return nil, fmt.Errorf("merge: no results to merge")
	}
	out := &Results{Version: FormatVersion, BaseSeed: in[0].BaseSeed, Runs: in[0].Runs, Race: in[0].Race,
		Submission: in[0].Submission, Started: in[0].Started, Finished: in[0].Finished}
	labIdx := map[string]int{}
	testIdx := map[string]int{}
	selected := map[string]bool{}
	for i, r := range in {
		if r.Submission != out.Submission {
			return nil, fmt.Errorf("merge: input %d grades submission %q, input 1 %q; merge one submission's results at a time", i+1, r.Submission, out.Submission)
		}
		if r.Started.Before(out.Started) {
			out.Started = r.Started
		}
		if r.Finished.After(out.Finished) {
			out.Finished = r.Finished
		}
		out.Race = out.Race || r.Race
		for _, l := range r.Labs {
			if j, ok := labIdx[l.Name]; ok {
				m := &out.Labs[j]
				m.Present = m.Present || l.Present
				if m.Error == "" {
					m.Error = l.Error
				}
				continue
			}
			labIdx[l.Name] = len(out.Labs)
			out.Labs = append(out.Labs, l)
		}
		for _, t := range r.Tests {
			if j, ok := testIdx[t.Key()]; ok {
				m := &out.Tests[j]
				for _, run := range t.Runs {
					run.Run = len(m.Runs) + 1
					m.Runs = append(m.Runs, run)
				}
				continue
			}
			testIdx[t.Key()] = len(out.Tests)
			out.Tests = append(out.Tests, t)
		}
		for _, k := range r.Selected {
			if !selected[k] {
				selected[k] = true
				out.Selected = append(out.Selected, k)
			}
		}
	}
	// Tests in the order of the selection, which is the rubric's and the
	// binaries', so a merged report reads like an unsharded one.
	order := map[string]int{}
	for i, k := range out.Selected {
		order[k] = i
	}
	sort.SliceStable(out.Tests, func(a, b int) bool {
		return order[out.Tests[a].Key()] < order[out.Tests[b].Key()]
	})
	for i := range out.Tests {
		t := &out.Tests[i]
		want := len(t.Runs)
		t.score(want)
	}
	return out, nil
}
