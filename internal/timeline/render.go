package timeline

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/mattn/go-runewidth"
	"github.com/muesli/termenv"
)

// ColorMode says whether Render colours its output.
type ColorMode string

const (
	ColorAuto   ColorMode = "auto" // when the output is a terminal that shows colour (and NO_COLOR is unset)
	ColorAlways ColorMode = "always"
	ColorNever  ColorMode = "never"
)

// RenderOptions tune Render.
type RenderOptions struct {
	Filter Filter
	// Width is the line width in columns (at least 40).
	Width int // in columns
	Color ColorMode
	// Values shows each RPC's arguments and reply.
	Values bool
	// Stacks shows the goroutine stacks the guards took (a crash's report
	// is always shown: it is all such a file has).
	Stacks bool
	// Files are the run's other files (Artifacts), listed under the
	// header: the linearizability page is where a failed history is read.
	Files []string
}

// topicColors are ANSI-256 colours by topic, as far apart as the topics
// are different.
var topicColors = map[string]string{
	"election": "214", // orange
	"log":      "39",  // blue
	"persist":  "171", // magenta
	"snapshot": "44",  // cyan
	"apply":    "78",  // green
	"client":   "252", // light grey
	"network":  "245", // grey
	"test":     "231", // white
	"kv":       "149", // olive
	"shard":    "176", // pink
	"config":   "180", // tan
}

const timeWidth = 9 // "  12.345 "

// Render writes tl to w as the raftlab logs command shows it: a header
// (test, seed, rerun line, failures), the column heads, then each event in
// its server's column, wrapped to the column's width, with the test's
// actions and failures across all columns, and the servers' final states.
func Render(w io.Writer, tl *File, opts RenderOptions) error {
	if err := opts.Filter.Check(tl); err != nil {
		return err
	}
	width := opts.Width
	r := lipgloss.NewRenderer(w)
	switch opts.Color {
	case ColorAlways:
		r.SetColorProfile(termenv.ANSI256)
	case ColorNever:
		r.SetColorProfile(termenv.Ascii)
	}
	bold := r.NewStyle().Bold(true)
	red := r.NewStyle().Foreground(lipgloss.Color("196")).Bold(true)
	dim := r.NewStyle().Faint(true)
	topic := func(t string) lipgloss.Style {
		c, ok := topicColors[t]
		if !ok {
			c = "252"
		}
		return r.NewStyle().Foreground(lipgloss.Color(c))
	}

	fmt.Fprintf(w, "%s  %s\n", bold.Render(tl.Test), resultStyle(r, tl.Result).Render(tl.Result))
	if tl.Seed != "" {
		fmt.Fprintf(w, "seed %s   rerun: %s\n", tl.Seed, tl.Rerun)
	}
	if IsReplay(tl.Path) {
		fmt.Fprintln(w, dim.Render("(the replay check's run of this seed; the first run's timeline is beside it, without .replay)"))
	}
	if tl.Replay != "" {
		// All of it: when the failure did not reproduce, the lines after
		// the first say where the two runs part and the usual causes.
		fmt.Fprintf(w, "replay check: %s\n", tl.Replay)
	}
	if len(opts.Files) > 0 {
		fmt.Fprintf(w, "this run's files: %s\n", strings.Join(opts.Files, "  "))
	}
	for _, f := range tl.Failures {
		fmt.Fprintln(w, red.Render("FAIL: "+f))
	}
	for _, n := range tl.Notes {
		fmt.Fprintln(w, dim.Render(n))
	}
	if tl.Crash != "" {
		fmt.Fprintln(w, red.Render("the test binary crashed: "+tl.Crash))
		fmt.Fprintln(w, "(no timeline: the binary died before the harness could write one; the crash report follows)")
		for _, st := range tl.Stacks {
			fmt.Fprintln(w, st)
		}
		return nil
	}

	lanes := tl.Servers
	if len(opts.Filter.Servers) > 0 {
		lanes = opts.Filter.Servers
	}
	col := map[string]int{}
	for i, l := range lanes {
		col[l] = i
	}
	n := max(len(lanes), 1)
	laneW := (width - timeWidth - (n - 1)) / n
	if laneW < 8 {
		return fmt.Errorf("%d columns of %d servers leave each fewer than 8 characters: widen the terminal, set -width, or pick servers with -server", width, n)
	}
	head := strings.Repeat(" ", timeWidth)
	for i, l := range lanes {
		if i > 0 {
			head += " "
		}
		head += pad(laneLabel(l, laneW), laneW)
	}
	fmt.Fprintln(w, bold.Render(strings.TrimRight(head, " ")))

	for i := range tl.Events {
		ev := &tl.Events[i]
		if !opts.Filter.Keep(ev) {
			continue
		}
		stamp := fmt.Sprintf("%8.3f ", ev.At.Seconds())
		c, inLane := col[ev.Lane]
		text := eventText(ev, opts.Values)
		if ev.Lane == "" || !inLane || ev.Kind == KindAction {
			// Across all columns: the harness's view of the cluster.
			var st lipgloss.Style
			switch ev.Kind {
			case KindFailure:
				st = red
			case KindAction:
				st = bold
				text = "── " + text + " ──"
			default:
				st = topic(ev.Topic)
				text = ev.Who + ": " + text
			}
			for j, part := range wrap(text, width-timeWidth) {
				if j > 0 {
					stamp = strings.Repeat(" ", timeWidth)
				}
				fmt.Fprintln(w, dim.Render(stamp)+st.Render(part))
			}
			continue
		}
		st := topic(ev.Topic)
		if ev.Kind == KindRPC && !ev.RPC.Delivered() {
			st = st.Faint(true)
		}
		left := strings.Repeat(" ", c*(laneW+1))
		for j, part := range wrap(text, laneW) {
			if j > 0 {
				stamp = strings.Repeat(" ", timeWidth)
			}
			fmt.Fprintln(w, dim.Render(stamp)+left+st.Render(part))
		}
	}
	if len(tl.Stacks) > 0 {
		if opts.Stacks {
			fmt.Fprintln(w, bold.Render("goroutine stacks taken by the guards:"))
			for _, st := range tl.Stacks {
				fmt.Fprintln(w, st)
			}
		} else {
			fmt.Fprintln(w, dim.Render(fmt.Sprintf("(%d goroutine stack groups taken by the guards: add -stacks to see them)", len(tl.Stacks))))
		}
	}
	if len(tl.Final) > 0 {
		fmt.Fprintln(w, bold.Render("final state:"))
		for _, f := range tl.Final {
			fmt.Fprintf(w, "  server %s: %s\n", f.Server, strings.ReplaceAll(f.State, "\n", "; "))
		}
	}
	return nil
}

