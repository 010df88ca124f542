package grade

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

//go:embed rubric.yaml
var defaultRubric []byte

// DefaultRubric returns the rubric that ships with the kit (rubric.yaml
// beside this file).
func DefaultRubric() *Rubric {
	r, err := ParseRubric(defaultRubric, "rubric.yaml (built in)")
	if err != nil {
		// The embedded file is checked by the package's tests.
		panic(err)
	}
	return r
}

// Rubric says which tests make up each lab's grade, in which part, and for
// how many points.
type Rubric struct {
	Labs []Lab
}

// Lab is one lab of a rubric: its package and its parts, in order.
type Lab struct {
	Name    string
	Package string              // relative to the kit's root, "./raft"
	Args    map[string][]string // extra test-binary flags per test
	Parts   []Part              // sorted by name
}

// Part is a part of a lab (3A, 4B, challenge): its tests and their points.
type Part struct {
	Name  string
	Tests []RubricTest // sorted by name; the grader runs a part's tests in the binary's order
}

// RubricTest is one graded test.
type RubricTest struct {
	Name   string
	Points float64
}

// Grades reports whether the rubric gives points for test of lab.
func (r *Rubric) Grades(lab, test string) bool {
	for _, l := range r.Labs {
		if l.Name != lab {
			continue
		}
		for _, p := range l.Parts {
			for _, t := range p.Tests {
				if t.Name == test {
					return true
				}
			}
		}
	}
	return false
}

// LoadRubric reads a rubric file.
func LoadRubric(file string) (*Rubric, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("rubric: %w", err)
	}
	return ParseRubric(data, file)
}

type rubricFile struct {
	Labs []struct {
		Name    string                        `yaml:"name"`
		Package string                        `yaml:"package"`
		Args    map[string][]string           `yaml:"args"`
		Parts   map[string]map[string]float64 `yaml:"parts"`
	} `yaml:"labs"`
}

// ParseRubric reads a rubric from YAML (see rubric.yaml for the shape);
// name is what errors call the source.
func ParseRubric(data []byte, name string) (*Rubric, error) {
	var f rubricFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("rubric %s: the file is empty; it needs a `labs:` list (see the built-in rubric.yaml)", name)
		}
		return nil, fmt.Errorf("rubric %s: %v (the shape is labs: [{name, package, parts: {PART: {TestName: points}}}])", name, err)
	}
	if len(f.Labs) == 0 {
		return nil, fmt.Errorf("rubric %s: no labs; it needs a `labs:` list (see the built-in rubric.yaml)", name)
	}
	r := &Rubric{}
	labs := map[string]bool{}
	for i, fl := range f.Labs {
		where := fmt.Sprintf("rubric %s: lab %d (%q)", name, i+1, fl.Name)
		switch {
		case fl.Name == "":
			return nil, fmt.Errorf("%s: no name", where)
		case labs[fl.Name]:
			return nil, fmt.Errorf("%s: a second lab of that name", where)
		case fl.Package == "":
			return nil, fmt.Errorf("%s: no package (e.g. package: ./%s)", where, fl.Name)
		case path.IsAbs(fl.Package) || strings.HasPrefix(path.Clean(fl.Package), ".."):
			return nil, fmt.Errorf("%s: package %q must be inside the kit, relative to its root (e.g. ./%s)", where, fl.Package, fl.Name)
		case len(fl.Parts) == 0:
			return nil, fmt.Errorf("%s: no parts", where)
		}
		labs[fl.Name] = true
		lab := Lab{Name: fl.Name, Package: "./" + path.Clean(fl.Package), Args: fl.Args}
		seen := map[string]string{}
		for pname, tests := range fl.Parts {
			if len(tests) == 0 {
				return nil, fmt.Errorf("%s: part %s has no tests", where, pname)
			}
			part := Part{Name: pname}
			for tname, pts := range tests {
				if !strings.HasPrefix(tname, "Test") || strings.ContainsAny(tname, "/ \t") {
					return nil, fmt.Errorf("%s: part %s: %q is not a top-level test name (TestXxx)", where, pname, tname)
				}
				if pts < 0 || math.IsNaN(pts) || math.IsInf(pts, 0) {
					return nil, fmt.Errorf("%s: part %s: %s has %v points; points are a number ≥ 0", where, pname, tname, pts)
				}
				if other, dup := seen[tname]; dup {
					return nil, fmt.Errorf("%s: %s is in parts %s and %s; a test belongs to one part", where, tname, other, pname)
				}
				seen[tname] = pname
				part.Tests = append(part.Tests, RubricTest{Name: tname, Points: pts})
			}
			sort.Slice(part.Tests, func(a, b int) bool { return part.Tests[a].Name < part.Tests[b].Name })
			lab.Parts = append(lab.Parts, part)
		}
		for tname := range fl.Args {
			if _, ok := seen[tname]; !ok {
				return nil, fmt.Errorf("%s: args for %s, which no part names", where, tname)
			}
		}
		sort.Slice(lab.Parts, func(a, b int) bool { return lab.Parts[a].Name < lab.Parts[b].Name })
		r.Labs = append(r.Labs, lab)
	}
	return r, nil
}

// Selection is what one grading run covers: for each lab, the parts chosen.
type Selection []SelectedLab

// SelectedLab is a lab and the parts of it a run grades.
type SelectedLab struct {
	Lab   Lab
	Parts []Part
}

// Select resolves command-line names: a lab name takes the whole lab, a
// part name (3A, 5B) that part in every lab that has it; none takes every
// lab. Order follows the rubric, not the arguments.
func (r *Rubric) Select(names []string) (Selection, error) {
	wantLab := map[string]bool{}
	wantPart := map[string]bool{}
	for _, n := range names {
		found := false
		for _, lab := range r.Labs {
			if strings.EqualFold(lab.Name, n) {
				wantLab[lab.Name], found = true, true
			}
			for _, p := range lab.Parts {
				if strings.EqualFold(p.Name, n) {
					wantPart[p.Name], found = true, true
				}
			}
		}
		if !found {
			return nil, fmt.Errorf("grade: %q is neither a lab nor a part of the rubric; choose from labs %s or parts %s",
				n, strings.Join(r.labNames(), ", "), strings.Join(r.partNames(), ", "))
		}
	}
	var sel Selection
	for _, lab := range r.Labs {
		sl := SelectedLab{Lab: lab}
		for _, p := range lab.Parts {
			if len(names) == 0 || wantLab[lab.Name] || wantPart[p.Name] {
				sl.Parts = append(sl.Parts, p)
			}
		}
		if len(sl.Parts) > 0 {
			sel = append(sel, sl)
		}
	}
	return sel, nil
}

func (r *Rubric) labNames() []string {
	var out []string
	for _, l := range r.Labs {
		out = append(out, l.Name)
	}
	return out
}

func (r *Rubric) partNames() []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range r.Labs {
		for _, p := range l.Parts {
			if !seen[p.Name] {
				seen[p.Name] = true
				out = append(out, p.Name)
			}
		}
	}
	sort.Strings(out)
	return out
}
