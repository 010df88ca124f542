// Package handout writes the student handout of the labs from the kit: the
// kit with our implementations replaced by the classic-shaped skeletons
// kept in _skeletons/ (one folder per lab, embedded in the binary), and
// everything that only the solution or the course staff need left out:
// raftcore (our Raft's protocol core), the tools under cmd/, the internal
// packages only they use, and the labs' testdata folders (the second Raft
// in raft/testdata is a solution too).
//
//	rep, err := handout.Write(kitRoot, "handout", handout.Options{})
//	ver, err := handout.Verify(ctx, "handout", handout.VerifyOptions{Tests: handout.RunTests})
//
// Verify checks what a student first sees: the handout builds, vets, and
// each lab's tests fail cleanly and quickly on the skeletons (they return
// zero values; the harness's guards turn that into ordinary FAILs, with no
// hang and no crash).
package handout

import (
	"bufio"
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"raftlab/internal/kit"
)

//go:embed _skeletons
var skeletons embed.FS

//go:embed student-readme.md
var studentReadme []byte

// skeletonRoot is the embedded folder of skeletons.
const skeletonRoot = "_skeletons"

// leftOut are the kit's paths (slash-separated, relative to its root) that
// never go into a handout, and why.
var leftOut = []struct{ path, why string }{
	{"cmd", "the staff's tools (raftlab, mutants)"},
	{"raftcore", "our Raft's protocol core: the solution"},
	{"shardctrler/balance", "our controller's rebalancing: the solution"},
	{".ci", "the kit's own CI"},
	{".github", "the kit's own CI"},
}

// Options tune Write.
type Options struct {
	// GoCmd is the go command used to find which internal packages the
	// handout still needs (default "go").
	GoCmd string
}

// Report says what Write did.
type Report struct {
	Kit, Out string
	Labs     []Lab
	// NoPackage are skeleton labs left out because the kit has no package
	// of that name yet.
	NoPackage []string
	LeftOut   []Note // the kit's paths not in the handout, and why
	Tidy      string // what became of go.mod
}

// Lab is one lab's skeleton put in place.
type Lab struct {
	Name     string
	Skeleton []string // files written, relative to the handout
	Replaced []string // the kit's files of the lab not in the handout
}

// Note is a path and why.
type Note struct{ Path, Why string }

// SkeletonLabs lists the labs that have a skeleton.
func SkeletonLabs() []string {
	ents, _ := fs.ReadDir(skeletons, skeletonRoot)
	var labs []string
	for _, e := range ents {
		if e.IsDir() {
			labs = append(labs, e.Name())
		}
	}
	return labs
}

// Write writes the handout of the kit at kitRoot to out, a new or empty
// folder.
func Write(kitRoot, out string, opts Options) (*Report, error) {
	kitRoot, err := filepath.Abs(kitRoot)
	if err != nil {
		return nil, err
	}
	if err := emptyOrMissing(out); err != nil {
		return nil, err
	}
	rep := &Report{Kit: kitRoot, Out: out}
	kitLabs := kit.Labs(kitRoot)
	skelLabs := SkeletonLabs()
	for _, lab := range kitLabs {
		if !slices.Contains(skelLabs, lab) {
			return nil, fmt.Errorf("the kit has a %s package but there is no skeleton for it: add internal/handout/%s/%s/ with the lab's files as a student starts them (a handout never carries a solution)", lab, skeletonRoot, lab)
		}
	}
	for _, lab := range skelLabs {
		if slices.Contains(kitLabs, lab) {
			rep.Labs = append(rep.Labs, Lab{Name: lab})
		} else {
			rep.NoPackage = append(rep.NoPackage, lab)
		}
	}

	skip := func(rel string, isDir bool) bool {
		for _, l := range leftOut {
			if rel == l.path {
				rep.LeftOut = append(rep.LeftOut, Note{rel, l.why})
				return true
			}
		}
		dir, base := path.Split(rel)
		dir = strings.TrimSuffix(dir, "/")
		for i, lab := range rep.Labs {
			switch {
			case isDir && dir == lab.Name && base == "testdata":
				rep.LeftOut = append(rep.LeftOut, Note{rel, "the lab's test data (our second Raft is a solution)"})
				return true
			case !isDir && dir == lab.Name && kit.IsSource(base) && base != "persister.go":
				rep.Labs[i].Replaced = append(rep.Labs[i].Replaced, rel)
				return true
			}
		}
		return false
	}
	if err := kit.Copy(kitRoot, out, skip); err != nil {
		return nil, fmt.Errorf("copying the kit to %s: %w", out, err)
	}
	for i, lab := range rep.Labs {
		files, err := writeSkeleton(lab.Name, out)
		if err != nil {
			return nil, err
		}
		rep.Labs[i].Skeleton = files
	}
	if err := os.WriteFile(filepath.Join(out, "README.md"), studentReadme, 0o644); err != nil {
		return nil, err
	}
	if err := trimMakefile(filepath.Join(out, "Makefile")); err != nil {
		return nil, err
	}
	pruned, err := pruneInternal(out, opts.GoCmd)
	if err != nil {
		return nil, err
	}
	rep.LeftOut = append(rep.LeftOut, pruned...)
	rep.Tidy = tidy(out, opts.GoCmd)
	return rep, nil
}

