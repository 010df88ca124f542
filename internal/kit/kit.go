// Package kit knows the layout of the raftlab module as a whole: where its
// root is, which lab packages it has, and how to copy it. The adopt and
// handout commands both work on a copy of the kit, so they share this.
package kit

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Labs are the lab packages of the classic course, in the order they build
// on each other. A kit has some of them (see Labs).
var AllLabs = []string{"raft", "kvraft", "shardctrler", "shardkv"}

// FindRoot returns the directory of the raftlab module that holds dir,
// looking upwards for its go.mod.
func FindRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			mod, err := ModulePath(d)
			if err != nil {
				return "", err
			}
			if mod != "raftlab" {
				return "", fmt.Errorf("%s/go.mod is module %q, not the raftlab kit: run this inside the kit, or name it with -kit", d, mod)
			}
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no raftlab go.mod in %s or above it: run this inside the kit, or name it with -kit", dir)
		}
	}
}

// ModulePath reads the module path from dir/go.mod.
func ModulePath(dir string) (string, error) {
	data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return "", err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if rest, ok := strings.CutPrefix(line, "module"); ok && (rest == "" || rest[0] == ' ' || rest[0] == '\t') {
			return strings.Trim(strings.TrimSpace(rest), `"`), nil
		}
	}
	return "", fmt.Errorf("%s/go.mod has no module line", dir)
}

// Labs returns the labs of AllLabs that the kit at root has as packages.
func Labs(root string) []string {
	var labs []string
	for _, lab := range AllLabs {
		if HasGoPackage(filepath.Join(root, lab)) {
			labs = append(labs, lab)
		}
	}
	return labs
}

// HasGoPackage says whether dir holds at least one non-test .go file.
func HasGoPackage(dir string) bool {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range ents {
		if IsSource(e.Name()) && !e.IsDir() {
			return true
		}
	}
	return false
}

// IsSource says whether a file name is a Go source file that is not a test.
func IsSource(name string) bool {
	return strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go")
}

// Leftover says whether a path of the module (relative, slash-separated)
// is something a copy of the kit never needs: version control, and what
// tests and builds leave behind.
func Leftover(rel string, isDir bool) bool {
	base := filepath.Base(rel)
	if isDir {
		return base == ".git" || rel == "testlogs"
	}
	return base == ".git" || strings.HasSuffix(base, ".test") || strings.HasSuffix(base, ".prof")
}

// Copy copies the module at root into dst (created if missing), leaving
// out Leftover paths and those skip names (skip may be nil). Paths are
// relative to root and slash-separated. Files are copied as they are on
// disk, committed or not.
func Copy(root, dst string, skip func(rel string, isDir bool) bool) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		if Leftover(rel, d.IsDir()) || (skip != nil && skip(rel, d.IsDir())) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, filepath.FromSlash(rel))
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type().IsRegular():
			return CopyFile(path, target)
		default:
			return nil // the kit has no symlinks or devices
		}
	})
}

// CopyFile copies one regular file.
func CopyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
