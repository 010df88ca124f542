package mutants

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func pass() Outcome { return Outcome{Passed: 40, Total: 3 * time.Second} }

func fail(first time.Duration, tests ...string) Outcome {
	return Outcome{Failed: tests, Passed: 40 - len(tests), FirstFailure: first, ExitCode: 1, Total: 4 * time.Second}
}

func TestReportSortsMutantsByHowOftenTheyWereCaught(t *testing.T) {
	rep := Report{
		Count: 2,
		Base:  Result{Name: "base", Runs: []Outcome{pass(), pass()}},
		Mutants: []Result{
			{Name: "always", Runs: []Outcome{fail(1*time.Second, "TestA", "TestB"), fail(3*time.Second, "TestB")}},
			{Name: "once", Runs: []Outcome{pass(), fail(2*time.Second, "TestC")}},
			{Name: "never", Runs: []Outcome{pass(), pass()}},
			{Name: "broken", Err: "go test -c ./raft: exit status 1\nraft.go:1: syntax error"},
		},
	}
	assert.Equal(t, []string{"always"}, names(rep.Caught()))
	assert.Equal(t, []string{"once"}, names(rep.Sometimes()))
	assert.Equal(t, []string{"never"}, names(rep.Survivors()))
	assert.Equal(t, []string{"broken"}, names(rep.Broken()))
	assert.False(t, rep.OK())
	assert.Equal(t, "mutants: 4 planted, 1 caught in all 2 runs, 1 caught only in some runs (once), 1 survived (never), 1 could not run (broken)",
		rep.Summary())

	always := rep.Mutants[0]
	assert.Equal(t, []TestFailures{{"TestA", 1}, {"TestB", 2}}, always.Failures())
	assert.Equal(t, 2*time.Second, always.FirstFailure(), "the mean over the runs that failed")
	assert.Equal(t, 8*time.Second, always.Total())

	var b strings.Builder
	rep.WriteTable(&b)
	table := b.String()
	assert.Contains(t, table, "TestA 1/2, TestB 2/2")
	assert.Contains(t, table, "SOMETIMES 1/2")
	assert.Contains(t, table, "SURVIVED")
	assert.Contains(t, table, "go test -c ./raft: exit status 1")
	assert.NotContains(t, table, "raft.go:1: syntax error", "only the first line of an error fits a row")
}

func TestReportOKOnlyWhenEveryMutantIsAlwaysCaught(t *testing.T) {
	rep := Report{
		Count:   1,
		Base:    Result{Name: "base", Runs: []Outcome{pass()}},
		Mutants: []Result{{Name: "m", Runs: []Outcome{fail(time.Second, "TestA")}}},
	}
	assert.True(t, rep.OK())
	assert.Equal(t, "mutants: 1 planted, 1 caught", rep.Summary())
}

func TestReportRefusesToScoreAgainstAFailingBase(t *testing.T) {
	rep := Report{
		Count: 3,
		Base:  Result{Name: "base", Runs: []Outcome{pass(), fail(time.Second, "TestFigure83C"), pass()}},
	}
	assert.False(t, rep.OK())
	assert.Equal(t, "mutants: not run: the plain Raft itself fails the suite (1 of 3 runs: TestFigure83C); fix it (or the suite) first",
		rep.Summary())
}

func names(rs []Result) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Name)
	}
	return out
}
