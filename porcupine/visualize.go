package porcupine

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// The page is a single offline file: the stylesheet and the script are
// embedded here and inlined into every page, and the history travels as one
// JSON document that the script turns into SVG. Keeping the drawing on the
// client keeps the file small for long histories (a few dozen bytes per
// operation instead of a few hundred for pre-rendered SVG).

//go:embed visualize_assets/visualize.css
var visCSS string

//go:embed visualize_assets/visualize.js
var visJS string

// visOpStride is the number of integers per operation in visPart.Ops; the
// script reads the same layout (see OP_* in visualize.js).
const visOpStride = 11

// Bits of an operation's flags field.
const (
	visFlagUnknown  = 1 // outcome never observed
	visFlagMismatch = 2 // model.Step rejected it while replaying its partial linearization
	// visFlagNextLegal marks a next operation that the model accepts right
	// after the stuck partial: the dead end comes later, so the page must
	// not claim the model rejects it there.
	visFlagNextLegal = 4
)

// visClock is what the timestamps measure (LinearizationInfo.SetClock): a
// timestamp t is the time (t - Zero) × Unit nanoseconds. Zero is a string
// for the reason Base is.
type visClock struct {
	Unit int64  `json:"unit"`
	Zero string `json:"zero"`
}

type visDoc struct {
	Version int         `json:"v"`
	Verdict CheckResult `json:"verdict"`
	Unknown *visUnknown `json:"unknown,omitempty"`
	// Base is the earliest timestamp, as a string because int64 timestamps
	// (Unix nanoseconds, say) do not survive a float64; every other time in
	// the document is relative to it.
	Base    string    `json:"base"`
	Clock   *visClock `json:"clock,omitempty"`
	Strings []string  `json:"s"`
	Clients []int     `json:"clients"`
	Tags    []int     `json:"tags"` // string ids, one row each
	Ann     []int64   `json:"ann"`  // visAnnStride integers per annotation
	Parts   []visPart `json:"parts"`
	First   *visFirst `json:"first,omitempty"`
	OpCount int       `json:"opCount"`
	// StatesOmitted counts linearized operations whose states were left
	// out to keep the page small (see visStateBudget).
	StatesOmitted int `json:"statesOmitted"`
}

// visAnnStride: global(0/1), row (client row or tag row), start, end
// (relative), description, details, text color, background color (string
// ids, -1 when empty).
const visAnnStride = 8

type visUnknown struct {
	Cause         string `json:"cause"`
	Detail        string `json:"detail"`
	Explored      int64  `json:"explored"`
	LongestPrefix int    `json:"longestPrefix"`
	Partition     int    `json:"partition"`
}

type visFirst struct {
	Part int `json:"p"`
	Op   int `json:"op"` // -1: no specific operation
}

type visPart struct {
	// Cols is the number of columns of the compressed time axis.
	Cols int `json:"cols"`
	// Ops holds visOpStride integers per operation: client row, call
	// column, return column (-1 when unknown), call and return times
	// (relative to Base), description, state before and after in its home
	// partial (string ids, -1 when not linearized), home partial (-1 when
	// none), position in it, flags.
	Ops []int64 `json:"ops"`
	// Partials are the partial linearizations that are the home of some
	// operation or the stuck one; others are sent empty to keep indices.
	Partials   [][]int   `json:"partials"`
	Illegal    bool      `json:"illegal"`
	Undecided  bool      `json:"undecided"` // the search stopped before a verdict
	Stuck      int       `json:"stuck"`
	Next       []int     `json:"next"`
	StuckState int       `json:"stuckState"` // string id of the state after the stuck partial, -1 if none
	AnnX       []float64 `json:"annX"`       // two column coordinates per annotation, -1 when outside
}

// Visualize writes a self-contained HTML page that shows the history in info
// and, for every partition, the longest partial linearizations the checker
// found and where an illegal one breaks. info comes from a verbose check.
func Visualize(model Model, info LinearizationInfo, output io.Writer) error {
	doc := visBuild(model, info)
	data, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("porcupine: visualize: %w", err)
	}
	return visWritePage(output, doc.Verdict, data)
}

