package timeline

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
)

//go:embed assets/page.html
var pageSource string

var page = template.Must(template.New("page").Parse(pageSource))

// HTMLOptions tune WriteHTML.
type HTMLOptions struct {
	Filter Filter
	// Links are the run's other files, shown in the page's header (say,
	// the linearizability page of a history that failed its check).
	Links []Link
}

// Link is a file a page links to: Href is relative to the page, or a URL.
type Link struct {
	Label, Href string
}

// htmlColors are the page's topic colours (the terminal's, as RGB).
var htmlColors = map[string]string{
	"election": "#ffaf00", "log": "#00afff", "persist": "#d75fff", "snapshot": "#00d7d7",
	"apply": "#5fd787", "client": "#d0d0d0", "network": "#8a8a8a", "test": "#ffffff",
	"kv": "#afd75f", "shard": "#d787d7", "config": "#d7af87",
}

type jsRPC struct {
	From    string `json:"f"`
	To      string `json:"to"`
	Method  string `json:"me"`
	Call    int    `json:"c"`
	Outcome string `json:"o"`
	Detail  string `json:"d,omitempty"`
	Args    string `json:"a,omitempty"`
	Reply   string `json:"r,omitempty"`
}

type jsEvent struct {
	At    int64  `json:"t"` // microseconds
	Kind  Kind   `json:"k"`
	Topic string `json:"tp"`
	Who   string `json:"w"`
	Lane  string `json:"l"`
	Msg   string `json:"m"`
	Line  int    `json:"ln"`
	RPC   *jsRPC `json:"r,omitempty"`
}

type jsBand struct {
	Lane  string `json:"l"`
	Kind  string `json:"k"`
	Start int64  `json:"s"`
	End   int64  `json:"e"`
	Label string `json:"lb"`
}

type jsData struct {
	Test   string `json:"test"`
	Result string `json:"result"`
	Seed   string `json:"seed"`
	Rerun  string `json:"rerun"`
	Replay string `json:"replay"`
	// ReplayRun marks the replay check's own timeline, which reads like
	// the first run's.
	ReplayRun bool              `json:"replayRun"`
	Crash     string            `json:"crash"`
	Stacks    []string          `json:"stacks"`
	Failures  []string          `json:"failures"`
	End       int64             `json:"end"`
	Lanes     []string          `json:"lanes"`
	Topics    []string          `json:"topics"`
	Colors    map[string]string `json:"colors"`
	Events    []jsEvent         `json:"events"`
	Bands     []jsBand          `json:"bands"`
	Final     []Final           `json:"final"`
	Links     []jsLink          `json:"links"`
}

type jsLink struct {
	Label string `json:"n"`
	Href  string `json:"h"`
}

// WriteHTML writes tl as one self-contained HTML page (no network access
// needed): a lane per server over virtual time, a tick per log line
// coloured by topic, an arrow per RPC from caller to callee (solid when
// delivered, dashed red when lost, grey when it had no route), bands where
// a server was down (red) or disconnected (yellow) and where the cluster
// was partitioned (orange), the test's actions and failures as vertical
// rules, every line's text on hover, topic toggles, and zoom (buttons, or
// ctrl + wheel over the lanes).
func WriteHTML(w io.Writer, tl *File, opts HTMLOptions) error {
	if err := opts.Filter.Check(tl); err != nil {
		return err
	}
	d := jsData{Test: tl.Test, Result: tl.Result, Seed: tl.Seed, Rerun: tl.Rerun, Replay: tl.Replay, Crash: tl.Crash, Stacks: tl.Stacks,
		Failures: tl.Failures, End: tl.End.Microseconds(), Lanes: tl.Servers, Colors: htmlColors, Final: tl.Final}
	d.ReplayRun = IsReplay(tl.Path)
	if len(opts.Filter.Servers) > 0 {
		d.Lanes = opts.Filter.Servers
	}
	// The page iterates over every list: a nil slice would reach it as
	// null and stop it drawing (a run without crashes or partitions has
	// no bands).
	d.Events, d.Bands, d.Topics = []jsEvent{}, []jsBand{}, []string{}
	for _, l := range []*[]string{&d.Failures, &d.Stacks, &d.Lanes} {
		if *l == nil {
			*l = []string{}
		}
	}
	if d.Final == nil {
		d.Final = []Final{}
	}
	d.Links = []jsLink{}
	for _, l := range opts.Links {
		d.Links = append(d.Links, jsLink{l.Label, l.Href})
	}
	seen := map[string]bool{}
	for i := range tl.Events {
		ev := &tl.Events[i]
		if !opts.Filter.Keep(ev) {
			continue
		}
		je := jsEvent{At: ev.At.Microseconds(), Kind: ev.Kind, Topic: ev.Topic, Who: ev.Who, Lane: ev.Lane, Msg: ev.Msg, Line: ev.Line}
		if r := ev.RPC; r != nil {
			je.RPC = &jsRPC{From: r.From, To: r.To, Method: r.Method, Call: r.Call, Outcome: r.Outcome, Detail: r.Detail, Args: r.Args, Reply: r.Reply}
		}
		d.Events = append(d.Events, je)
		if !seen[ev.Topic] {
			seen[ev.Topic] = true
			d.Topics = append(d.Topics, ev.Topic)
		}
	}
	for _, b := range tl.Bands() {
		d.Bands = append(d.Bands, jsBand{Lane: b.Lane, Kind: b.Kind, Start: b.Start.Microseconds(), End: b.End.Microseconds(), Label: b.Label})
	}
	data, err := json.Marshal(d) // escapes <, > and &, so it is safe inside <script>
	if err != nil {
		return err
	}
	title := fmt.Sprintf("%s %s (seed %s)", tl.Test, tl.Result, tl.Seed)
	return page.Execute(w, struct {
		Title string
		Data  template.JS
	}{title, template.JS(data)})
}