// tidy drops the requirements only the left-out tools had (cobra, the
// terminal and browser libraries) from the handout's go.mod, with go mod
// tidy and no network: everything the handout needs is in the module
// cache already. If that fails, the kit's go.mod stays (its extra lines
// are harmless) and the report says why.
func tidy(out, goCmd string) string {
	if goCmd == "" {
		goCmd = "go"
	}
	mod := filepath.Join(out, "go.mod")
	sum := filepath.Join(out, "go.sum")
	oldMod, err1 := os.ReadFile(mod)
	oldSum, err2 := os.ReadFile(sum)
	if err1 != nil || err2 != nil {
		return "go.mod kept as the kit's: " + errors.Join(err1, err2).Error()
	}
	cmd := exec.Command(goCmd, "mod", "tidy")
	cmd.Dir = out
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=mod")
	if msg, err := cmd.CombinedOutput(); err != nil {
		os.WriteFile(mod, oldMod, 0o644)
		os.WriteFile(sum, oldSum, 0o644)
		return fmt.Sprintf("go.mod kept as the kit's (go mod tidy without network failed: %v: %s)", err, strings.TrimSpace(string(msg)))
	}
	return "go.mod tidied: only what the handout imports"
}

func writeSkeleton(lab, out string) ([]string, error) {
	dir := path.Join(skeletonRoot, lab)
	ents, err := fs.ReadDir(skeletons, dir)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		data, err := skeletons.ReadFile(path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		rel := path.Join(lab, e.Name())
		if err := os.WriteFile(filepath.Join(out, filepath.FromSlash(rel)), data, 0o644); err != nil {
			return nil, err
		}
		files = append(files, rel)
	}
	return files, nil
}

// trimMakefile drops the Makefile's rules that run the staff's tools (a
// paragraph whose recipe names ./cmd/), and their names from .PHONY.
func trimMakefile(file string) error {
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	paras := strings.Split(string(data), "\n\n")
	var kept, dropped []string
	for _, p := range paras {
		if !strings.Contains(p, "./cmd/") {
			kept = append(kept, p)
			continue
		}
		sc := bufio.NewScanner(strings.NewReader(p))
		for sc.Scan() {
			line := sc.Text()
			if line == "" || line[0] == '\t' || line[0] == '#' {
				continue
			}
			if targets, _, ok := strings.Cut(line, ":"); ok {
				dropped = append(dropped, strings.Fields(targets)...)
			}
		}
	}
	text := strings.Join(kept, "\n\n")
	var b strings.Builder
	for _, line := range strings.SplitAfter(text, "\n") {
		if rest, ok := strings.CutPrefix(line, ".PHONY:"); ok {
			var names []string
			for _, n := range strings.Fields(rest) {
				if !slices.Contains(dropped, n) {
					names = append(names, n)
				}
			}
			line = ".PHONY: " + strings.Join(names, " ") + "\n"
		}
		b.WriteString(line)
	}
	return os.WriteFile(file, []byte(b.String()), 0o644)
}

// pruneInternal removes the handout's internal packages that none of its
// other packages (tests included) import: the staff tools' helpers.
func pruneInternal(out, goCmd string) ([]Note, error) {
	if goCmd == "" {
		goCmd = "go"
	}
	ents, err := os.ReadDir(out)
	if err != nil {
		return nil, err
	}
	var patterns []string
	for _, e := range ents {
		if e.IsDir() && e.Name() != "internal" && !strings.HasPrefix(e.Name(), ".") && !strings.HasPrefix(e.Name(), "_") && e.Name() != "testdata" {
			if hasGo(filepath.Join(out, e.Name())) {
				patterns = append(patterns, "./"+e.Name()+"/...")
			}
		}
	}
	module, err := kit.ModulePath(out)
	if err != nil {
		return nil, err
	}
	args := append([]string{"list", "-e", "-deps", "-test", "-f", "{{.ImportPath}}"}, patterns...)
	cmd := exec.Command(goCmd, args...)
	cmd.Dir = out
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	listed, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list in the handout: %v\n%s", err, stderr.String())
	}
	needed := map[string]bool{}
	for _, p := range strings.Fields(string(listed)) {
		p, _, _ = strings.Cut(p, " ") // "pkg [pkg.test]" variants
		if rest, ok := strings.CutPrefix(p, module+"/internal/"); ok {
			needed[rest] = true
		}
	}
	var notes []Note
	internal := filepath.Join(out, "internal")
	ents, err = os.ReadDir(internal)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		if !e.IsDir() || needed[e.Name()] || needsSub(needed, e.Name()) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(internal, e.Name())); err != nil {
			return nil, err
		}
		notes = append(notes, Note{"internal/" + e.Name(), "used only by the staff's tools"})
	}
	sort.Slice(notes, func(i, j int) bool { return notes[i].Path < notes[j].Path })
	return notes, nil
}

func needsSub(needed map[string]bool, dir string) bool {
	for p := range needed {
		if strings.HasPrefix(p, dir+"/") {
			return true
		}
	}
	return false
}

func hasGo(dir string) bool {
	found := false
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".go") {
			found = true
			return filepath.SkipAll
		}
		return nil
	})
	return found
}

func emptyOrMissing(dir string) error {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(ents) > 0 {
		return fmt.Errorf("%s is not empty: name a new folder for the handout", dir)
	}
	return nil
}

// String renders the report as raftlab handout prints it.
func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "wrote the handout to %s from the kit at %s\n", r.Out, r.Kit)
	for _, l := range r.Labs {
		fmt.Fprintf(&b, "%s: skeleton %s in place of the kit's %s\n", l.Name, strings.Join(l.Skeleton, ", "), strings.Join(l.Replaced, ", "))
	}
	for _, lab := range r.NoPackage {
		fmt.Fprintf(&b, "%s: skeleton not used (the kit has no %s package)\n", lab, lab)
	}
	for _, n := range r.LeftOut {
		fmt.Fprintf(&b, "left out %s: %s\n", n.Path, n.Why)
	}
	if r.Tidy != "" {
		fmt.Fprintln(&b, r.Tidy)
	}
	return b.String()
}
