package timeline

import (
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Artifacts returns the files the harness wrote beside the timeline file
// path for the same run, such as a linearizability page: they are named
// after the timeline file without its .log, a dash, and the file's own
// name (see labtest.H.ArtifactPath). The list is sorted; it is empty when
// the folder cannot be read.
func Artifacts(path string) []string {
	stem := strings.TrimSuffix(path, ".log") + "-"
	dir, prefix := filepath.Dir(stem), filepath.Base(stem)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasPrefix(e.Name(), prefix) && !strings.HasSuffix(e.Name(), ".log") {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(out)
	return out
}

// ArtifactLinks returns links to the Artifacts of the timeline file path
// for a page to be written at page: relative, so that the folder can be
// moved or shared as a whole, and labelled by the artifact's own name.
func ArtifactLinks(path, page string) []Link {
	pageDir, err := filepath.Abs(filepath.Dir(page))
	if err != nil {
		return nil
	}
	prefix := filepath.Base(strings.TrimSuffix(path, ".log")) + "-"
	var links []Link
	for _, a := range Artifacts(path) {
		abs, err := filepath.Abs(a)
		if err != nil {
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
		links = append(links, Link{Label: strings.TrimPrefix(filepath.Base(a), prefix), Href: strings.Join(segs, "/")})
	}
	return links
}
