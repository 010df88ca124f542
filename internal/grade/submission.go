package grade

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"raftlab/internal/adopt"
	"raftlab/internal/kit"
)

// SubmissionResult is one student's tree, adopted and graded.
type SubmissionResult struct {
	Dir     string // the student's tree as given
	Name    string // the folder its files went to under the output folder
	Out     string // that folder: results.json, junit.xml, gradescope.json, adopt.txt, artifacts/
	Adopt   *adopt.Report
	Results *Results
	Err     error // the submission could not be adopted or graded at all
}

// GradeSubmission copies the kit (o.KitDir) to a temporary folder, adopts
// the student's tree into the copy and grades the copy, so the kit itself
// never changes. Without a selection it grades the labs the student's tree
// has; a selected lab the tree lacks earns nothing. Every file of the
// submission's grading goes to out: the adoption report, the results in
// JSON, JUnit and Gradescope form, and the failed runs' artifacts.
func GradeSubmission(ctx context.Context, o Options, studentDir, out string) *SubmissionResult {
	sr := &SubmissionResult{Dir: studentDir, Out: out, Name: filepath.Base(out)}
	if err := o.defaults(); err != nil {
		sr.Err = err
		return sr
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		sr.Err = err
		return sr
	}
	copyDir, err := os.MkdirTemp("", "raftlab-submission-")
	if err != nil {
		sr.Err = err
		return sr
	}
	defer os.RemoveAll(copyDir)
	skip := func(rel string, isDir bool) bool {
		// What a grading run leaves inside the kit is not part of it.
		abs := filepath.Join(o.KitDir, filepath.FromSlash(rel))
		return isDir && (abs == o.ArtifactDir || abs == filepath.Clean(out) || strings.HasPrefix(filepath.Clean(out), abs+string(filepath.Separator)))
	}
	if err := kit.Copy(o.KitDir, copyDir, skip); err != nil {
		sr.Err = fmt.Errorf("copying the kit: %w", err)
		return sr
	}
	rep, err := adopt.Adopt(studentDir, copyDir, adopt.Options{})
	sr.Adopt = rep
	if rep != nil {
		if f, ferr := os.Create(filepath.Join(out, "adopt.txt")); ferr == nil {
			rep.Write(f)
			f.Close()
		}
	}
	if err != nil {
		sr.Err = fmt.Errorf("adopting %s: %w", studentDir, err)
		return sr
	}
	submitted := map[string]bool{}
	for _, l := range rep.Labs {
		submitted[l.Name] = true
	}
	o.KitDir = copyDir
	o.ArtifactDir = filepath.Join(out, "artifacts")
	o.Submission = studentDir
	o.unsubmitted = func(lab Lab) bool { return !submitted[lab.Name] }
	if len(o.Select) == 0 {
		for _, lab := range o.Rubric.Labs {
			if submitted[lab.Name] {
				o.Select = append(o.Select, lab.Name)
			}
		}
		if len(o.Select) == 0 {
			sr.Err = fmt.Errorf("%s has none of the rubric's labs (%s)", studentDir, strings.Join(o.Rubric.labNames(), ", "))
			return sr
		}
	}
	res, err := Grade(ctx, o)
	sr.Results = res
	if res != nil {
		for _, w := range []func(string) error{
			func(string) error { return res.WriteJSON(filepath.Join(out, "results.json")) },
			func(string) error { return res.WriteJUnit(filepath.Join(out, "junit.xml")) },
			func(string) error { return res.WriteGradescope(filepath.Join(out, "gradescope.json")) },
		} {
			if werr := w(""); werr != nil && err == nil {
				err = werr
			}
		}
	}
	sr.Err = err
	return sr
}

// SubmissionNames gives each student tree a folder name of its own under
// the output folder: the tree's base name, with a counter when two trees
// share one.
func SubmissionNames(dirs []string) []string {
	seen := map[string]int{}
	var out []string
	for _, d := range dirs {
		base := filepath.Base(filepath.Clean(d))
		if base == "src" || base == "." || base == string(filepath.Separator) {
			if abs, err := filepath.Abs(d); err == nil {
				base = filepath.Base(filepath.Dir(abs)) + "-" + filepath.Base(abs)
			}
		}
		seen[base]++
		if seen[base] > 1 {
			base = fmt.Sprintf("%s-%d", base, seen[base])
		}
		out = append(out, base)
	}
	return out
}

// WriteScoresCSV writes one row per submission: its name and folder, the
// total, the points of each lab part any submission was graded on, and the
// error of one that could not be graded.
func WriteScoresCSV(file string, subs []*SubmissionResult) error {
	var cols []string
	have := map[string]bool{}
	for _, s := range subs {
		if s.Results == nil {
			continue
		}
		parts, _, _ := s.Results.Summary()
		for _, p := range parts {
			k := p.Lab + " " + p.Part
			if !have[k] {
				have[k] = true
				cols = append(cols, k)
			}
		}
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	header := append([]string{"submission", "dir", "score", "max"}, cols...)
	w.Write(append(header, "error"))
	for _, s := range subs {
		row := []string{s.Name, s.Dir, "", ""}
		byPart := map[string]string{}
		if s.Results != nil {
			parts, points, max := s.Results.Summary()
			row[2], row[3] = num(points), num(max)
			for _, p := range parts {
				byPart[p.Lab+" "+p.Part] = num(p.Points)
			}
		}
		for _, c := range cols {
			row = append(row, byPart[c])
		}
		msg := ""
		if s.Err != nil {
			msg = strings.ReplaceAll(s.Err.Error(), "\n", " ")
		}
		w.Write(append(row, msg))
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
