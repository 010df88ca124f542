package labtest

import (
	"os"
	"regexp"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
)

// The harness reads goroutines from runtime.Stack rather than from a pprof
// profile because only the traceback says whether a goroutine is durably
// blocked and which synctest bubble it belongs to; with
// GODEBUG=tracebacklabels=1 (set in init below) it also shows the pprof
// labels that name the server a goroutine works for.
func init() {
	enableTracebackLabels()
}

// enableTracebackLabels turns on GODEBUG=tracebacklabels=1 for this process.
// The runtime re-reads GODEBUG when the variable is set through os.Setenv,
// so doing it at init covers every test. It cannot be a //go:debug
// directive: the go command does not know the setting.
func enableTracebackLabels() {
	cur := os.Getenv("GODEBUG")
	if strings.Contains(cur, "tracebacklabels=") {
		return // the user chose; respect it
	}
	if cur != "" {
		cur += ","
	}
	os.Setenv("GODEBUG", cur+"tracebacklabels=1")
}

// Label keys the harness sets. labrpc sets "server" and "method" on its
// handler goroutines, so the server key is shared with it.
const (
	labelRun    = "labtest"      // identifies the Run, for realtime mode where there is no bubble id
	labelServer = "server"       // the server a goroutine works for
	labelRole   = "labtest.role" // harness-owned goroutines, never reported as the test's
	labelHelper = "helper"       // goroutines started with H.Go
)

type frame struct {
	Func string // package-qualified function, arguments stripped
	Pos  string // file:line
}

// goroutine is one entry of a runtime.Stack(all) dump.
type goroutine struct {
	ID        int
	Status    string // wait reason or state, without the "(durable)" marker
	Durable   bool
	Bubble    int // synctest bubble id; 0 outside any bubble
	Labels    map[string]string
	Frames    []frame
	CreatedBy string
	Raw       string
}

var headerRE = regexp.MustCompile(`^goroutine (\d+)(?: [^\[]*)? \[(.*)\]:$`)

// allStacks returns the stack dump of every goroutine, growing the buffer
// until the dump fits.
func allStacks() []byte {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return buf[:n]
		}
		buf = make([]byte, 2*len(buf))
	}
}

func parseStacks(dump []byte) []goroutine {
	var out []goroutine
	for _, block := range strings.Split(string(dump), "\n\n") {
		block = strings.TrimSpace(block)
		if block == "" {
			continue
		}
		lines := strings.Split(block, "\n")
		m := headerRE.FindStringSubmatch(lines[0])
		if m == nil {
			continue
		}
		g := goroutine{Raw: block}
		g.ID, _ = strconv.Atoi(m[1])
		parseHeader(m[2], &g)
		for i := 1; i < len(lines); i++ {
			l := lines[i]
			if strings.HasPrefix(l, "\t") {
				continue
			}
			pos := ""
			if i+1 < len(lines) && strings.HasPrefix(lines[i+1], "\t") {
				pos = strings.TrimSpace(lines[i+1])
				if j := strings.LastIndex(pos, " +0x"); j >= 0 {
					pos = pos[:j]
				}
			}
			if rest, ok := strings.CutPrefix(l, "created by "); ok {
				if j := strings.Index(rest, " in goroutine "); j >= 0 {
					rest = rest[:j]
				}
				g.CreatedBy = rest
				continue
			}
			fn := l
			if j := strings.LastIndex(fn, "("); j > 0 {
				fn = fn[:j]
			}
			g.Frames = append(g.Frames, frame{Func: fn, Pos: pos})
		}
		out = append(out, g)
	}
	return out
}

// parseHeader splits "chan receive (durable), 2 minutes, synctest bubble 3
// labels:{"server": "1"}" into its parts.
func parseHeader(h string, g *goroutine) {
	if i := strings.Index(h, " labels:{"); i >= 0 {
		g.Labels = parseLabels(strings.TrimSuffix(h[i+len(" labels:{"):], "}"))
		h = h[:i]
	}
	parts := strings.Split(h, ", ")
	status := parts[0]
	if s, ok := strings.CutSuffix(status, " (durable)"); ok {
		status, g.Durable = s, true
	}
	g.Status = status
	for _, p := range parts[1:] {
		if id, ok := strings.CutPrefix(p, "synctest bubble "); ok {
			g.Bubble, _ = strconv.Atoi(id)
		}
	}
}

