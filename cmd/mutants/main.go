// Command mutants scores the Raft lab's graded suite (raft/*_test.go) by
// the bugs it catches. It plants each bug of the catalog
// raft/testdata/plainraft/mutants.txt, one at a time, into the plain Raft
// beside it, runs the suite against each in a scratch copy of the module,
// and prints which tests caught each bug and how fast.
//
//	go run ./cmd/mutants                          # everything (make mutants)
//	go run ./cmd/mutants -only commit-old-term,no-persist-vote -v
//	go run ./cmd/mutants -list
//
// With -gotest it instead runs `go test ./raft` in a scratch copy with the
// plain Raft as raft/raft.go (or, with -only NAME, that one mutant), passing
// on every argument after the flags:
//
//	go run ./cmd/mutants -gotest -- -count=5
//	go run ./cmd/mutants -gotest -only no-persist-vote -- -run 3C -v
//
// The exit status is 0 only if the plain Raft passes and every mutant is
// caught (with -gotest: go test's own status).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"raftlab/internal/mutants"
)

func main() {
	var (
		only     = flag.String("only", "", "comma-separated mutants to run (default: the whole catalog)")
		parallel = flag.Int("parallel", 1, "suites to run at once")
		count    = flag.Int("count", 1, "runs of the suite per mutant, each with fresh seeds (a mutant counts as caught if every run catches it)")
		jsonOut  = flag.String("json", "", "also write the results as JSON to this file")
		timeout  = flag.Duration("timeout", 15*time.Minute, "wall-clock limit of one suite run")
		run      = flag.String("run", "", "run only the tests matching this regexp (as go test -run)")
		failfast = flag.Bool("failfast", false, "stop each suite at its first failure (faster; lists one catching test)")
		strict   = flag.Bool("strict", false, "run the suites with RAFTLAB_STRICT=1, as graders do: goroutines alive after Kill fail a test")
		keep     = flag.Bool("keep", false, "keep the scratch copy of the module (binaries and timeline files) and print where it is")
		verbose  = flag.Bool("v", false, "print every suite's output, each line tagged with its mutant")
		list     = flag.Bool("list", false, "list the catalog and exit")
		gotest   = flag.Bool("gotest", false, "run go test ./raft on the plain Raft (or the -only mutant) with the remaining arguments")
		goCmd    = flag.String("go", "go", "the go command")
	)
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: mutants [flags]\n       mutants -gotest [-only NAME] [-keep] [--] [go test flags]\n")
		flag.PrintDefaults()
	}
	flag.Parse()

	root, err := mutants.FindModuleRoot(".")
	if err != nil {
		fatal(err)
	}
	var names []string
	if *only != "" {
		names = strings.Split(*only, ",")
	}

	switch {
	case *list:
		listCatalog(root)
	case *gotest:
		os.Exit(goTest(root, *goCmd, names, *keep, flag.Args()))
	}
	if flag.NArg() > 0 {
		fatal(fmt.Errorf("unexpected arguments %q (test flags go with -gotest)", flag.Args()))
	}

	var testArgs, env []string
	if *run != "" {
		testArgs = append(testArgs, "-test.run="+*run)
	}
	if *failfast {
		testArgs = append(testArgs, "-test.failfast")
	}
	if *strict {
		env = append(env, "RAFTLAB_STRICT=1")
	}
	cfg := mutants.Config{
		Root: root, Go: *goCmd, Only: names, Parallel: *parallel, Count: *count, Timeout: *timeout,
		TestArgs: testArgs, Env: env, Keep: *keep, Progress: os.Stderr,
	}
	if *verbose {
		cfg.Verbose = os.Stdout
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	start := time.Now()
	rep, err := mutants.Run(ctx, cfg)
	if err != nil && !errors.Is(err, context.Canceled) {
		fatal(err)
	}
	fmt.Println()
	rep.WriteTable(os.Stdout)
	fmt.Printf("wall time %v\n", time.Since(start).Round(time.Second))
	if rep.Workdir != "" {
		fmt.Printf("scratch copy kept in %s (binaries in bin/, timeline files in testlogs/<mutant>/)\n", rep.Workdir)
	}
	if *jsonOut != "" {
		data, err := json.MarshalIndent(rep, "", "  ")
		if err == nil {
			err = os.WriteFile(*jsonOut, append(data, '\n'), 0o644)
		}
		if err != nil {
			fatal(err)
		}
	}
	if err != nil || !rep.OK() {
		os.Exit(1)
	}
}

func listCatalog(root string) {
	_, catalog, err := mutants.ReadPlain(root)
	if err != nil {
		fatal(err)
	}
	for _, m := range catalog {
		fmt.Printf("%-28s %s\n", m.Name, m.Bug)
	}
	os.Exit(0)
}

// goTest runs go test ./raft in a scratch copy with the plain Raft, or one
// mutant of it, as raft/raft.go, and returns go test's exit status.
func goTest(root, goCmd string, names []string, keep bool, args []string) int {
	plain, catalog, err := mutants.ReadPlain(root)
	if err != nil {
		fatal(err)
	}
	src := plain
	if len(names) > 1 {
		fatal(fmt.Errorf("-gotest takes at most one mutant, not %d", len(names)))
	}
	if len(names) == 1 {
		sel, err := mutants.Select(catalog, names)
		if err != nil {
			fatal(err)
		}
		if src, err = sel[0].Apply(plain); err != nil {
			fatal(err)
		}
	}
	ws, err := mutants.NewWorkspace(root)
	if err != nil {
		fatal(err)
	}
	if keep {
		fmt.Fprintf(os.Stderr, "mutants: scratch copy in %s\n", ws.Dir)
	} else {
		defer ws.Remove()
	}
	if err := ws.Install(src); err != nil {
		fatal(err)
	}
	cmd := exec.Command(goCmd, append([]string{"test", "./raft"}, args...)...)
	cmd.Dir = ws.Dir
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	// Timeline files of failures would vanish with the scratch copy:
	// keep them where the module's own go away.
	if os.Getenv("RAFTLAB_LOGDIR") == "" && !keep {
		cmd.Env = append(os.Environ(), "RAFTLAB_LOGDIR="+filepath.Join(root, "testlogs"))
	}
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return exit.ExitCode()
	default:
		fatal(err)
		return 1
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "mutants:", err)
	os.Exit(2)
}
