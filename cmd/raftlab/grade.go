package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"raftlab/internal/grade"
)

// gradeFlags are the grade command's flags.
type gradeFlags struct {
	runs, parallel        int
	failFast, race, plain bool
	timeout               time.Duration
	seed                  uint64
	shard, rubric, kit    string
	jsonOut, junit, gs    string
	artifacts             string
	replayCheck, strict   bool
	submissions           []string
	out, csv              string
}

func init() {
	var f gradeFlags
	cmd := &cobra.Command{
		Use:   "grade [raft|kvraft|shardctrler|shardkv|3A|3B|…]",
		Short: "Grade labs: every test in its own process, repeated with fresh seeds, scored by a rubric",
		Long: `grade builds each selected lab's test binary once and runs every test of the
rubric in a process of its own (so a crash, hang or leak in one cannot touch
another), -runs times with a fresh seed each, -parallel at once. A test earns
its points only if all its runs pass. Arguments select labs (raft, kvraft,
shardctrler, shardkv) or parts (3A … 5B, challenge); none selects every lab.

Each run that does not pass leaves a folder under -artifacts: its timeline,
any linearizability page, its output, and a README.txt with the rerun line.`,
		Example: `  raftlab grade raft                          # the Raft lab, once each
  raftlab grade 3A 3B -runs 10                # two parts, ten seeds per test
  raftlab grade -json r.json -junit r.xml -gradescope results.json
  raftlab grade -shard 2/4 -seed 7 -json shard2.json    # one of four CI jobs
  raftlab grade -submission alice/ -submission bob/ -out graded/`,
		RunE: func(cmd *cobra.Command, args []string) error {
			changed := func(name string) bool { return cmd.Flags().Changed(name) }
			return runGrade(cmd, args, f, changed)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&f.runs, "runs", 1, "runs of each test, each in its own process with its own seed")
	fl.IntVar(&f.parallel, "parallel", 0, "test processes at once (default: the core count)")
	fl.BoolVar(&f.failFast, "failfast", false, "start no new run after the first one that does not pass")
	fl.BoolVar(&f.race, "race", false, "build the test binaries with the race detector")
	fl.DurationVar(&f.timeout, "timeout", 3*time.Minute, "real-time limit of one run; past it the run's process group is killed")
	fl.Uint64Var(&f.seed, "seed", 0, "base seed every run's seed derives from (default: a fresh one, printed and recorded)")
	fl.StringVar(&f.shard, "shard", "", "grade only shard i of n (i/n, 1 ≤ i ≤ n) of the test list; combine the shards' -json files with raftlab merge")
	fl.StringVar(&f.rubric, "rubric", "", "rubric file (default: the built-in internal/grade/rubric.yaml)")
	fl.StringVar(&f.kit, "kit", "", "the kit's root (default: the module holding the working directory)")
	fl.StringVar(&f.jsonOut, "json", "", "write every test's runs (outcome, seed, rerun line, times, artifacts) as JSON to this file")
	fl.StringVar(&f.junit, "junit", "", "write JUnit XML (one testcase per run) to this file")
	fl.StringVar(&f.gs, "gradescope", "", "write Gradescope's results.json to this file")
	fl.StringVar(&f.artifacts, "artifacts", "grade-artifacts", "folder for the files of runs that did not pass")
	fl.BoolVar(&f.replayCheck, "replay-check", false, "let the harness run each failed seed again to say whether it reproduces")
	fl.BoolVar(&f.strict, "strict", false, "the harness's -strict: goroutines alive after Kill fail a test")
	fl.BoolVar(&f.plain, "plain", false, "one line per run even on a terminal")
	fl.StringArrayVar(&f.submissions, "submission", nil, "grade this student tree (classic layout) in a copy of the kit; repeat for a batch")
	fl.StringVar(&f.out, "out", "graded", "with -submission: folder for each submission's results")
	fl.StringVar(&f.csv, "csv", "", "with -submission: the scores as CSV (default: <out>/scores.csv)")
	rootCmd.AddCommand(cmd)
}

func runGrade(cmd *cobra.Command, args []string, f gradeFlags, changed func(string) bool) error {
	o := grade.Options{
		Select: args, Runs: f.runs, Parallel: f.parallel, FailFast: f.failFast, Race: f.race,
		Timeout: f.timeout, ArtifactDir: f.artifacts, ReplayCheck: f.replayCheck, Strict: f.strict,
		BaseSeed: f.seed, SeedSet: changed("seed"), Log: os.Stderr,
		Command: "raftlab grade " + strings.Join(os.Args[2:], " "),
	}
	if f.runs < 1 {
		return fmt.Errorf("-runs %d: a test needs at least one run", f.runs)
	}
	if f.shard != "" {
		s, err := grade.ParseShard(f.shard)
		if err != nil {
			return err
		}
		o.Shard = s
	}
	if f.rubric != "" {
		r, err := grade.LoadRubric(f.rubric)
		if err != nil {
			return err
		}
		o.Rubric = r
	}
	kit, err := kitRoot(f.kit)
	if err != nil {
		return err
	}
	o.KitDir = kit
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	if len(f.submissions) > 0 {
		return gradeSubmissions(ctx, o, f)
	}
	o.Progress = progressFor(f.plain)
	res, err := grade.Grade(ctx, o)
	if res == nil {
		return err
	}
	res.WriteReport(os.Stdout)
	if werr := writeOutputs(res, f.jsonOut, f.junit, f.gs); werr != nil {
		return werr
	}
	if err != nil {
		return err
	}
	exitCode = verdictCode(res)
	return nil
}

// progressFor picks live redrawing on a terminal and line output elsewhere.
func progressFor(plain bool) grade.Progress {
	fd := int(os.Stdout.Fd())
	if plain || !term.IsTerminal(fd) {
		return grade.LineProgress(os.Stdout)
	}
	return grade.LiveProgress(os.Stdout, func() (int, int) {
		w, h, err := term.GetSize(fd)
		if err != nil {
			return 80, 24
		}
		return w, h
	})
}

func writeOutputs(res *grade.Results, jsonOut, junit, gs string) error {
	for _, w := range []struct {
		file  string
		write func(string) error
		what  string
	}{{jsonOut, res.WriteJSON, "results"}, {junit, res.WriteJUnit, "JUnit XML"}, {gs, res.WriteGradescope, "Gradescope results"}} {
		if w.file == "" {
			continue
		}
		if err := w.write(w.file); err != nil {
			return fmt.Errorf("writing the %s: %w", w.what, err)
		}
		fmt.Fprintf(os.Stderr, "wrote the %s to %s\n", w.what, w.file)
	}
	return nil
}

// verdictCode is the exit status of a grading run: 0 when every test
// present earned its points, 1 otherwise.
func verdictCode(res *grade.Results) int {
	_, points, max := res.Summary()
	if points < max || len(res.Uncovered()) > 0 {
		return 1
	}
	return 0
}
