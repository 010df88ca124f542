// Package adopt fits a student's classic lab code into the raftlab kit.
//
// Code written for the classic labs lives in a tree of module "6.5840"
// (src/raft, src/kvraft, src/shardctrler, src/shardkv beside the course's
// labrpc, labgob and test harness) and calls DPrintf from the classic
// util.go. The kit's lab packages have the same contract, so the student's
// implementation files compile against the kit's suites once they are
// copied into the kit's lab folders with their imports pointed at the kit's
// module. Adopt does that, and nothing silently:
//
//	rep, err := adopt.Adopt("alice/6.5840", kitCopy, adopt.Options{})
//	fmt.Print(rep) // every file copied, kit file removed or replaced, import rewritten, helper supplied
//
// It copies only the student's own files: never tests, the classic harness
// (config.go, persister.go), labrpc or labgob, for which the kit has its own.
// The kit's reference implementation of an adopted lab (every non-test file
// of the lab's folder but persister.go and doc.go) is removed, and the
// report lists each file removed or replaced. Everything is checked before
// anything is written: an import of a package the kit lacks, a module the
// kit does not require, a file of the wrong package, or a name that clashes
// with one of the kit's test files is an error saying what to change, and
// the kit is left as it was.
//
// Adopt changes the kit it is given in place; graders adopt into a copy
// (kit.Copy, or the raftlab command's -out flag).
package adopt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"raftlab/internal/kit"
)

// ClassicModule is the module path of the classic lab tree, used when the
// student's tree has no go.mod to say otherwise.
const ClassicModule = "6.5840"

// Options tune an adoption. The zero value adopts every lab that both the
// student's tree and the kit have, and writes the result.
type Options struct {
	// Labs restricts the adoption to these labs (raft, kvraft, shardctrler,
	// shardkv). Asking for a lab that the student's tree or the kit lacks is
	// an error; without Labs such a lab is only noted in the report.
	Labs []string
	// DryRun plans and reports everything, and changes nothing.
	DryRun bool
	// Compile, after writing, compiles each adopted lab with its tests
	// against the kit (go test -c); a failure is an error carrying the
	// compiler's output. The report is returned either way.
	Compile bool
	// GoCmd is the go command Compile runs (default "go").
	GoCmd string
}

// Report says exactly what an adoption did (or, with DryRun, would do).
type Report struct {
	Student       string // the student's tree as given
	Layout        Layout
	StudentModule string // the module path the student's imports use
	Kit           string // the kit's root
	KitModule     string
	DryRun        bool
	// Written says that the kit was changed: the report is what happened
	// (even when Compile then failed). An error before writing leaves it
	// false and the kit as it was.
	Written    bool
	Labs       []Lab  // the labs adopted
	NotAdopted []Note // the student's folders left out, and why
}

// Layout is the shape of the student's tree.
type Layout string

const (
	// SrcTree is the classic src/ folder (or the tree above it): one folder
	// per lab beside labrpc, labgob and the rest.
	SrcTree Layout = "classic src tree"
	// LabFolder is a single lab's folder, named by its package clause.
	LabFolder Layout = "single lab folder"
)

// Lab is what happened to one lab.
type Lab struct {
	Name string
	From string // the student's folder
	// Copied are the student's files now in the kit.
	Copied []Copied
	// RemovedFromKit are the kit's reference files deleted because the
	// student's code takes their place (a kit file that a student file of
	// the same name replaced is in Copied instead).
	RemovedFromKit []string
	Rewrites       []Rewrite
	Supplied       []Supplied
	LeftOut        []Note // the student's files not copied, and why
}

// Copied is one student file copied into the kit.
type Copied struct {
	From, To string
	// Replaced says that the kit had a file of that name, now overwritten.
	Replaced bool
}

// Rewrite is one import path changed from the student's module to the kit's.
type Rewrite struct {
	File     string // in the kit
	Line     int
	From, To string
}

// Supplied is a file adopt wrote because the student's code needed it.
type Supplied struct {
	File string // in the kit
	What string
}

// Note is a path and why it was left out.
type Note struct {
	Path, Why string
}

// classicHarness are the classic course's own files in a lab folder, which
// the kit's harness replaces.
var classicHarness = map[string]string{
	"config.go":    "the classic test harness; the kit's suite has its own",
	"persister.go": "the classic Persister; the kit has its own (raft.Persister)",
	"test.go":      "the classic test harness; the kit's suite has its own",
}

