package grade

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/x/ansi"
)

// LineProgress prints one line per finished run: for logs and CI, where
// stdout is not a terminal.
func LineProgress(w io.Writer) Progress { return &lineProgress{w: w, s: newStyles(w)} }

type lineProgress struct {
	w           io.Writer
	s           styles
	total, done int
}

func (p *lineProgress) Begin(tests []*TestResult, runs int) {
	for _, t := range tests {
		for _, r := range t.Runs {
			if r.Outcome == NotRun {
				p.total++
			}
		}
	}
	fmt.Fprintf(p.w, "grading %d tests, %d runs\n", len(tests), p.total)
}

func (p *lineProgress) Started(*TestResult, int) {}

func (p *lineProgress) Finished(t *TestResult, r RunResult) {
	p.done++
	verdict := p.s.pass.Render("PASS")
	if r.Outcome != Pass {
		verdict = p.s.fail.Render(strings.ToUpper(string(r.Outcome)))
	}
	fmt.Fprintf(p.w, "%-7s %s [%s] run %d/%d seed %d %.2fs (%d/%d)\n", verdict, t.Key(), t.Part, r.Run, len(t.Runs), r.Seed, r.Seconds, p.done, p.total)
	if r.Outcome != Pass && r.Outcome != Skip {
		if m := firstLine(r.Message); m != "" {
			fmt.Fprintf(p.w, "        %s\n", m)
		}
		fmt.Fprintf(p.w, "        rerun: %s\n", r.Rerun)
		if r.Artifacts != "" {
			fmt.Fprintf(p.w, "        artifacts: %s\n", r.Artifacts)
		}
	}
}

func (p *lineProgress) End() {}

// LiveProgress redraws a table of the tests (runs done, failures, mean ±
// sd time) in place on a terminal of the given size function, and prints
// each run that fails above it.
func LiveProgress(w io.Writer, size func() (width, height int)) Progress {
	return &liveProgress{w: w, s: newStyles(w), size: size, running: map[*TestResult]int{}, every: 250 * time.Millisecond}
}

type liveProgress struct {
	mu      sync.Mutex
	w       io.Writer
	s       styles
	size    func() (int, int)
	tests   []*TestResult
	running map[*TestResult]int
	last    map[*TestResult]time.Time
	drawn   int // lines of the last drawing
	total   int
	done    int
	failed  int
	start   time.Time
	every   time.Duration // how often the table is redrawn between runs' events
	stop    chan struct{}
	wg      sync.WaitGroup
}

func (p *liveProgress) Begin(tests []*TestResult, runs int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tests = tests
	p.last = map[*TestResult]time.Time{}
	for _, t := range tests {
		for _, r := range t.Runs {
			if r.Outcome == NotRun {
				p.total++
			}
		}
	}
	p.start = time.Now()
	p.stop = make(chan struct{})
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		tick := time.NewTicker(p.every)
		defer tick.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-tick.C:
				p.mu.Lock()
				p.redraw()
				p.mu.Unlock()
			}
		}
	}()
}

func (p *liveProgress) Started(t *TestResult, run int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.running[t]++
	p.last[t] = time.Now()
}

func (p *liveProgress) Finished(t *TestResult, r RunResult) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.running[t]--
	p.done++
	p.last[t] = time.Now()
	if r.Outcome != Pass && r.Outcome != Skip {
		p.failed++
		p.clear()
		fmt.Fprintf(p.w, "%s %s run %d (seed %d): %s\n    rerun: %s\n", p.s.fail.Render(strings.ToUpper(string(r.Outcome))),
			t.Key(), r.Run, r.Seed, firstLine(r.Message), r.Rerun)
	}
	p.redraw()
}

func (p *liveProgress) End() {
	close(p.stop)
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
}

// clear erases the last drawing.
func (p *liveProgress) clear() {
	if p.drawn > 0 {
		fmt.Fprintf(p.w, "\x1b[%dF\x1b[J", p.drawn)
		p.drawn = 0
	}
}

// redraw draws the table again: the tests that have started, as many as
// fit, those running or failing first, then the most recent.
func (p *liveProgress) redraw() {
	width, height := p.size()
	if width <= 0 {
		width = 80
	}
	if height <= 0 {
		height = 24
	}
	var shown []*TestResult
	for _, t := range p.tests {
		if _, ok := p.last[t]; ok {
			shown = append(shown, t)
		}
	}
	room := height - 6 // header, borders, status line
	if room < 1 {
		room = 1
	}
	if len(shown) > room {
		sort.SliceStable(shown, func(a, b int) bool {
			ua, ub := p.urgent(shown[a]), p.urgent(shown[b])
			if ua != ub {
				return ua
			}
			return p.last[shown[a]].After(p.last[shown[b]])
		})
		shown = shown[:room]
		order := map[*TestResult]int{}
		for i, t := range p.tests {
			order[t] = i
		}
		sort.Slice(shown, func(a, b int) bool { return order[shown[a]] < order[shown[b]] })
	}
	tbl := p.s.table("test", "runs", "fails", "time")
	for _, t := range shown {
		done := 0
		for _, r := range t.Runs {
			if r.Outcome != NotRun {
				done++
			}
		}
		runs := fmt.Sprintf("%d/%d", done, len(t.Runs))
		if n := p.running[t]; n > 0 {
			runs = fmt.Sprintf("%s (+%d)", runs, n)
		}
		fails := fmt.Sprint(t.Failures())
		if t.Failures() > 0 {
			fails = p.s.fail.Render(fails)
		}
		tbl.Row(t.Key(), runs, fails, timing(t))
	}
	status := fmt.Sprintf("%d/%d runs done, %d failed, %s", p.done, p.total, p.failed, time.Since(p.start).Round(time.Second))
	out := tbl.Render() + "\n" + status
	lines := strings.Split(out, "\n")
	p.clear()
	for _, l := range lines {
		fmt.Fprintln(p.w, ansi.Truncate(l, width-1, "…"))
	}
	p.drawn = len(lines)
}

func (p *liveProgress) urgent(t *TestResult) bool { return p.running[t] > 0 || t.Failures() > 0 }
