package timeline

import (
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ReplaySuffix ends the name of the timeline the harness's replay check
// wrote beside a run's own (<Test>-seed<S>.replay.log) when the same seed
// failed differently in a fresh process.
const ReplaySuffix = ".replay.log"

// IsReplay reports whether path is a replay check's timeline rather than
// a run's own.
func IsReplay(path string) bool { return strings.HasSuffix(path, ReplaySuffix) }

// Artifacts returns the files the harness wrote beside the timeline file
// path for the same run: those named after the timeline file without its
// .log, a dash, and the file's own name (see labtest.H.ArtifactPath), such
// as a linearizability page, and the replay check's timeline
// (<stem>.replay.log) with its page (<stem>.replay.html) when there is
// one, since the two runs are read side by side. The list is sorted; it is
// empty when the folder cannot be read.
func Artifacts(path string) []string {
	stem := strings.TrimSuffix(path, ".log")
	dir, base := filepath.Dir(stem), filepath.Base(stem)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	replay := map[string]bool{}
	if !IsReplay(path) {
		replay[base+ReplaySuffix] = true
		replay[base+".replay.html"] = true
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		own := strings.HasPrefix(name, base+"-") && !strings.HasSuffix(name, ".log")
		if !e.IsDir() && (own || replay[name]) {
			out = append(out, filepath.Join(dir, name))
		}
	}
	sort.Strings(out)
	return out
}

// ArtifactLinks returns links to the Artifacts of the timeline file path
// for a page to be written at page: relative, so that the folder can be
// moved or shared as a whole, and labelled by the artifact's own name
// (linearizability.html, replay.log). The page itself is left out: named
// like an artifact (<stem>-timeline.html), it would link to itself.
func ArtifactLinks(path, page string) []Link {
	pageAbs, err := filepath.Abs(page)
	if err != nil {
		return nil
	}
	pageDir := filepath.Dir(pageAbs)
	base := filepath.Base(strings.TrimSuffix(path, ".log"))
	var links []Link
	for _, a := range Artifacts(path) {
		abs, err := filepath.Abs(a)
		if err != nil || abs == pageAbs {
			continue
		}
		rel, err := filepath.Rel(pageDir, abs)
		if err != nil {
			continue
		}
		segs := strings.Split(filepath.ToSlash(rel), "/")
		for i, s := range segs {
			segs[i] = url.PathEscape(s)
		}
		label := strings.TrimLeft(strings.TrimPrefix(filepath.Base(a), base), "-.")
		links = append(links, Link{Label: label, Href: strings.Join(segs, "/")})
	}
	return links
}