// kitKept are the non-test files of a kit lab that are not the reference
// implementation, and stay when a student's code is adopted.
var kitKept = map[string]bool{"persister.go": true, "doc.go": true}

// notLabs explains the classic tree's other folders.
var notLabs = map[string]string{
	"labrpc":    "the kit's own labrpc is used",
	"labgob":    "the kit's own labgob is used",
	"porcupine": "the kit's own porcupine is used",
	"models":    "the kit's own porcupine/models is used",
}

// Adopt copies the student's lab implementation found in studentDir into
// the kit at kitDir (a raftlab module root), as the package doc says.
func Adopt(studentDir, kitDir string, opts Options) (*Report, error) {
	kitRoot, err := filepath.Abs(kitDir)
	if err != nil {
		return nil, err
	}
	kitModule, err := kit.ModulePath(kitRoot)
	if err != nil {
		return nil, fmt.Errorf("the kit at %s: %w (name the raftlab module's root)", kitDir, err)
	}
	src, err := locate(studentDir)
	if err != nil {
		return nil, err
	}
	rep := &Report{Student: studentDir, Layout: src.layout, StudentModule: src.module,
		Kit: kitRoot, KitModule: kitModule, DryRun: opts.DryRun}

	labs, err := chooseLabs(src, kitRoot, opts.Labs, rep)
	if err != nil {
		return rep, err
	}
	if len(labs) == 0 {
		return rep, fmt.Errorf("no lab to adopt in %s: it has no raft, kvraft, shardctrler or shardkv folder with Go files that the kit also has", studentDir)
	}

	requires, err := kitRequires(kitRoot)
	if err != nil {
		return rep, err
	}
	fit := fitter{kitRoot: kitRoot, kitModule: kitModule, studentModule: src.module, requires: requires}
	var plans []*labPlan
	var errs []error
	for _, lab := range labs {
		p, err := fit.plan(lab, src.labDirs[lab], studentDir)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		plans = append(plans, p)
		rep.Labs = append(rep.Labs, p.report)
	}
	if len(errs) > 0 {
		return rep, fmt.Errorf("cannot adopt %s into the kit; nothing was changed:\n%w", studentDir, errors.Join(errs...))
	}
	if opts.DryRun {
		return rep, nil
	}
	for _, p := range plans {
		if err := p.apply(); err != nil {
			return rep, fmt.Errorf("writing %s into the kit: %w", p.report.Name, err)
		}
		rep.Written = true
	}
	if opts.Compile {
		if err := compile(kitRoot, labs, opts.GoCmd); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// source is the student's tree, located.
type source struct {
	layout  Layout
	module  string
	root    string            // the src folder, or the lab folder
	labDirs map[string]string // lab -> folder
	others  []string          // other folders of a src tree
}

func locate(dir string) (*source, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("the student's tree: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("the student's tree %s is a file: name the folder that holds src/ (or the lab folder)", dir)
	}
	root := dir
	if fileExists(filepath.Join(dir, "src", "go.mod")) {
		root = filepath.Join(dir, "src")
	}
	module := ""
	if fileExists(filepath.Join(root, "go.mod")) {
		if module, err = kit.ModulePath(root); err != nil {
			return nil, err
		}
	}
	s := &source{layout: SrcTree, module: module, root: root, labDirs: map[string]string{}}
	ents, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if slices.Contains(kit.AllLabs, e.Name()) && hasGoFiles(filepath.Join(root, e.Name())) {
			s.labDirs[e.Name()] = filepath.Join(root, e.Name())
		} else {
			s.others = append(s.others, e.Name())
		}
	}
	if len(s.labDirs) > 0 {
		if s.module == "" {
			s.module = ClassicModule
		}
		return s, nil
	}
	// A single lab's folder: its package clause names the lab.
	pkg, err := packageOf(dir)
	if err != nil {
		return nil, err
	}
	if pkg == "" {
		return nil, fmt.Errorf("no classic lab tree in %s: expected src/ with a go.mod (module %s), lab folders (raft/, kvraft/, shardctrler/, shardkv/), or one lab folder's .go files", dir, ClassicModule)
	}
	if !slices.Contains(kit.AllLabs, pkg) {
		return nil, fmt.Errorf("%s holds package %s, which is not a lab the kit grades (%s)", dir, pkg, strings.Join(kit.AllLabs, ", "))
	}
	s = &source{layout: LabFolder, module: ClassicModule, root: dir, labDirs: map[string]string{pkg: dir}}
	if parent := filepath.Dir(dir); fileExists(filepath.Join(parent, "go.mod")) {
		if m, err := kit.ModulePath(parent); err == nil {
			s.module = m
		}
	}
	return s, nil
}

// packageOf returns the package clause of dir's non-test Go files, "" if
// it has none, and an error if they disagree.
func packageOf(dir string) (string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	pkg := ""
	for _, e := range ents {
		if e.IsDir() || !kit.IsSource(e.Name()) {
			continue
		}
		if _, harness := classicHarness[e.Name()]; harness {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, e.Name()), nil, parser.PackageClauseOnly)
		if err != nil {
			return "", fmt.Errorf("reading the student's code: %w", err)
		}
		switch {
		case pkg == "":
			pkg = f.Name.Name
		case pkg != f.Name.Name:
			return "", fmt.Errorf("%s mixes packages %s and %s: a lab folder holds one package", dir, pkg, f.Name.Name)
		}
	}
	return pkg, nil
}

