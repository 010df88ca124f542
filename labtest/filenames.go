package labtest

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// A run's files (its timeline, its artifacts, the replay check's timeline)
// share one stem: <logdir>/<Test>-seed<S>. A failure must never overwrite
// the file of an earlier one, which may be the only record of a rare
// schedule, so a stem whose files exist already gets a counter: the second
// failure of TestX with seed S writes TestX-seedS.2.log and its artifacts
// TestX-seedS.2-<name>.

// reserveMu guards the reservation of stems within the process; across
// processes the exclusive creation of the .log file does.
var reserveMu sync.Mutex

// fileStem returns this run's stem, reserving it on first use by creating
// its (empty) .log file. The directory falls back to the system's
// temporary directory if the log directory cannot be made.
func (r *run) fileStem() string {
	r.stemMu.Lock()
	defer r.stemMu.Unlock()
	if r.stem != "" {
		return r.stem
	}
	dir := r.logDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		dir = os.TempDir()
	}
	r.stem = reserveStem(filepath.Join(dir, fmt.Sprintf("%s-seed%d", unsafeName.ReplaceAllString(r.name, "_"), r.seed)))
	return r.stem
}

// reserveStem returns base, or base.2, base.3, ... : the first that has
// neither a .log file nor artifacts, and creates its .log file.
func reserveStem(base string) string {
	reserveMu.Lock()
	defer reserveMu.Unlock()
	for k := 1; ; k++ {
		stem := base
		if k > 1 {
			stem = fmt.Sprintf("%s.%d", base, k)
		}
		if arts, _ := filepath.Glob(globEscape(stem) + "-*"); len(arts) > 0 {
			continue
		}
		f, err := os.OpenFile(stem+".log", os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err == nil {
			f.Close()
			return stem
		}
		if !os.IsExist(err) || k > 10000 {
			// Unwritable: the write will fail later and say why.
			return stem
		}
	}
}

// globEscape quotes the characters filepath.Glob treats as patterns.
func globEscape(s string) string {
	out := make([]rune, 0, len(s))
	for _, c := range s {
		switch c {
		case '*', '?', '[', '\\':
			out = append(out, '\\')
		}
		out = append(out, c)
	}
	return string(out)
}

// releaseStem removes the empty .log file that reserved the stem of a run
// that wrote no timeline (it passed, without -logs).
func (r *run) releaseStem() {
	r.stemMu.Lock()
	defer r.stemMu.Unlock()
	if r.stem == "" {
		return
	}
	if fi, err := os.Stat(r.stem + ".log"); err == nil && fi.Size() == 0 {
		os.Remove(r.stem + ".log")
	}
}
