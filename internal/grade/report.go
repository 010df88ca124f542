package grade

import (
	"fmt"
	"io"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/lipgloss/table"
)

// styles are the report's colours for one output; a renderer made for a
// writer that is not a terminal prints them as plain text.
type styles struct {
	pass, fail, dim, bold lipgloss.Style
	r                     *lipgloss.Renderer
}

func newStyles(w io.Writer) styles {
	r := lipgloss.NewRenderer(w)
	return styles{
		r:    r,
		pass: r.NewStyle().Foreground(lipgloss.Color("2")),
		fail: r.NewStyle().Foreground(lipgloss.Color("1")).Bold(true),
		dim:  r.NewStyle().Faint(true),
		bold: r.NewStyle().Bold(true),
	}
}

func (s styles) table(headers ...string) *table.Table {
	return table.New().Border(lipgloss.NormalBorder()).BorderStyle(s.dim).Headers(headers...).
		StyleFunc(func(row, col int) lipgloss.Style {
			st := s.r.NewStyle().Padding(0, 1)
			if row == table.HeaderRow {
				return st.Bold(true)
			}
			if col > 0 {
				st = st.Align(lipgloss.Right)
			}
			return st
		})
}

// timing is "mean ± sd" of a test's run times.
func timing(t *TestResult) string {
	mean, sd, n := t.Timing()
	switch n {
	case 0:
		return ""
	case 1:
		return fmt.Sprintf("%.2fs", mean)
	}
	return fmt.Sprintf("%.2fs ± %.2f", mean, sd)
}

// WriteReport prints the per-test table, the failed runs with their rerun
// lines and folders, and the points per part with the total.
func (r *Results) WriteReport(w io.Writer) {
	s := newStyles(w)
	present := map[string]LabResult{}
	for _, l := range r.Labs {
		present[l.Name] = l
	}
	tests := s.table("test", "part", "passed", "failed", "time", "points")
	rows := 0
	for i := range r.Tests {
		t := &r.Tests[i]
		if !present[t.Lab].Present {
			continue
		}
		passed := 0
		for _, run := range t.Runs {
			if run.Outcome == Pass {
				passed++
			}
		}
		fails := fmt.Sprint(t.Failures())
		if t.Failures() > 0 {
			fails = s.fail.Render(fails)
		}
		pts := num(t.Points) + "/" + num(t.MaxPoints)
		if !t.Passed {
			pts = s.fail.Render(pts)
		}
		tests.Row(t.Lab+"/"+t.Name, t.Part, fmt.Sprintf("%d/%d", passed, len(t.Runs)), fails, timing(t), pts)
		rows++
	}
	if rows > 0 {
		fmt.Fprintln(w, tests.Render())
	}

	var failed []string
	for _, t := range r.Tests {
		for _, run := range t.Runs {
			if run.Outcome == Pass || run.Outcome == Skip || run.Outcome == NotRun {
				continue
			}
			line := fmt.Sprintf("%s %s run %d: %s", s.fail.Render(strings.ToUpper(string(run.Outcome))), t.Key(), run.Run, firstLine(run.Message))
			if run.Rerun != "" {
				line += "\n    rerun:     " + run.Rerun
			}
			if run.Artifacts != "" {
				line += "\n    artifacts: " + run.Artifacts
			}
			failed = append(failed, line)
		}
	}
	if len(failed) > 0 {
		fmt.Fprintln(w, s.bold.Render("Runs that did not pass:"))
		for _, l := range failed {
			fmt.Fprintln(w, l)
		}
	}

	parts, points, max := r.Summary()
	sum := s.table("lab", "part", "tests passed", "points")
	for _, p := range parts {
		if !p.Present {
			continue
		}
		pts := num(p.Points) + "/" + num(p.Max)
		if p.Points < p.Max {
			pts = s.fail.Render(pts)
		} else {
			pts = s.pass.Render(pts)
		}
		sum.Row(p.Lab, p.Part, fmt.Sprintf("%d/%d", p.Passed, p.Tests), pts)
	}
	for _, l := range r.Labs {
		if !l.Present {
			sum.Row(l.Name, "", "not present", s.dim.Render(l.Package+" is not in the kit"))
		}
	}
	sum.Row(s.bold.Render("total"), "", "", s.bold.Render(num(points)+"/"+num(max)))
	fmt.Fprintln(w, sum.Render())
	if u := r.Uncovered(); len(u) > 0 {
		fmt.Fprintf(w, "%s %d selected tests have no results (a shard missing from the merge?): %s\n",
			s.fail.Render("incomplete:"), len(u), strings.Join(u, ", "))
	}
	fmt.Fprintf(w, "base seed %d, %d run(s) of each test; the same base seed draws the same seeds: raftlab grade -seed %d\n", r.BaseSeed, r.Runs, r.BaseSeed)
}