func chooseLabs(src *source, kitRoot string, want []string, rep *Report) ([]string, error) {
	kitLabs := kit.Labs(kitRoot)
	for _, lab := range want {
		if !slices.Contains(kit.AllLabs, lab) {
			return nil, fmt.Errorf("unknown lab %q: the labs are %s", lab, strings.Join(kit.AllLabs, ", "))
		}
		if src.labDirs[lab] == "" {
			return nil, fmt.Errorf("the student's tree %s has no %s folder with Go files", rep.Student, lab)
		}
		if !slices.Contains(kitLabs, lab) {
			return nil, fmt.Errorf("the kit at %s has no %s package to adopt into", kitRoot, lab)
		}
	}
	var labs []string
	for _, lab := range kit.AllLabs {
		if src.labDirs[lab] == "" {
			continue
		}
		rel := relTo(rep.Student, src.labDirs[lab])
		switch {
		case len(want) > 0 && !slices.Contains(want, lab):
			rep.NotAdopted = append(rep.NotAdopted, Note{rel, "not asked for"})
		case !slices.Contains(kitLabs, lab):
			rep.NotAdopted = append(rep.NotAdopted, Note{rel, "the kit has no " + lab + " package yet"})
		default:
			labs = append(labs, lab)
		}
	}
	for _, o := range src.others {
		why, ok := notLabs[o]
		if !ok {
			why = "not a lab the kit grades"
		}
		rep.NotAdopted = append(rep.NotAdopted, Note{relTo(rep.Student, filepath.Join(src.root, o)), why})
	}
	return labs, nil
}

// fitter checks and rewrites one lab's files.
type fitter struct {
	kitRoot, kitModule, studentModule string
	requires                          []string // module paths in the kit's go.mod
}

type labPlan struct {
	dir    string // the kit's lab folder
	remove []string
	write  map[string][]byte // file name -> content
	report Lab
}

type studentFile struct {
	name string
	src  []byte
	ast  *ast.File
	fset *token.FileSet
}

