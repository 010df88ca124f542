package mutants

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// shownFailures is how many failed tests a table row names.
const shownFailures = 3

func verdict(r Result) string {
	c, n := r.CaughtRuns(), len(r.Runs)
	switch {
	case r.Err != "":
		return "ERROR"
	case r.Name == "base" && c > 0:
		return fmt.Sprintf("FAILS %d/%d", c, n)
	case r.Name == "base":
		return "passes"
	case c == n && n == 1:
		return "caught"
	case c == n:
		return fmt.Sprintf("caught %d/%d", c, n)
	case c > 0:
		return fmt.Sprintf("SOMETIMES %d/%d", c, n)
	default:
		return "SURVIVED"
	}
}

// failures names the first few tests that failed, with how many runs
// each failed in when there was more than one.
func failures(r Result) string {
	if r.Err != "" {
		first, _, _ := strings.Cut(r.Err, "\n")
		return first
	}
	fs := r.Failures()
	if len(fs) == 0 {
		return "-"
	}
	var names []string
	for _, f := range fs[:min(len(fs), shownFailures)] {
		if len(r.Runs) > 1 {
			names = append(names, fmt.Sprintf("%s %d/%d", f.Test, f.Runs, len(r.Runs)))
		} else {
			names = append(names, f.Test)
		}
	}
	s := strings.Join(names, ", ")
	if more := len(fs) - shownFailures; more > 0 {
		s += fmt.Sprintf(" (+%d more)", more)
	}
	return s
}

func seconds(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1fs", d.Seconds())
}

func progressLine(r Result) string {
	return fmt.Sprintf("%-28s %-13s first failure %-7s total %-7s %s",
		r.Name, verdict(r), seconds(r.FirstFailure()), seconds(r.Total()), failures(r))
}

// WriteTable writes the report as a table, then the summary line.
func (rep Report) WriteTable(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "MUTANT\tVERDICT\tTESTS FAILED\tFIRST FAILURE\tTOTAL\tCAUGHT BY")
	row := func(r Result) {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n",
			r.Name, verdict(r), len(r.Failures()), seconds(r.FirstFailure()), seconds(r.Total()), failures(r))
	}
	row(rep.Base)
	for _, r := range rep.Mutants {
		row(r)
	}
	tw.Flush()
	fmt.Fprintln(w, rep.Summary())
}

// Summary is the one-line verdict of a run.
func (rep Report) Summary() string {
	if rep.Base.Err != "" {
		return "mutants: not run: the plain Raft could not be tried: " + rep.Base.Err
	}
	if c := rep.Base.CaughtRuns(); c > 0 {
		var names []string
		for _, f := range rep.Base.Failures() {
			names = append(names, f.Test)
		}
		return fmt.Sprintf("mutants: not run: the plain Raft itself fails the suite (%d of %d runs: %s); fix it (or the suite) first",
			c, len(rep.Base.Runs), strings.Join(names, ", "))
	}
	s := fmt.Sprintf("mutants: %d planted, %d caught", rep.Planted(), len(rep.Caught()))
	if rep.Count > 1 {
		s += fmt.Sprintf(" in all %d runs", rep.Count)
	}
	for _, group := range []struct {
		what string
		rs   []Result
	}{
		{"caught only in some runs", rep.Sometimes()},
		{"survived", rep.Survivors()},
		{"could not run", rep.Broken()},
	} {
		if len(group.rs) == 0 {
			continue
		}
		names := make([]string, len(group.rs))
		for i, r := range group.rs {
			names[i] = r.Name
		}
		s += fmt.Sprintf(", %d %s (%s)", len(group.rs), group.what, strings.Join(names, ", "))
	}
	return s
}

// OK says whether the run is a success: the plain Raft passes and every
// run of the suite caught every mutant.
func (rep Report) OK() bool {
	return rep.Base.Err == "" && rep.Base.CaughtRuns() == 0 && len(rep.Caught()) == rep.Planted()
}
