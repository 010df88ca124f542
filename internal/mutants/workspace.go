package mutants

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// FindModuleRoot returns the directory of the raftlab module that holds
// dir, looking upwards for its go.mod.
func FindModuleRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		data, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil {
			if bytes.HasPrefix(data, []byte("module raftlab\n")) {
				return d, nil
			}
			return "", fmt.Errorf("%s/go.mod is not the raftlab module", d)
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no raftlab go.mod in %s or above it", dir)
		}
	}
}

// skipped says whether a path of the module (relative, slash-separated)
// stays out of a scratch copy: version control, and what tests and
// benchmarks leave behind.
func skipped(rel string, isDir bool) bool {
	base := filepath.Base(rel)
	if isDir {
		return base == ".git" || rel == "testlogs"
	}
	return base == ".git" || strings.HasSuffix(base, ".test") || strings.HasSuffix(base, ".prof")
}

// CopyModule copies the module at root into dst (which must exist),
// leaving out what skipped names. Work in progress is copied as it is on
// disk, committed or not.
func CopyModule(root, dst string) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		if rel == "." {
			return nil
		}
		if skipped(filepath.ToSlash(rel), d.IsDir()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type().IsRegular():
			return copyFile(path, target)
		default:
			return nil // symlinks and the like: the module has none
		}
	})
}

func copyFile(src, dst string) error {
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

// Workspace is a scratch copy of the module in which raft/raft.go can be
// replaced at will.
type Workspace struct {
	Dir string
}

// NewWorkspace copies the module at root into a fresh temporary directory.
func NewWorkspace(root string) (*Workspace, error) {
	dir, err := os.MkdirTemp("", "raftlab-mutants-")
	if err != nil {
		return nil, err
	}
	if err := CopyModule(root, dir); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("copying the module to %s: %w", dir, err)
	}
	return &Workspace{Dir: dir}, nil
}

// Remove deletes the workspace.
func (w *Workspace) Remove() error { return os.RemoveAll(w.Dir) }

// Install makes src the workspace's raft/raft.go.
func (w *Workspace) Install(src []byte) error {
	return os.WriteFile(filepath.Join(w.Dir, RaftPath), src, 0o644)
}

// BuildTest compiles the raft package's test binary to out. A build
// failure returns the compiler's output in the error.
func (w *Workspace) BuildTest(ctx context.Context, goCmd, out string) error {
	cmd := exec.CommandContext(ctx, goCmd, "test", "-c", "-vet=off", "-o", out, "./raft")
	cmd.Dir = w.Dir
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go test -c ./raft: %w\n%s", err, strings.TrimSpace(buf.String()))
	}
	if _, err := os.Stat(out); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("go test -c ./raft wrote no binary (does raft/ still have tests?)")
	}
	return nil
}

// ReadPlain reads the plain Raft and the catalog from the module at root.
func ReadPlain(root string) (plain []byte, catalog []Mutant, err error) {
	plain, err = os.ReadFile(filepath.Join(root, PlainRaftPath))
	if err != nil {
		return nil, nil, err
	}
	data, err := os.ReadFile(filepath.Join(root, CatalogPath))
	if err != nil {
		return nil, nil, err
	}
	catalog, err = ParseCatalog(CatalogPath, data)
	return plain, catalog, err
}