func (f *fitter) plan(lab, from, studentDir string) (*labPlan, error) {
	kitDir := filepath.Join(f.kitRoot, lab)
	p := &labPlan{dir: kitDir, write: map[string][]byte{},
		report: Lab{Name: lab, From: relTo(studentDir, from)}}
	ents, err := os.ReadDir(from)
	if err != nil {
		return nil, err
	}
	var files []*studentFile
	var errs []error
	for _, e := range ents {
		name := e.Name()
		path := relTo(studentDir, filepath.Join(from, name))
		switch {
		case e.IsDir():
			p.report.LeftOut = append(p.report.LeftOut, Note{path, "a subfolder: only the lab folder's own files are adopted"})
		case !strings.HasSuffix(name, ".go"):
			p.report.LeftOut = append(p.report.LeftOut, Note{path, "not Go source"})
		case strings.HasSuffix(name, "_test.go"):
			p.report.LeftOut = append(p.report.LeftOut, Note{path, "a test file: the kit's suite grades the lab"})
		case classicHarness[name] != "":
			p.report.LeftOut = append(p.report.LeftOut, Note{path, classicHarness[name]})
		default:
			data, err := os.ReadFile(filepath.Join(from, name))
			if err != nil {
				return nil, err
			}
			fset := token.NewFileSet()
			af, err := parser.ParseFile(fset, path, data, parser.ParseComments)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s does not parse: %w", path, err))
				continue
			}
			if af.Name.Name != lab {
				errs = append(errs, fmt.Errorf("%s is package %s; the files of the %s lab must be package %s", path, af.Name.Name, lab, lab))
				continue
			}
			if declares(af, "make_config") {
				p.report.LeftOut = append(p.report.LeftOut, Note{path, "declares make_config: the classic test harness, which the kit's suite replaces"})
				continue
			}
			files = append(files, &studentFile{name: name, src: data, ast: af, fset: fset})
		}
	}
	if len(files) == 0 && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("%s has no implementation files to adopt (only tests and the classic harness)", relTo(studentDir, from)))
	}
	for _, sf := range files {
		out, rewrites, err := f.rewriteImports(sf, lab)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", relTo(studentDir, filepath.Join(from, sf.name)), err))
			continue
		}
		p.write[sf.name] = out
		p.report.Rewrites = append(p.report.Rewrites, rewrites...)
	}
	if err := clashes(kitDir, lab, files); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if name, body, what, err := dprintfHelper(lab, files); err != nil {
		return nil, fmt.Errorf("%s: %w", lab, err)
	} else if body != nil {
		p.write[name] = body
		p.report.Supplied = append(p.report.Supplied, Supplied{File: lab + "/" + name, What: what})
	}

	kitEnts, err := os.ReadDir(kitDir)
	if err != nil {
		return nil, err
	}
	for _, e := range kitEnts {
		n := e.Name()
		if e.IsDir() || !kit.IsSource(n) {
			continue
		}
		if _, ours := p.write[n]; ours {
			continue // replaced, reported with the copy
		}
		if !kitKept[n] {
			p.remove = append(p.remove, n)
			p.report.RemovedFromKit = append(p.report.RemovedFromKit, lab+"/"+n)
		}
	}
	for _, sf := range files {
		p.report.Copied = append(p.report.Copied, Copied{
			From:     relTo(studentDir, filepath.Join(from, sf.name)),
			To:       lab + "/" + sf.name,
			Replaced: fileExists(filepath.Join(kitDir, sf.name)),
		})
	}
	return p, nil
}

func (p *labPlan) apply() error {
	for _, n := range p.remove {
		if err := os.Remove(filepath.Join(p.dir, n)); err != nil {
			return err
		}
	}
	names := make([]string, 0, len(p.write))
	for n := range p.write {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(p.dir, n), p.write[n], 0o644); err != nil {
			return err
		}
	}
	return nil
}

// rewriteImports points the file's imports of the student's module at the
// kit's, splicing the source so that everything else stays byte for byte.
func (f *fitter) rewriteImports(sf *studentFile, lab string) ([]byte, []Rewrite, error) {
	type splice struct {
		start, end int
		text       string
	}
	var splices []splice
	var rewrites []Rewrite
	var errs []error
	for _, imp := range sf.ast.Imports {
		path, err := strconv.Unquote(imp.Path.Value)
		if err != nil {
			return nil, nil, err
		}
		line := sf.fset.Position(imp.Pos()).Line
		if sub, ok := f.courseImport(path); ok {
			if sub == "" || !kit.HasGoPackage(filepath.Join(f.kitRoot, filepath.FromSlash(sub))) {
				errs = append(errs, fmt.Errorf("line %d imports %q, but the kit has no package %s: remove the import, or move what it gives into the %s folder", line, path, sub, lab))
				continue
			}
			if sub == lab {
				errs = append(errs, fmt.Errorf("line %d imports its own package %q", line, path))
				continue
			}
			to := f.kitModule + "/" + sub
			splices = append(splices, splice{sf.fset.Position(imp.Path.Pos()).Offset, sf.fset.Position(imp.Path.End()).Offset, strconv.Quote(to)})
			rewrites = append(rewrites, Rewrite{File: lab + "/" + sf.name, Line: line, From: path, To: to})
			continue
		}
		switch {
		case isStd(path):
		case path == f.kitModule || strings.HasPrefix(path, f.kitModule+"/"):
			// already the kit's (an earlier adoption, or a student of this kit)
		default:
			if !slices.ContainsFunc(f.requires, func(m string) bool { return path == m || strings.HasPrefix(path, m+"/") }) {
				errs = append(errs, fmt.Errorf("line %d imports %q, from a module the kit does not require: add it to the kit (go get %s in the kit) or remove the import", line, path, path))
			}
		}
	}
	if len(errs) > 0 {
		return nil, nil, errors.Join(errs...)
	}
	out := sf.src
	for i := len(splices) - 1; i >= 0; i-- {
		s := splices[i]
		out = slices.Concat(out[:s.start], []byte(s.text), out[s.end:])
	}
	return out, rewrites, nil
}

