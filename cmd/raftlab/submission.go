package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"raftlab/internal/grade"
)

// gradeSubmissions grades each -submission tree in its own copy of the
// kit, one result folder each under -out, and writes the scores as CSV.
func gradeSubmissions(ctx context.Context, o grade.Options, f gradeFlags) error {
	// One base seed for the batch: every submission faces the same seeds.
	if !o.SeedSet {
		o.BaseSeed, o.SeedSet = grade.FreshSeed(), true
	}
	names := grade.SubmissionNames(f.submissions)
	var subs []*grade.SubmissionResult
	failed := 0
	for i, dir := range f.submissions {
		fmt.Fprintf(os.Stderr, "grade: submission %d of %d: %s\n", i+1, len(f.submissions), dir)
		so := o
		so.Progress = progressFor(f.plain)
		sr := grade.GradeSubmission(ctx, so, dir, filepath.Join(f.out, names[i]))
		subs = append(subs, sr)
		if sr.Results != nil {
			sr.Results.WriteReport(os.Stdout)
		}
		if sr.Err != nil {
			failed++
			fmt.Fprintf(os.Stderr, "grade: %s: %v\n", dir, sr.Err)
		}
		if len(f.submissions) == 1 && sr.Results != nil {
			if err := writeOutputs(sr.Results, f.jsonOut, f.junit, f.gs); err != nil {
				return err
			}
			exitCode = verdictCode(sr.Results)
		}
		if ctx.Err() != nil {
			break
		}
	}
	csvFile := f.csv
	if csvFile == "" {
		csvFile = filepath.Join(f.out, "scores.csv")
	}
	if err := grade.WriteScoresCSV(csvFile, subs); err != nil {
		return fmt.Errorf("writing the scores: %w", err)
	}
	fmt.Fprintf(os.Stderr, "grade: %d submission(s) graded into %s; scores in %s\n", len(subs)-failed, f.out, csvFile)
	for _, s := range subs {
		if s.Results != nil {
			_, points, max := s.Results.Summary()
			fmt.Printf("%-24s %s/%s\n", s.Name, fmtPoints(points), fmtPoints(max))
		} else {
			fmt.Printf("%-24s not graded: %v\n", s.Name, s.Err)
		}
	}
	if failed > 0 {
		exitCode = 1
	}
	return ctx.Err()
}

func fmtPoints(f float64) string {
	if f == float64(int64(f)) {
		return fmt.Sprint(int64(f))
	}
	return fmt.Sprintf("%.2f", f)
}
