package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestGradeCommands runs the scripts in testdata/script against a raftlab
// binary built from this package, on the grader's fake lab module
// ($FAKELAB: a passing, a failing, a flaky and a skipped test).
func TestGradeCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("builds raftlab and runs the fake lab's tests")
	}
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "raftlab"), ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building raftlab: %v\n%s", err, out)
	}
	fakelab, err := filepath.Abs("../../internal/grade/testdata/fakelab")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("PATH", bin+string(os.PathListSeparator)+env.Getenv("PATH"))
			env.Setenv("FAKELAB", fakelab)
			// The go command that builds the fake lab's tests needs its caches.
			for _, v := range []string{"HOME", "GOCACHE", "GOPATH", "GOMODCACHE", "GOFLAGS", "GOTOOLCHAIN"} {
				if val, ok := os.LookupEnv(v); ok {
					env.Setenv(v, val)
				}
			}
			return nil
		},
	})
}