// courseModules are the module paths the course's trees have had, besides
// whatever the student's go.mod says: a lab folder copied out of its tree
// still imports its course's packages by them.
var courseModules = []string{ClassicModule, "6.824"}

// gopathPackages are the course's packages as trees from before modules
// imported them: by bare name.
var gopathPackages = map[string]bool{"labrpc": true, "labgob": true, "raft": true, "kvraft": true,
	"shardctrler": true, "shardkv": true, "porcupine": true, "models": true}

// courseImport says whether path names a package of the course's tree, and
// which (its path inside the tree, "" for the module itself).
func (f *fitter) courseImport(path string) (string, bool) {
	for _, m := range append([]string{f.studentModule}, courseModules...) {
		if path == m || strings.HasPrefix(path, m+"/") {
			return strings.TrimPrefix(strings.TrimPrefix(path, m), "/"), true
		}
	}
	if gopathPackages[path] {
		return path, true
	}
	return "", false
}

// isStd says whether an import path is the standard library's: its first
// element has no dot (and it is not the student's module, checked first).
func isStd(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

// clashes reports package-level names that a student file declares and so
// does one of the kit files that stay in the lab's folder (its tests, the
// Persister alias): the test build would not compile.
func clashes(kitDir, lab string, files []*studentFile) error {
	ents, err := os.ReadDir(kitDir)
	if err != nil {
		return err
	}
	kitNames := map[string]string{} // name -> kit file
	for _, e := range ents {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || !(strings.HasSuffix(n, "_test.go") || kitKept[n]) {
			continue
		}
		if kitKept[n] && replacedBy(files, n) {
			continue // the student's file of that name replaces ours
		}
		af, err := parser.ParseFile(token.NewFileSet(), filepath.Join(kitDir, n), nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		if af.Name.Name != lab {
			continue // an external test package (package lab_test) shares no names
		}
		for _, name := range topLevelNames(af) {
			kitNames[name] = lab + "/" + n
		}
	}
	var errs []error
	for _, sf := range files {
		for _, name := range topLevelNames(sf.ast) {
			if k, ok := kitNames[name]; ok {
				errs = append(errs, fmt.Errorf("%s/%s declares %s, and so does the kit's %s: rename yours (the kit's suite needs its own)", lab, sf.name, name, k))
			}
		}
	}
	return errors.Join(errs...)
}

func replacedBy(files []*studentFile, name string) bool {
	return slices.ContainsFunc(files, func(sf *studentFile) bool { return sf.name == name })
}

// topLevelNames are the package-level names a file declares (not methods,
// init or _).
func topLevelNames(f *ast.File) []string {
	var names []string
	add := func(id *ast.Ident) {
		if id != nil && id.Name != "_" && id.Name != "init" {
			names = append(names, id.Name)
		}
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil {
				add(d.Name)
			}
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					add(s.Name)
				case *ast.ValueSpec:
					for _, n := range s.Names {
						add(n)
					}
				}
			}
		}
	}
	return names
}

func declares(f *ast.File, name string) bool {
	return slices.Contains(topLevelNames(f), name)
}

