package grade

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// Gradescope is the results.json an autograder leaves for Gradescope: the
// total score and one entry per graded test.
type Gradescope struct {
	Score  float64          `json:"score"`
	Output string           `json:"output,omitempty"`
	Tests  []GradescopeTest `json:"tests"`
}

type GradescopeTest struct {
	Name     string  `json:"name"`
	Score    float64 `json:"score"`
	MaxScore float64 `json:"max_score"`
	Status   string  `json:"status,omitempty"` // passed or failed
	Output   string  `json:"output,omitempty"`
}

// Gradescope returns the results in Gradescope's shape. Tests of a lab
// that is not present are left out, as they are of the total.
func (r *Results) Gradescope() *Gradescope {
	g := &Gradescope{Tests: []GradescopeTest{}}
	present := map[string]bool{}
	for _, l := range r.Labs {
		present[l.Name] = l.Present
	}
	for _, t := range r.Tests {
		if !present[t.Lab] {
			continue
		}
		gt := GradescopeTest{Name: fmt.Sprintf("%s %s %s", t.Lab, t.Part, t.Name), Score: t.Points, MaxScore: t.MaxPoints, Status: "failed"}
		if t.Passed {
			gt.Status = "passed"
		}
		gt.Output = runsOutput(t)
		g.Score += t.Points
		g.Tests = append(g.Tests, gt)
	}
	parts, points, max := r.Summary()
	var b strings.Builder
	for _, p := range parts {
		if p.Present {
			fmt.Fprintf(&b, "%s %s: %s/%s (%d of %d tests)\n", p.Lab, p.Part, num(p.Points), num(p.Max), p.Passed, p.Tests)
		}
	}
	fmt.Fprintf(&b, "total: %s/%s; each test ran %d times, and earns its points only if every run passes", num(points), num(max), r.Runs)
	g.Output = b.String()
	return g
}

// runsOutput says how a test's runs went, with the rerun line and first
// message of each one that did not pass.
func runsOutput(t TestResult) string {
	passed := 0
	var b strings.Builder
	for _, run := range t.Runs {
		if run.Outcome == Pass {
			passed++
			continue
		}
		fmt.Fprintf(&b, "run %d (seed %d): %s", run.Run, run.Seed, run.Outcome)
		if m := firstLines(strings.TrimSpace(run.Message), 6); m != "" {
			fmt.Fprintf(&b, "\n  %s", strings.ReplaceAll(m, "\n", "\n  "))
		}
		if run.Rerun != "" {
			fmt.Fprintf(&b, "\n  rerun: %s", run.Rerun)
		}
		b.WriteString("\n")
	}
	return fmt.Sprintf("%d of %d runs passed\n", passed, len(t.Runs)) + b.String()
}

// WriteGradescope writes the Gradescope results.json.
func (r *Results) WriteGradescope(file string) error {
	data, err := json.MarshalIndent(r.Gradescope(), "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(file, append(data, '\n'), 0o644)
}

// num prints points without a needless fraction.
func num(f float64) string {
	if f == float64(int64(f)) {
		return fmt.Sprint(int64(f))
	}
	return fmt.Sprintf("%.2f", f)
}
