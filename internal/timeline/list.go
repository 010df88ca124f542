package timeline

import (
	"bufio"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Summary is a timeline file's header: enough to pick one from a folder.
type Summary struct {
	Path, Test, Result, Seed, Headline string
}

// List summarizes the timeline files in dir (labtest's testlogs/), by
// name, leaving out other files and the replay checks' copies.
func List(dir string) ([]Summary, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.log"))
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	var out []Summary
	for _, p := range paths {
		if strings.HasSuffix(p, ".replay.log") {
			continue
		}
		if s, ok := readSummary(p); ok {
			out = append(out, s)
		}
	}
	return out, nil
}

// readSummary reads a file's header, up to its timeline.
func readSummary(path string) (Summary, bool) {
	f, err := os.Open(path)
	if err != nil {
		return Summary{}, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	s := Summary{Path: path}
	inFailures := false
	for n := 0; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case n == 0:
			rest, ok := strings.CutPrefix(line, "# labtest timeline of ")
			if !ok {
				return Summary{}, false
			}
			s.Test, s.Result, _ = strings.Cut(rest, ": ")
		case strings.HasPrefix(line, "# seed: "):
			s.Seed = strings.TrimPrefix(line, "# seed: ")
		case strings.HasPrefix(line, "# crash: "):
			s.Headline = strings.TrimPrefix(line, "# crash: ")
		case strings.HasPrefix(line, "# failures, in the order noted"):
			inFailures = true
		case strings.HasPrefix(line, "# timeline ("), strings.HasPrefix(line, "# the crash report"):
			return s, true
		case inFailures && line != "#" && s.Headline == "":
			s.Headline = line
		}
	}
	return s, s.Test != ""
}
