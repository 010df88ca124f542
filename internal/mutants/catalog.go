// Package mutants measures how well the Raft lab's graded suite catches
// bugs. It plants each bug of a catalog, alone, into the plain Raft of
// raft/testdata/plainraft (a second, independent implementation), runs the
// suite against it in a scratch copy of the module, and reports which
// tests caught the bug and how fast. cmd/mutants is its command line.
package mutants

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"strings"
)

// Paths inside the module.
const (
	PlainRaftPath = "raft/testdata/plainraft/raft.go"
	CatalogPath   = "raft/testdata/plainraft/mutants.txt"
	// RaftPath is the file a student's raft.go replaces, and so the one
	// the plain Raft and its mutants replace in the scratch copy.
	RaftPath = "raft/raft.go"
)

// Mutant is one planted bug.
type Mutant struct {
	Name  string
	Bug   string // the student mistake it models, in one line
	Edits []Edit
	Line  int // where it starts in the catalog, for error messages
}

// Edit replaces the only occurrence of Old by New.
type Edit struct {
	Old, New string
}

var nameRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// ParseCatalog reads a catalog in the format described at the top of
// raft/testdata/plainraft/mutants.txt. file names the catalog in errors.
func ParseCatalog(file string, data []byte) ([]Mutant, error) {
	var (
		out    []Mutant
		cur    *Mutant
		edit   *Edit
		inText *[]string // the old or new lines being collected
		oldBuf []string
		newBuf []string
		seen   = map[string]int{}
	)
	fail := func(line int, format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s", file, line, fmt.Sprintf(format, args...))
	}
	finish := func(line int) error {
		if cur == nil {
			return nil
		}
		if inText != nil {
			return fail(line, "mutant %s: edit not closed with \"end\"", cur.Name)
		}
		if cur.Bug == "" {
			return fail(cur.Line, "mutant %s has no \"bug:\" line", cur.Name)
		}
		if len(cur.Edits) == 0 {
			return fail(cur.Line, "mutant %s has no edits", cur.Name)
		}
		out = append(out, *cur)
		cur = nil
		return nil
	}

	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if inText != nil {
			switch line {
			case "new:":
				if inText != &oldBuf {
					return nil, fail(n, "mutant %s: \"new:\" twice in one edit", cur.Name)
				}
				inText = &newBuf
			case "end":
				if inText != &newBuf {
					return nil, fail(n, "mutant %s: \"end\" before \"new:\"", cur.Name)
				}
				edit.Old = joinLines(oldBuf)
				edit.New = joinLines(newBuf)
				if strings.TrimSpace(edit.Old) == "" {
					return nil, fail(n, "mutant %s: an edit with an empty old text", cur.Name)
				}
				if edit.Old == edit.New {
					return nil, fail(n, "mutant %s: an edit whose new text is its old text", cur.Name)
				}
				cur.Edits = append(cur.Edits, *edit)
				edit, inText = nil, nil
			default:
				*inText = append(*inText, line)
			}
			continue
		}
		switch {
		case strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "mutant:"):
			if err := finish(n); err != nil {
				return nil, err
			}
			name := strings.TrimSpace(strings.TrimPrefix(line, "mutant:"))
			if !nameRE.MatchString(name) {
				return nil, fail(n, "mutant name %q: use lower-case letters, digits and dashes", name)
			}
			if prev, dup := seen[name]; dup {
				return nil, fail(n, "mutant %s already defined at line %d", name, prev)
			}
			seen[name] = n
			cur = &Mutant{Name: name, Line: n}
		case cur == nil:
			return nil, fail(n, "%q outside a mutant (a mutant starts with \"mutant: NAME\")", line)
		case strings.HasPrefix(line, "bug:"):
			if cur.Bug != "" {
				return nil, fail(n, "mutant %s has two \"bug:\" lines", cur.Name)
			}
			cur.Bug = strings.TrimSpace(strings.TrimPrefix(line, "bug:"))
			if cur.Bug == "" {
				return nil, fail(n, "mutant %s: empty \"bug:\" line", cur.Name)
			}
		case line == "old:":
			edit = &Edit{}
			oldBuf, newBuf = nil, nil
			inText = &oldBuf
		default:
			return nil, fail(n, "mutant %s: unexpected line %q (want \"bug:\", \"old:\" or the next \"mutant:\")", cur.Name, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if err := finish(n); err != nil {
		return nil, err
	}
	return out, nil
}

// joinLines turns collected lines back into text; every line, the last
// included, ends in a newline, so that an edit replaces whole lines.
func joinLines(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	return strings.Join(lines, "\n") + "\n"
}

// Apply returns src with the mutant's edits made, in order. An old text
// that is missing, or present more than once, is an error naming the
// mutant: the catalog has drifted from the code it mutates.
func (m Mutant) Apply(src []byte) ([]byte, error) {
	s := string(src)
	for i, e := range m.Edits {
		switch c := countLines(s, e.Old); c {
		case 1:
			s = replaceLines(s, e.Old, e.New)
		case 0:
			return nil, fmt.Errorf("mutant %s (catalog line %d), edit %d: its old text is not in the plain Raft any more; update the catalog:\n%s",
				m.Name, m.Line, i+1, indent(e.Old))
		default:
			return nil, fmt.Errorf("mutant %s (catalog line %d), edit %d: its old text occurs %d times in the plain Raft; make it unique:\n%s",
				m.Name, m.Line, i+1, c, indent(e.Old))
		}
	}
	return []byte(s), nil
}

// countLines counts the occurrences of old in s that start at the
// beginning of a line, so that an old text of whole lines never matches
// the tail of a longer line.
func countLines(s, old string) int {
	n := 0
	for i := 0; ; {
		j := strings.Index(s[i:], old)
		if j < 0 {
			return n
		}
		at := i + j
		if at == 0 || s[at-1] == '\n' {
			n++
		}
		i = at + 1
	}
}

// replaceLines replaces the only line-aligned occurrence of old in s.
func replaceLines(s, old, new string) string {
	for i := 0; ; {
		at := i + strings.Index(s[i:], old)
		if at == 0 || s[at-1] == '\n' {
			return s[:at] + new + s[at+len(old):]
		}
		i = at + 1
	}
}

func indent(s string) string {
	return "\t| " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n\t| ")
}
