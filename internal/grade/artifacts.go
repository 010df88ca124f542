package grade

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"raftlab/internal/timeline"
)

// keepArtifacts moves a failed run's folder (its stdout and stderr, and
// every file the harness wrote into its -logdir: the timeline, a
// linearizability page, a crash record, a replay's timeline) to
// <ArtifactDir>/<lab>/<Test>/run<k>-seed<S>, with a README.txt that says
// what happened and how to run it again. It returns the folder and its
// files.
func (o *Options) keepArtifacts(dir, dest string, j job, r RunResult) (string, []string) {
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		fmt.Fprintf(o.Log, "grade: cannot keep the files of %s run %d: %v\n", j.test.Name, j.run, err)
		return "", nil
	}
	// A folder from an earlier grading run with the same seed is replaced:
	// the same seed is the same run.
	os.RemoveAll(dest)
	if err := moveDir(dir, dest); err != nil {
		fmt.Fprintf(o.Log, "grade: cannot keep the files of %s run %d: %v\n", j.test.Name, j.run, err)
		return "", nil
	}
	// The run's files name each other by the temporary folder they were
	// written in, which is deleted: the timeline's pointer to the
	// linearizability page would lead nowhere.
	if abs, err := filepath.Abs(dest); err == nil {
		rewritePaths(dest, dir, abs)
	}
	o.writeTimelinePages(dest)
	readme := fmt.Sprintf(`%s (lab %s, part %s), run %d of %d: %s
seed %d

Run it again, from the kit's root%s:

    %s

%s
Files:
  stdout.txt, stderr.txt   what the test process printed
  <Test>-seed<S>.log       the harness's timeline of the run (seed, rerun line, failures,
                           servers' logs, network trace, goroutines), CRASH at the top after a crash
  <Test>-seed<S>.html      the same timeline as a page (open it in a browser): a lane per server,
                           RPC arrows, crashes and partitions, and links to the run's other pages
  *-linearizability.html   the picture of a history that is not linearizable (open it in a browser)
  *.replay.log, .html      the timeline of the harness's replay check (-replay-check), when it did
                           not reproduce, and its page: read it beside the run's own
`, j.test.Name, j.test.Lab, j.test.Part, j.run, o.Runs, r.Outcome, j.seed, o.kitNote(), r.Rerun, indent(r.Message))
	os.WriteFile(filepath.Join(dest, "README.txt"), []byte(readme), 0o644)
	var files []string
	filepath.WalkDir(dest, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dest, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(files)
	return dest, files
}

// writeTimelinePages writes, beside each timeline in dest, its HTML page
// linking to the run's other files, so that a failed run's folder opens in
// a browser with nothing to run first.
func (o *Options) writeTimelinePages(dest string) {
	logs := timelineFiles(dest)
	// The replay check's timelines first: a run's page links to its
	// replay's page only if that exists when the run's is written.
	sort.SliceStable(logs, func(i, j int) bool { return timeline.IsReplay(logs[i]) && !timeline.IsReplay(logs[j]) })
	for _, p := range logs {
		tl, err := timeline.ReadFile(p)
		if err != nil {
			fmt.Fprintf(o.Log, "grade: no page for %s: %v\n", p, err)
			continue
		}
		page := strings.TrimSuffix(p, ".log") + ".html"
		var b bytes.Buffer
		if err := timeline.WriteHTML(&b, tl, timeline.HTMLOptions{Links: timeline.ArtifactLinks(p, page)}); err != nil {
			fmt.Fprintf(o.Log, "grade: no page for %s: %v\n", p, err)
			continue
		}
		if err := os.WriteFile(page, b.Bytes(), 0o644); err != nil {
			fmt.Fprintf(o.Log, "grade: no page for %s: %v\n", p, err)
		}
	}
}

// recordedFailures returns the failures the harness wrote into the
// timelines of a run's folder (a multi-seed test writes one per seed).
func recordedFailures(dir string) []string {
	logs := timelineFiles(dir)
	var out []string
	for _, p := range logs {
		if timeline.IsReplay(p) {
			continue
		}
		// Only the header, which lists the failures: a chaos test's
		// timeline runs to megabytes, and its page is parsed again later.
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		if i := bytes.Index(data, []byte("\n# timeline (")); i >= 0 {
			data = data[:i+1]
		}
		if tl, err := timeline.Parse(bytes.NewReader(data)); err == nil {
			out = append(out, tl.Failures...)
		}
	}
	return out
}

// timelineFiles lists the .log files of dir, in name order: the run's
// timelines, and its replay check's.
func timelineFiles(dir string) []string {
	entries, _ := os.ReadDir(dir)
	var out []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".log") {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	return out
}

// rewritePaths replaces old with new in the text files (timelines and
// output) under dest.
func rewritePaths(dest, old, new string) {
	filepath.WalkDir(dest, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || (filepath.Ext(p) != ".log" && filepath.Ext(p) != ".txt") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil || !strings.Contains(string(b), old) {
			return nil
		}
		os.WriteFile(p, []byte(strings.ReplaceAll(string(b), old, new)), 0o644)
		return nil
	})
}

// artifactFolder is where a failed run's folder is kept.
func (o *Options) artifactFolder(j job) string {
	return filepath.Join(o.ArtifactDir, j.test.Lab, j.test.Name, fmt.Sprintf("run%d-seed%d", j.run, j.seed))
}

func (o *Options) kitNote() string {
	if o.Submission == "" {
		return ""
	}
	return fmt.Sprintf(" with the submission adopted into it\n(raftlab adopt -out KITCOPY %s, then cd KITCOPY)", o.Submission)
}

func indent(msg string) string {
	if msg == "" {
		return ""
	}
	return "What it said:\n    " + strings.ReplaceAll(msg, "\n", "\n    ") + "\n"
}

// moveDir renames src to dst, copying when they are on different file
// systems (the work folder is in the system's temporary directory).
func moveDir(src, dst string) error {
	if err := os.Rename(src, dst); err == nil {
		return nil
	}
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(target)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
	if err != nil {
		return err
	}
	return os.RemoveAll(src)
}