// dprintfHelper returns the classic debugging helper for a lab whose files
// call DPrintf without declaring it: the file to write, its content and a
// line for the report, or a nil body when nothing is needed.
func dprintfHelper(lab string, files []*studentFile) (name string, body []byte, what string, err error) {
	calls, hasDPrintf := false, false
	var debugDecl *ast.ValueSpec
	for _, sf := range files {
		for _, d := range sf.ast.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == "DPrintf" {
				hasDPrintf = true
			}
			if gd, ok := d.(*ast.GenDecl); ok {
				for _, s := range gd.Specs {
					if vs, ok := s.(*ast.ValueSpec); ok {
						for _, n := range vs.Names {
							if n.Name == "Debug" {
								debugDecl = vs
							}
						}
					}
				}
			}
		}
		ast.Inspect(sf.ast, func(n ast.Node) bool {
			if call, ok := n.(*ast.CallExpr); ok {
				if id, ok := call.Fun.(*ast.Ident); ok && id.Name == "DPrintf" {
					calls = true
				}
			}
			return true
		})
	}
	if !calls || hasDPrintf {
		return "", nil, "", nil
	}
	cond, what := "Debug", "Debug (false) and DPrintf, as the classic util.go has them: the code calls DPrintf and declares none"
	debugConst := "\n// Debug turns DPrintf's output on.\nconst Debug = false\n"
	if debugDecl != nil {
		debugConst = ""
		what = "DPrintf, printing when the code's own Debug is on: the code calls DPrintf and declares none"
		switch {
		case len(debugDecl.Values) == 1 && isIdent(debugDecl.Values[0], "true", "false"):
		case len(debugDecl.Values) == 1 && isIntLit(debugDecl.Values[0]):
			cond = "Debug > 0"
		default:
			return "", nil, "", fmt.Errorf("the code calls DPrintf, declares none, and declares a Debug whose type adopt cannot tell (want a bool or integer constant): add a DPrintf to your code")
		}
	}
	name = "util.go"
	for _, sf := range files {
		if sf.name == name {
			name = "dprintf.go"
		}
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "package %s\n\n// Supplied by raftlab adopt: the code calls DPrintf, the classic\n// debugging helper, and did not declare it.\n\nimport \"log\"\n%s\n", lab, debugConst)
	fmt.Fprintf(&b, "// DPrintf logs like log.Printf while %s.\nfunc DPrintf(format string, a ...interface{}) (n int, err error) {\n\tif %s {\n\t\tlog.Printf(format, a...)\n\t}\n\treturn\n}\n", cond, cond)
	return name, b.Bytes(), what, nil
}

func isIdent(e ast.Expr, names ...string) bool {
	id, ok := e.(*ast.Ident)
	return ok && slices.Contains(names, id.Name)
}

func isIntLit(e ast.Expr) bool {
	lit, ok := e.(*ast.BasicLit)
	return ok && lit.Kind == token.INT
}

// kitRequires lists the module paths the kit's go.mod requires.
func kitRequires(root string) ([]string, error) {
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return nil, err
	}
	var mods []string
	inBlock := false
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "require (":
			inBlock = true
		case inBlock && line == ")":
			inBlock = false
		case inBlock && line != "" && !strings.HasPrefix(line, "//"):
			mods = append(mods, strings.Fields(line)[0])
		case strings.HasPrefix(line, "require "):
			if fs := strings.Fields(line); len(fs) >= 2 {
				mods = append(mods, fs[1])
			}
		}
	}
	return mods, nil
}

// compile builds each adopted lab's test binary against the kit.
func compile(kitRoot string, labs []string, goCmd string) error {
	if goCmd == "" {
		goCmd = "go"
	}
	tmp, err := os.MkdirTemp("", "raftlab-adopt-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	var errs []error
	for _, lab := range labs {
		cmd := exec.CommandContext(context.Background(), goCmd, "test", "-c", "-vet=off", "-o", filepath.Join(tmp, lab+".test"), "./"+lab)
		cmd.Dir = kitRoot
		out, err := cmd.CombinedOutput()
		if err != nil {
			errs = append(errs, fmt.Errorf("the adopted %s lab does not compile against the kit's suite (%v):\n%s", lab, err, strings.TrimSpace(string(out))))
		}
	}
	return errors.Join(errs...)
}

func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir()
}

func hasGoFiles(dir string) bool {
	m, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	return len(m) > 0
}

func relTo(base, path string) string {
	if r, err := filepath.Rel(base, path); err == nil && !strings.HasPrefix(r, "..") {
		return filepath.ToSlash(r)
	}
	return filepath.ToSlash(path)
}