// parseLabels reads `"k": "v", "k2": "v2"` (Go-quoted strings).
func parseLabels(s string) map[string]string {
	out := map[string]string{}
	for s != "" {
		k, err := strconv.QuotedPrefix(s)
		if err != nil {
			break
		}
		s = strings.TrimPrefix(s[len(k):], ": ")
		v, err := strconv.QuotedPrefix(s)
		if err != nil {
			break
		}
		s = strings.TrimPrefix(s[len(v):], ", ")
		ku, _ := strconv.Unquote(k)
		vu, _ := strconv.Unquote(v)
		out[ku] = vu
	}
	return out
}

// currentBubble returns the synctest bubble of the calling goroutine, 0 if
// it runs outside any bubble.
func currentBubble() int {
	buf := make([]byte, 512)
	n := runtime.Stack(buf, false)
	line, _, _ := strings.Cut(string(buf[:n]), "\n")
	m := headerRE.FindStringSubmatch(line)
	if m == nil {
		return 0
	}
	var g goroutine
	parseHeader(m[2], &g)
	return g.Bubble
}

// runtimeFrame reports frames that explain nothing to a student: the
// runtime, the standard library's blocking primitives and the harness.
func runtimeFrame(fn string) bool {
	for _, p := range []string{"runtime.", "internal/", "sync.", "sync/atomic.", "time.", "syscall.", "testing.", "os.", "io.", "bufio.", "net.", "reflect.", "encoding/gob.", "fmt."} {
		if strings.HasPrefix(fn, p) {
			return true
		}
	}
	return false
}

// harnessFrame reports frames of the harness and of the simulated network:
// a goroutine blocked in a Call is best shown at its caller.
func harnessFrame(fn string) bool {
	return strings.HasPrefix(fn, "raftlab/labtest.(*H).") || strings.HasPrefix(fn, "raftlab/labtest.(*run).") ||
		strings.HasPrefix(fn, "raftlab/labrpc.")
}

// where returns the first frame of the goroutine's own code: the place a
// student should look at.
func (g goroutine) where() frame {
	for _, f := range g.Frames {
		if !runtimeFrame(f.Func) && !harnessFrame(f.Func) {
			return f
		}
	}
	for _, f := range g.Frames {
		if !runtimeFrame(f.Func) {
			return f
		}
	}
	if len(g.Frames) > 0 {
		return g.Frames[0]
	}
	return frame{Func: "?"}
}

// owner names who the goroutine works for, for grouping.
func (g goroutine) owner() string {
	if s := g.Labels[labelServer]; s != "" {
		if m := g.Labels["method"]; m != "" {
			return "server " + s + " (RPC handler)"
		}
		return "server " + s
	}
	if h := g.Labels[labelHelper]; h != "" {
		return "helper " + h
	}
	return "test"
}

// harnessOwned reports goroutines the harness or the testing package run
// for themselves: the heartbeat, drainers, synctest's root and main.
func (g goroutine) harnessOwned() bool {
	if g.Labels[labelRole] != "" {
		return true
	}
	for _, f := range g.Frames {
		if strings.HasPrefix(f.Func, "testing/synctest.Test") {
			return true
		}
	}
	return false
}

// selfID returns the calling goroutine's id.
func selfID() int {
	buf := make([]byte, 64)
	n := runtime.Stack(buf, false)
	f := strings.Fields(string(buf[:n]))
	if len(f) < 2 {
		return 0
	}
	id, _ := strconv.Atoi(f[1])
	return id
}

// testGoroutines selects the goroutines of one Run: by bubble in virtual
// mode (labels can be lost when a library starts goroutines from a fresh
// context), by the run label in realtime mode.
func testGoroutines(all []goroutine, bubble int, runID string) []goroutine {
	var out []goroutine
	for _, g := range all {
		mine := false
		if bubble != 0 {
			mine = g.Bubble == bubble
		} else {
			mine = g.Labels[labelRun] == runID
		}
		if mine && !g.harnessOwned() {
			out = append(out, g)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if oi, oj := out[i].owner(), out[j].owner(); oi != oj {
			return oi < oj
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// setRole labels the calling goroutine as the harness's own, so that the
// guards leave it out of their reports.
func (r *run) setRole(role string) {
	pprof.SetGoroutineLabels(pprof.WithLabels(r.ctx, pprof.Labels(labelRole, role)))
}