// VisualizePath is Visualize into a new file at path.
func VisualizePath(model Model, info LinearizationInfo, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := Visualize(model, info, f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func visWritePage(w io.Writer, verdict CheckResult, data []byte) error {
	// json.Marshal escapes <, > and & (and U+2028/9), so no description can
	// close the script element or start a comment inside it; the script
	// inserts every string with textContent, never as markup.
	var b strings.Builder
	b.Grow(len(data) + len(visCSS) + len(visJS) + 1024)
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	b.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	// Forbids every fetch, so a page that works offline cannot regress into
	// one that silently needs the network.
	b.WriteString("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n")
	b.WriteString("<title>porcupine: ")
	b.WriteString(string(verdict))
	b.WriteString("</title>\n<style>\n")
	b.WriteString(visCSS)
	b.WriteString("</style>\n")
	// Installed before the main script so that even its syntax errors are
	// recorded for the self-test.
	b.WriteString("<script>window.visErrors=[];window.addEventListener('error',function(e){window.visErrors.push(String(e.message)+' @'+e.lineno+':'+e.colno)});</script>\n")
	b.WriteString("</head>\n<body>\n<div id=\"app\"><noscript>This page needs JavaScript.</noscript></div>\n")
	b.WriteString("<script type=\"application/json\" id=\"vis-data\">")
	b.Write(data)
	b.WriteString("</script>\n<script>\n")
	b.WriteString(visJS)
	b.WriteString("</script>\n</body>\n</html>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

type visStringTable struct {
	ids  map[string]int
	list []string
}

func (t *visStringTable) id(s string) int {
	if id, ok := t.ids[s]; ok {
		return id
	}
	id := len(t.list)
	t.ids[s] = id
	t.list = append(t.list, s)
	return id
}

// Colors land in SVG attributes and CSS; anything beyond a plain color name,
// hex or rgb()/hsl() form is dropped rather than trusted.
var visColorRE = regexp.MustCompile(`^(#[0-9a-fA-F]{3,8}|[a-zA-Z]{1,30}|(rgb|rgba|hsl|hsla)\([0-9.,%\s]{1,40}\))$`)

func (t *visStringTable) color(c string) int64 {
	c = strings.TrimSpace(c)
	if c == "" || !visColorRE.MatchString(c) {
		return -1
	}
	return int64(t.id(c))
}

func (t *visStringTable) optional(s string) int64 {
	if s == "" {
		return -1
	}
	return int64(t.id(s))
}

// visDescribeOp falls back to %v when DescribeOperation is nil or panics:
// a describer written for completed operations may well type-assert an
// output that an unknown-outcome operation does not have, and a failed
// check is exactly when the page must still be produced.
func visDescribeOp(model Model, op Operation) (desc string) {
	fallback := func() string {
		if op.Unknown {
			return fmt.Sprintf("%v -> ?", op.Input)
		}
		return fmt.Sprintf("%v -> %v", op.Input, op.Output)
	}
	if model.DescribeOperation == nil {
		return fallback()
	}
	defer func() {
		if r := recover(); r != nil {
			desc = fallback() + fmt.Sprintf(" (DescribeOperation panicked: %v)", r)
		}
	}()
	return model.DescribeOperation(op.Input, op.Output)
}

// visDescribeState is visDescribeOp for states.
func visDescribeState(model Model, state any) (desc string) {
	if model.DescribeState == nil {
		return fmt.Sprintf("%v", state)
	}
	defer func() {
		if r := recover(); r != nil {
			desc = fmt.Sprintf("%v (DescribeState panicked: %v)", state, r)
		}
	}()
	return model.DescribeState(state)
}

func visVerdict(info LinearizationInfo) CheckResult {
	if info.unknown != nil {
		return Unknown
	}
	for _, p := range info.partitions {
		if p.illegal {
			return Illegal
		}
	}
	return Ok
}

func visBuild(model Model, info LinearizationInfo) *visDoc {
	strs := &visStringTable{ids: map[string]int{}}
	doc := &visDoc{Version: 1, Verdict: visVerdict(info), Clock: info.clock, Tags: []int{}, Ann: []int64{}, Parts: []visPart{}}
	if u := info.unknown; u != nil {
		doc.Unknown = &visUnknown{u.Cause, u.Detail, u.Explored, u.LongestPrefix, u.Partition}
	}

	// One time origin for the whole page, so that relative times in
	// different partitions and annotations can be compared by eye.
	base := int64(math.MaxInt64)
	clientSet := map[int]bool{}
	for _, p := range info.partitions {
		for _, op := range p.ops {
			base = min(base, op.Call)
			clientSet[op.ClientId] = true
		}
	}
	for _, a := range info.annotations {
		base = min(base, a.Start, a.End)
		if !a.Annotation {
			clientSet[a.ClientId] = true
		}
	}
	if base == math.MaxInt64 {
		base = 0
	}
	doc.Base = strconv.FormatInt(base, 10)
	for c := range clientSet {
		doc.Clients = append(doc.Clients, c)
	}
	sort.Ints(doc.Clients)
	clientRow := make(map[int]int, len(doc.Clients))
	for i, c := range doc.Clients {
		clientRow[c] = i
	}

	tagRow := map[string]int{}
	for _, a := range info.annotations {
		row := 0
		if a.Annotation {
			r, ok := tagRow[a.Tag]
			if !ok {
				r = len(doc.Tags)
				tagRow[a.Tag] = r
				doc.Tags = append(doc.Tags, strs.id(a.Tag))
			}
			row = r
		} else {
			row = clientRow[a.ClientId]
		}
		end := max(a.End, a.Start)
		doc.Ann = append(doc.Ann, visBool(a.Annotation), int64(row), a.Start-base, end-base,
			int64(strs.id(a.Description)), strs.optional(a.Details),
			strs.color(a.TextColor), strs.color(a.BackgroundColor))
	}

	var replays []*visReplay
	for pi, p := range info.partitions {
		part, r := visBuildPart(model, p, pi, info.annotations, base, clientRow, strs)
		doc.Parts = append(doc.Parts, part)
		replays = append(replays, r...)
		doc.OpCount += len(p.ops)
		if doc.First == nil && p.illegal {
			doc.First = &visFirst{Part: pi, Op: visFirstNext(p)}
		}
	}
	if doc.First == nil && info.unknown != nil && info.unknown.Partition >= 0 && info.unknown.Partition < len(info.partitions) {
		doc.First = &visFirst{Part: info.unknown.Partition, Op: -1}
	}
	visDescribeStates(model, doc, replays, strs)
	doc.Strings = strs.list
	if doc.Clients == nil {
		doc.Clients = []int{}
	}
	return doc
}

// visFirstNext picks, among the operations that cannot follow the longest
// partial linearization, the one called first: reading left to right, it is
// where the history first goes wrong.
func visFirstNext(p partitionInfo) int {
	best := -1
	for _, i := range p.next {
		if i < 0 || i >= len(p.ops) {
			continue
		}
		if best < 0 || p.ops[i].Call < p.ops[best].Call || (p.ops[i].Call == p.ops[best].Call && i < best) {
			best = i
		}
	}
	return best
}

func visBool(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

type visEvent struct {
	time int64
	ret  bool
	op   int
}

// visReplay holds the states along one partial linearization until they
// are described: descriptions are rationed (see visStateBudget), and the
// ones nearest an error go first.
type visReplay struct {
	part   int
	prio   int // 0: the stuck partial of an illegal partition
	lin    []int
	states []any  // states[k] is the state before lin[k]
	home   []bool // home[k]: lin[k] lives in this partial
}

// visStateBudget caps the bytes of distinct state descriptions in a page.
// A model whose state is a whole store (not partitioned by key) describes
// kilobytes per operation, and 5,000 of them would make a page nobody can
// open; past the cap, states far from any error are left out.
const visStateBudget = 4 << 20

// visDescribeStates fills in the before and after states of every
// operation, within the budget: stuck partials first, each from its end
// backwards, so the states around a break are the last to be dropped.
func visDescribeStates(model Model, doc *visDoc, replays []*visReplay, strs *visStringTable) {
	sort.SliceStable(replays, func(a, b int) bool { return replays[a].prio < replays[b].prio })
	budget := visStateBudget
	for _, r := range replays {
		ops := doc.Parts[r.part].Ops
		ids := make([]int, len(r.states))
		for k := range ids {
			ids[k] = -2 // not yet described
		}
		describe := func(k int) int {
			if ids[k] == -2 {
				ids[k] = -1
				d := visDescribeState(model, r.states[k])
				if _, seen := strs.ids[d]; seen || len(d) <= budget {
					if !seen {
						budget -= len(d)
					}
					ids[k] = strs.id(d)
				}
			}
			return ids[k]
		}
		for k := len(r.lin) - 1; k >= 0; k-- {
			if !r.home[k] {
				continue
			}
			f := ops[r.lin[k]*visOpStride : (r.lin[k]+1)*visOpStride]
			f[6], f[7] = int64(describe(k)), int64(describe(k+1))
			if f[6] < 0 || f[7] < 0 {
				doc.StatesOmitted++
			}
		}
	}
}

func visBuildPart(model Model, p partitionInfo, partIndex int, anns []Annotation, base int64, clientRow map[int]int, strs *visStringTable) (visPart, []*visReplay) {
	n := len(p.ops)
	part := visPart{Ops: make([]int64, n*visOpStride), Partials: make([][]int, len(p.partials)),
		Illegal: p.illegal, Undecided: p.undecided, Stuck: -1, Next: []int{}, StuckState: -1, AnnX: make([]float64, 0, 2*len(anns))}

	// Compressed time: only the real-time order between one operation's
	// return and another's call matters for linearizability, so a run of
	// calls shares one column and so does the following run of returns.
	// Ties put calls first, as the checker does: an operation returning at
	// the instant another is called overlaps it.
	events := make([]visEvent, 0, 2*n)
	for i, op := range p.ops {
		events = append(events, visEvent{op.Call, false, i})
		if !op.Unknown {
			events = append(events, visEvent{max(op.Return, op.Call), true, i})
		}
	}
	sort.Slice(events, func(a, b int) bool {
		if events[a].time != events[b].time {
			return events[a].time < events[b].time
		}
		if events[a].ret != events[b].ret {
			return !events[a].ret
		}
		return events[a].op < events[b].op
	})
	cols := make([]int, len(events))
	col := -1
	for k, e := range events {
		if k == 0 || e.ret != events[k-1].ret {
			col++
		}
		cols[k] = col
		o := p.ops[e.op]
		if e.ret {
			part.Ops[e.op*visOpStride+2] = int64(col)
			part.Ops[e.op*visOpStride+4] = o.Return - base
		} else {
			part.Ops[e.op*visOpStride+1] = int64(col)
			part.Ops[e.op*visOpStride+3] = o.Call - base
		}
	}
	part.Cols = col + 1

	for i, op := range p.ops {
		f := part.Ops[i*visOpStride : (i+1)*visOpStride]
		f[0] = int64(clientRow[op.ClientId])
		f[5] = int64(strs.id(visDescribeOp(model, op)))
		f[6], f[7], f[8], f[9] = -1, -1, -1, 0
		if op.Unknown {
			f[2], f[4] = -1, 0
			f[10] |= visFlagUnknown
		}
	}

	// An operation's home is the longest partial that contains it; the
	// checker promises one exists for every operation that took effect.
	home := make([]int, n)
	for i := range home {
		home[i] = -1
	}
	for j, lin := range p.partials {
		for _, i := range lin {
			if i >= 0 && i < n && (home[i] < 0 || len(lin) > len(p.partials[home[i]])) {
				home[i] = j
			}
		}
	}
	needed := make([]bool, len(p.partials))
	for _, j := range home {
		if j >= 0 {
			needed[j] = true
		}
	}
	if p.illegal && p.stuck >= 0 && p.stuck < len(p.partials) {
		part.Stuck = p.stuck
		needed[p.stuck] = true
		for _, i := range p.next {
			if i >= 0 && i < n {
				part.Next = append(part.Next, i)
			}
		}
	}

	canReplay := model.Init != nil && model.Step != nil
	var replays []*visReplay
	for j, lin := range p.partials {
		if !needed[j] {
			part.Partials[j] = []int{}
			continue
		}
		part.Partials[j] = lin
		if !canReplay {
			continue
		}
		r := &visReplay{part: partIndex, lin: lin, states: make([]any, 1, len(lin)+1), home: make([]bool, len(lin))}
		if j != part.Stuck {
			r.prio = 1
		}
		r.states[0] = model.Init()
		for k, i := range lin {
			if i < 0 || i >= n {
				r.states = append(r.states, r.states[k])
				continue
			}
			op := p.ops[i]
			ok, next := model.Step(r.states[k], op.Input, op.Output)
			r.states = append(r.states, next)
			if home[i] == j {
				r.home[k] = true
				f := part.Ops[i*visOpStride : (i+1)*visOpStride]
				f[8], f[9] = int64(j), int64(k)
				if !ok && !op.Unknown {
					f[10] |= visFlagMismatch
				}
			}
		}
		if j == part.Stuck {
			// The state at the break is the one fact the page must show,
			// whatever the size budget says.
			end := r.states[len(lin)]
			part.StuckState = strs.id(visDescribeState(model, end))
			for _, i := range part.Next {
				op := p.ops[i]
				if ok, _ := model.Step(end, op.Input, op.Output); ok {
					part.Ops[i*visOpStride+10] |= visFlagNextLegal
				}
			}
		}
		replays = append(replays, r)
	}

	// Annotations are drawn in every pane, so their times are mapped onto
	// this pane's compressed axis: a band starts at the first column with
	// an event at or after its start and ends after the last column with an
	// event at or before its end.
	for _, a := range anns {
		end := max(a.End, a.Start)
		if len(events) == 0 || end < events[0].time || a.Start > events[len(events)-1].time {
			// Entirely outside this partition's history: not drawn here.
			part.AnnX = append(part.AnnX, -1, -1)
			continue
		}
		lo := sort.Search(len(events), func(k int) bool { return events[k].time >= a.Start })
		x0 := float64(part.Cols)
		if lo < len(events) {
			x0 = float64(cols[lo])
		}
		hi := sort.Search(len(events), func(k int) bool { return events[k].time > end })
		x1 := 0.0
		if hi > 0 {
			x1 = float64(cols[hi-1] + 1)
		}
		if x1 <= x0 {
			// No event inside: a point between two columns.
			x1 = x0
		} else if a.Start == end {
			// A point on a column that holds events at exactly that time.
			mid := (x0 + x1) / 2
			x0, x1 = mid, mid
		}
		part.AnnX = append(part.AnnX, x0, x1)
	}
	return part, replays
}