func resultStyle(r *lipgloss.Renderer, result string) lipgloss.Style {
	if result == "PASS" {
		return r.NewStyle().Foreground(lipgloss.Color("78")).Bold(true)
	}
	return r.NewStyle().Foreground(lipgloss.Color("196")).Bold(true)
}

// eventText is what a column shows of an event: a log line's message
// (prefixed with its speaker when that is a checker), or an RPC as
// "→0 RequestVote #3 request-dropped".
func eventText(ev *Event, values bool) string {
	switch {
	case ev.Kind == KindRPC:
		r := ev.RPC
		s := fmt.Sprintf("→%s %s #%d %s", r.To, strings.TrimPrefix(r.Method, "Raft."), r.Call, r.Outcome)
		if r.Detail != "" {
			s += ": " + r.Detail
		}
		if values && r.Args != "" {
			s += " args=" + r.Args
			if r.Reply != "" {
				s += " reply=" + r.Reply
			}
		}
		return s
	case ev.Kind == KindLog && ev.Who != ev.Lane:
		return ev.Who + ": " + ev.Msg
	}
	return ev.Msg
}

// wrap cuts s into lines of at most width columns, at spaces where it can.
func wrap(s string, width int) []string {
	var out []string
	for _, para := range strings.Split(s, "\n") {
		for runewidth.StringWidth(para) > width {
			cut := runewidth.Truncate(para, width, "")
			if i := strings.LastIndexByte(cut, ' '); i > width/2 {
				cut = cut[:i]
			}
			out = append(out, cut)
			para = strings.TrimLeft(para[len(cut):], " ")
		}
		out = append(out, para)
	}
	return out
}

func pad(s string, width int) string {
	s = runewidth.Truncate(s, width, "")
	return s + strings.Repeat(" ", width-runewidth.StringWidth(s))
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// laneLabel is a column's head: "server 2" for the Raft labs' numbered
// servers, the name itself for named ones (server-100-0, ctrler-1), which
// loses its "server-" prefix rather than its group and index when the
// column is too narrow for it.
func laneLabel(lane string, width int) string {
	if _, err := strconv.Atoi(lane); err == nil {
		return "server " + lane
	}
	if len(lane) > width {
		return strings.TrimPrefix(lane, "server-")
	}
	return lane
}
