package labtest

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
)

// moduleRoot returns the directory holding go.mod above the working
// directory (go test runs a test binary in its package's directory).
func moduleRoot() (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// packageArg returns the package as go test wants it from the module root,
// e.g. "./raft".
func packageArg() string {
	root, ok := moduleRoot()
	wd, err := os.Getwd()
	if !ok || err != nil {
		return "."
	}
	rel, err := filepath.Rel(root, wd)
	if err != nil || rel == "." {
		return "."
	}
	return "./" + filepath.ToSlash(rel)
}

// runPattern anchors each element of a (sub)test name, so that the rerun
// selects exactly this test and not TestX2 or TestX/sub.
func runPattern(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return strings.Join(parts, "/")
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// rerunLine is the command, run from the module root, that replays this
// test. A seed fixes every random choice; with virtual time the
// interleaving of goroutines at one instant still depends on the
// scheduler, which GOMAXPROCS=1 makes far more repeatable, so the line
// carries it when the failing run had it.
func (r *run) rerunLine() string {
	var b strings.Builder
	if runtime.GOMAXPROCS(0) == 1 {
		b.WriteString("GOMAXPROCS=1 ")
	}
	fmt.Fprintf(&b, "go test %s -run %s -seed %d", packageArg(), shellQuote(runPattern(r.name)), r.seed)
	if !r.virtual {
		b.WriteString(" -realtime")
	}
	if r.strict {
		b.WriteString(" -strict")
	}
	return b.String()
}
