package porcupine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// visKVInput is one operation on a key-value store partitioned by key, so
// each partition's state is one string.
type visKVInput struct {
	Op    string // "get", "put", "append"
	Key   string
	Value string
}

func visKVModel() Model {
	return Model{
		Partition: func(history []Operation) [][]Operation {
			byKey := map[string][]Operation{}
			var keys []string
			for _, op := range history {
				k := op.Input.(visKVInput).Key
				if _, ok := byKey[k]; !ok {
					keys = append(keys, k)
				}
				byKey[k] = append(byKey[k], op)
			}
			sort.Strings(keys)
			var out [][]Operation
			for _, k := range keys {
				out = append(out, byKey[k])
			}
			return out
		},
		Init: func() any { return "" },
		Step: func(state, input, output any) (bool, any) {
			in, st := input.(visKVInput), state.(string)
			switch in.Op {
			case "get":
				return output == st, st
			case "put":
				return true, in.Value
			default:
				return true, st + in.Value
			}
		},
		DescribeOperation: func(input, output any) string {
			in := input.(visKVInput)
			switch in.Op {
			case "get":
				return fmt.Sprintf("get(%q) -> %q", in.Key, output)
			case "put":
				return fmt.Sprintf("put(%q, %q)", in.Key, in.Value)
			default:
				return fmt.Sprintf("append(%q, %q)", in.Key, in.Value)
			}
		},
		DescribeState: func(state any) string { return fmt.Sprintf("%q", state) },
	}
}

func visGet(client int, key, out string, call, ret int64) Operation {
	return Operation{ClientId: client, Input: visKVInput{"get", key, ""}, Output: out, Call: call, Return: ret}
}

func visPut(client int, key, val string, call, ret int64) Operation {
	return Operation{ClientId: client, Input: visKVInput{"put", key, val}, Output: "", Call: call, Return: ret}
}

func visAppend(client int, key, val string, call, ret int64) Operation {
	return Operation{ClientId: client, Input: visKVInput{"append", key, val}, Output: "", Call: call, Return: ret}
}

// visIllegalInfo is what a verbose check of a small KV history reports: key
// "x" is fine, key "y" has a stale read (client 0 reads "1" after client 1
// has already read "2"), plus an abandoned put and harness annotations.
func visIllegalInfo() LinearizationInfo {
	x := partitionInfo{
		ops: []Operation{
			visPut(0, "x", "a", 0, 8),
			visAppend(1, "x", "b", 5, 12),
			visGet(2, "x", "ab", 14, 20),
		},
		partials: [][]int{{0, 1, 2}},
	}
	y := partitionInfo{
		ops: []Operation{
			visPut(0, "y", "1", 21, 30),
			visGet(1, "y", "1", 32, 40),
			visPut(2, "y", "2", 35, 50),
			visGet(1, "y", "2", 52, 60),
			visGet(0, "y", "1", 62, 70), // stale
			{ClientId: 3, Input: visKVInput{"put", "y", "9"}, Call: 24, Unknown: true},
		},
		partials: [][]int{{0, 1, 2, 3}},
		illegal:  true,
		stuck:    0,
		next:     []int{4},
	}
	return LinearizationInfo{
		partitions: []partitionInfo{x, y},
		annotations: []Annotation{
			{Annotation: true, Tag: "leader", Start: 0, End: 33, Description: "S1 term 1"},
			{Annotation: true, Tag: "leader", Start: 34, End: 70, Description: "S2 term 2", BackgroundColor: "#cde6ff"},
			{Annotation: true, Tag: "net", Start: 31, End: 55, Description: "partition {S1} | {S2,S3}", Details: "S1 isolated", BackgroundColor: "#ffd9b3"},
			{ClientId: 3, Start: 26, End: 26, Description: "crash", Details: "client 3 gave up", BackgroundColor: "#e57373"},
		},
	}
}

// visBigHistory builds a linearizable KV history of n operations by
// clients, each sequential, by choosing a linearization point inside every
// operation's interval and computing outputs in that order. With stale, the
// last get of the last key returns an old value instead, which no
// linearization can explain; the info then mirrors what the checker
// reports for it.
func visBigHistory(n, clients, keys int, stale bool) LinearizationInfo {
	rng := rand.New(rand.NewPCG(7, 11))
	type lop struct {
		op Operation
		lp int64
	}
	now := make([]int64, clients)
	perKey := make([][]lop, keys)
	for i := range n {
		c := i % clients
		call := now[c] + 1 + rng.Int64N(20)
		ret := call + 1 + rng.Int64N(60)
		now[c] = ret
		k := rng.IntN(keys)
		key := fmt.Sprintf("k%d", k)
		var op Operation
		switch rng.IntN(3) {
		case 0:
			op = visGet(c, key, "", call, ret)
		case 1:
			op = visPut(c, key, fmt.Sprintf("%d", i), call, ret)
		default:
			op = visAppend(c, key, fmt.Sprintf(".%d", i%10), call, ret)
		}
		perKey[k] = append(perKey[k], lop{op, call + rng.Int64N(ret-call+1)})
	}
	model := visKVModel()
	info := LinearizationInfo{}
	for k, lops := range perKey {
		order := make([]int, len(lops))
		for i := range order {
			order[i] = i
		}
		sort.SliceStable(order, func(a, b int) bool { return lops[order[a]].lp < lops[order[b]].lp })
		var st any = ""
		for _, i := range order {
			in := lops[i].op.Input.(visKVInput)
			if in.Op == "get" {
				lops[i].op.Output = st.(string)
			}
			_, st = model.Step(st, lops[i].op.Input, lops[i].op.Output)
		}
		p := partitionInfo{partials: [][]int{order}}
		for _, l := range lops {
			p.ops = append(p.ops, l.op)
		}
		if stale && k == keys-1 {
			// Break the last get in linearization order that follows a
			// write; everything linearized before it is the stuck partial.
			for pos := len(order) - 1; pos > 0; pos-- {
				i := order[pos]
				if p.ops[i].Input.(visKVInput).Op == "get" && p.ops[order[pos-1]].Input.(visKVInput).Op != "get" {
					p.ops[i].Output = "stale"
					p.partials = [][]int{slices.Clone(order[:pos])}
					p.illegal, p.stuck, p.next = true, 0, []int{i}
					break
				}
			}
		}
		info.partitions = append(info.partitions, p)
	}
	info.annotations = []Annotation{
		{Annotation: true, Tag: "leader", Start: 0, End: now[0] / 2, Description: "S1 term 1"},
		{Annotation: true, Tag: "leader", Start: now[0]/2 + 1, End: now[0], Description: "S3 term 4"},
		{ClientId: 1, Start: now[1] / 3, End: now[1] / 3, Description: "crash"},
	}
	return info
}

func visRender(t testing.TB, model Model, info LinearizationInfo) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, Visualize(model, info, &buf))
	return buf.String()
}

// visPageData parses the JSON document embedded in a page.
func visPageData(t testing.TB, page string) visDoc {
	t.Helper()
	const open = `<script type="application/json" id="vis-data">`
	i := strings.Index(page, open)
	require.GreaterOrEqual(t, i, 0, "no data element")
	rest := page[i+len(open):]
	j := strings.Index(rest, "</script>")
	require.GreaterOrEqual(t, j, 0)
	var doc visDoc
	require.NoError(t, json.Unmarshal([]byte(rest[:j]), &doc))
	return doc
}

func visOpField(p visPart, i, f int) int64 { return p.Ops[i*visOpStride+f] }

func TestVisualizeSelfContained(t *testing.T) {
	page := visRender(t, visKVModel(), visIllegalInfo())
	assert.True(t, strings.HasPrefix(page, "<!DOCTYPE html>"))
	// Nothing may be fetched: no external src/href/url()/@import, and the
	// only URL is the SVG namespace the script needs.
	for _, re := range []string{
		`(?i)\b(src|href|action|poster|data)\s*=\s*["']?\s*(https?:|//)`,
		`(?i)url\(\s*["']?\s*(https?:|//)`,
		`(?i)@import`,
		`(?i)\bfetch\(|XMLHttpRequest|WebSocket|EventSource|navigator\.sendBeacon|importScripts`,
		`(?i)<(link|iframe|img|object|embed)\b`,
	} {
		assert.NotRegexp(t, regexp.MustCompile(re), page, re)
	}
	urls := regexp.MustCompile(`https?://[^\s"'<>)]+`).FindAllString(page, -1)
	for _, u := range urls {
		assert.Equal(t, "http://www.w3.org/2000/svg", u)
	}
	assert.Contains(t, page, `Content-Security-Policy" content="default-src 'none'`)
	assert.Equal(t, 3, strings.Count(page, "<script"), "error hook, data, main script")
	assert.Equal(t, 3, strings.Count(page, "</script>"))
}

func TestVisualizeEscapesData(t *testing.T) {
	evil := `</script><script>alert("x")</script><!-- '"& ` + "\u2028"
	model := Model{
		Init:              func() any { return evil },
		Step:              func(s, in, out any) (bool, any) { return true, s },
		DescribeOperation: func(in, out any) string { return evil + fmt.Sprint(in) },
	}
	info := LinearizationInfo{
		partitions:  []partitionInfo{{ops: []Operation{{ClientId: 0, Input: 1, Call: 0, Return: 1}}, partials: [][]int{{0}}}},
		annotations: []Annotation{{Annotation: true, Tag: evil, Description: evil, Details: evil, BackgroundColor: `red" onload="alert(1)`, TextColor: "#123"}},
	}
	page := visRender(t, model, info)
	assert.NotContains(t, page, "<script>alert")
	assert.NotContains(t, page, "<!--")
	assert.NotContains(t, page, "\u2028")
	assert.Equal(t, 3, strings.Count(page, "</script>"), "a description closed a script element")
	assert.NotContains(t, page, "onload")

	doc := visPageData(t, page)
	assert.Contains(t, doc.Strings, evil)
	assert.Contains(t, doc.Strings, evil+"1")
	assert.Contains(t, doc.Strings, "#123")
	assert.Equal(t, int64(-1), doc.Ann[7], "unsafe color must be dropped")
}

func TestVisualizeReplaysStates(t *testing.T) {
	doc := visBuild(visKVModel(), visIllegalInfo())
	require.Len(t, doc.Parts, 2)
	s := func(id int64) string {
		if id < 0 {
			return "<none>"
		}
		return doc.Strings[id]
	}
	x := doc.Parts[0]
	want := [][2]string{{`""`, `"a"`}, {`"a"`, `"ab"`}, {`"ab"`, `"ab"`}}
	for i, w := range want {
		assert.Equal(t, w[0], s(visOpField(x, i, 6)), "before op %d", i)
		assert.Equal(t, w[1], s(visOpField(x, i, 7)), "after op %d", i)
		assert.Equal(t, int64(0), visOpField(x, i, 8), "home of op %d", i)
		assert.Equal(t, int64(i), visOpField(x, i, 9), "position of op %d", i)
		assert.Zero(t, visOpField(x, i, 10)&visFlagMismatch)
	}
	y := doc.Parts[1]
	assert.Equal(t, `"2"`, s(visOpField(y, 3, 6)))
	assert.Equal(t, `"2"`, s(visOpField(y, 3, 7)))
	// Neither the stale get nor the abandoned put is in any partial.
	for _, i := range []int{4, 5} {
		assert.Equal(t, int64(-1), visOpField(y, i, 8))
		assert.Equal(t, int64(-1), visOpField(y, i, 6))
	}
	assert.NotZero(t, visOpField(y, 5, 10)&visFlagUnknown)
	assert.Equal(t, int64(-1), visOpField(y, 5, 2), "unknown op has no return column")

	// A partial the model rejects (the checker and model disagree) is
	// flagged instead of silently shown.
	info := visIllegalInfo()
	info.partitions[0].partials = [][]int{{0, 2, 1}}
	doc = visBuild(visKVModel(), info)
	assert.NotZero(t, visOpField(doc.Parts[0], 2, 10)&visFlagMismatch)
}

func TestVisualizePicksLongestPartialPerOp(t *testing.T) {
	info := LinearizationInfo{partitions: []partitionInfo{{
		ops: []Operation{
			visPut(0, "k", "1", 0, 10),
			visPut(1, "k", "2", 0, 10),
			visGet(2, "k", "2", 0, 10),
			visGet(0, "k", "1", 11, 12),
		},
		// Both orders of the puts get somewhere; op 1's home is the longer.
		partials: [][]int{{1, 0, 3}, {0, 1, 2}, {1}},
		illegal:  true,
		next:     []int{2},
	}}}
	doc := visBuild(visKVModel(), info)
	p := doc.Parts[0]
	assert.Equal(t, int64(0), visOpField(p, 1, 8))
	assert.Equal(t, int64(0), visOpField(p, 3, 8))
	assert.Equal(t, int64(1), visOpField(p, 2, 8))
	assert.Equal(t, []int{}, p.Partials[2], "partials nobody lives in are not shipped")
	assert.Equal(t, `"1"`, doc.Strings[p.StuckState])
}

func TestVisualizeMarksBreakPoint(t *testing.T) {
	doc := visBuild(visKVModel(), visIllegalInfo())
	assert.Equal(t, Illegal, doc.Verdict)
	require.NotNil(t, doc.First)
	assert.Equal(t, visFirst{Part: 1, Op: 4}, *doc.First)
	assert.False(t, doc.Parts[0].Illegal)
	y := doc.Parts[1]
	assert.True(t, y.Illegal)
	assert.Equal(t, 0, y.Stuck)
	assert.Equal(t, []int{4}, y.Next)
	assert.Equal(t, `"2"`, doc.Strings[y.StuckState], "state after the stuck partial")
	assert.Zero(t, visOpField(y, 4, 10)&visFlagNextLegal, "the model rejects the stale get")

	// With several candidates, the first error is the one called first.
	info := visIllegalInfo()
	info.partitions[1].next = []int{4, 3}
	info.partitions[1].partials = [][]int{{0, 1, 2}}
	doc = visBuild(visKVModel(), info)
	assert.Equal(t, 3, doc.First.Op)
	assert.NotZero(t, visOpField(doc.Parts[1], 3, 10)&visFlagNextLegal, `get -> "2" is legal after put 2`)

	page := visRender(t, visKVModel(), visIllegalInfo())
	assert.Contains(t, page, "<title>porcupine: Illegal</title>")
}

func TestVisualizeCompressesTime(t *testing.T) {
	info := LinearizationInfo{partitions: []partitionInfo{{ops: []Operation{
		visPut(0, "k", "1", 1000, 2000),
		visPut(1, "k", "2", 1500, 1_000_000), // overlaps both others
		visGet(0, "k", "1", 2000, 2500),      // called when op 0 returns: overlap, as in the checker
		visGet(2, "k", "1", 900_000, 900_001),
	}}}}
	doc := visBuild(visKVModel(), info)
	p := doc.Parts[0]
	col := func(i, f int) int64 { return visOpField(p, i, f) }
	// Real-time order between returns and calls is exactly preserved.
	ops := info.partitions[0].ops
	for a := range ops {
		assert.Less(t, col(a, 1), col(a, 2))
		for b := range ops {
			assert.Equal(t, ops[a].Return < ops[b].Call, col(a, 2) < col(b, 1), "ops %d, %d", a, b)
		}
	}
	assert.Equal(t, 4, p.Cols, "calls 0,1 | return 0 ... compress into 4 columns")
	assert.Equal(t, "1000", doc.Base)
	assert.Equal(t, int64(899_000), col(3, 3), "times are relative to the base")
}

func TestVisualizeAnnotations(t *testing.T) {
	info := visIllegalInfo()
	doc := visBuild(visKVModel(), info)
	require.Len(t, doc.Ann, 4*visAnnStride)
	tags := []string{doc.Strings[doc.Tags[0]], doc.Strings[doc.Tags[1]]}
	assert.Equal(t, []string{"leader", "net"}, tags, "one row per tag, in order of appearance")
	ann := func(k, f int) int64 { return doc.Ann[k*visAnnStride+f] }
	assert.Equal(t, int64(1), ann(0, 0))
	assert.Equal(t, int64(0), ann(1, 1), "second leader band on the leader row")
	assert.Equal(t, int64(1), ann(2, 1), "net on its own row")
	assert.Equal(t, "S1 isolated", doc.Strings[ann(2, 5)])
	assert.Equal(t, int64(0), ann(3, 0), "crash is on a client row")
	assert.Equal(t, int64(3), ann(3, 1), "client 3's row")
	assert.Equal(t, "#e57373", doc.Strings[ann(3, 7)])
	for _, p := range doc.Parts {
		require.Len(t, p.AnnX, 8)
		for k := range 4 {
			assert.LessOrEqual(t, p.AnnX[2*k], p.AnnX[2*k+1])
			assert.LessOrEqual(t, p.AnnX[2*k+1], float64(p.Cols))
		}
	}
	// x's history ends at 20: later annotations are not drawn in its pane.
	x := doc.Parts[0]
	assert.Equal(t, []float64{-1, -1}, x.AnnX[2:4])
	assert.Equal(t, []float64{0, float64(x.Cols)}, x.AnnX[0:2], "S1 term 1 covers all of x")
	// In y's pane the partition (31..55) starts at the column of the call
	// at 32 and ends after the column holding the call at 52.
	y := doc.Parts[1]
	assert.Equal(t, float64(visOpField(y, 1, 1)), y.AnnX[4])
	assert.Equal(t, float64(visOpField(y, 3, 1)+1), y.AnnX[5])
	// The crash at 26 lies between the call at 24 and the return at 30.
	assert.Equal(t, float64(visOpField(y, 0, 2)), y.AnnX[6])
	assert.Equal(t, y.AnnX[6], y.AnnX[7])

	page := visRender(t, visKVModel(), info)
	for _, s := range []string{"S1 term 1", "S2 term 2", "partition {S1} | {S2,S3}", "crash"} {
		assert.Contains(t, page, s)
	}
}

func TestVisualizeDefaultDescriptions(t *testing.T) {
	model := Model{
		Init: func() any { return 0 },
		Step: func(s, in, out any) (bool, any) { return out == s.(int)+in.(int), s.(int) + in.(int) },
	}
	info := LinearizationInfo{partitions: []partitionInfo{{
		ops: []Operation{
			{ClientId: 0, Input: 2, Output: 2, Call: 0, Return: 5},
			{ClientId: 1, Input: 3, Output: 5, Call: 6, Return: 9},
			{ClientId: 1, Input: 4, Call: 10, Unknown: true},
		},
		partials: [][]int{{0, 1, 2}},
	}}}
	doc := visBuild(model, info)
	p := doc.Parts[0]
	assert.Equal(t, "2 -> 2", doc.Strings[visOpField(p, 0, 5)])
	assert.Equal(t, "3 -> 5", doc.Strings[visOpField(p, 1, 5)])
	assert.Equal(t, "4 -> ?", doc.Strings[visOpField(p, 2, 5)])
	assert.Equal(t, "0", doc.Strings[visOpField(p, 0, 6)])
	assert.Equal(t, "5", doc.Strings[visOpField(p, 1, 7)])
	assert.Equal(t, "9", doc.Strings[visOpField(p, 2, 7)], "an unknown op's effect is replayed")
	assert.Zero(t, visOpField(p, 2, 10)&visFlagMismatch, "an unknown op's verdict is ignored")
	assert.Equal(t, Ok, doc.Verdict)
	assert.Nil(t, doc.First)

	// A describer that only knows completed operations still yields a page.
	strict := model
	strict.DescribeOperation = func(in, out any) string { return fmt.Sprintf("add %d = %d", in, out.(int)) }
	strict.DescribeState = func(s any) string {
		if s.(int) > 5 {
			panic("too big")
		}
		return fmt.Sprint(s)
	}
	doc = visBuild(strict, info)
	assert.Equal(t, "add 2 = 2", doc.Strings[visOpField(doc.Parts[0], 0, 5)])
	assert.Contains(t, doc.Strings[visOpField(doc.Parts[0], 2, 5)], "4 -> ? (DescribeOperation panicked")
	assert.Contains(t, doc.Strings[visOpField(doc.Parts[0], 2, 7)], "9 (DescribeState panicked: too big)")

	// No Step at all: nothing to replay, but the page still renders.
	doc = visBuild(Model{}, info)
	assert.Equal(t, int64(-1), visOpField(doc.Parts[0], 0, 6))
	visRender(t, Model{}, info)
	visRender(t, Model{}, LinearizationInfo{})
}

func TestVisualizeUnknownVerdict(t *testing.T) {
	info := visIllegalInfo()
	info.partitions[1].illegal = false
	info.unknown = &UnknownReason{Cause: "timeout", Detail: "timed out after 1s", Explored: 1234, LongestPrefix: 4, Partition: 1}
	doc := visBuild(visKVModel(), info)
	assert.Equal(t, Unknown, doc.Verdict)
	require.NotNil(t, doc.Unknown)
	assert.Equal(t, "timed out after 1s", doc.Unknown.Detail)
	assert.Equal(t, visFirst{Part: 1, Op: -1}, *doc.First)
	assert.Contains(t, visRender(t, visKVModel(), info), "<title>porcupine: Unknown</title>")
}

// A verbose check stops searching the other partitions soon after one is
// found illegal; the page must not call such a partition linearizable.
func TestVisualizeMarksUndecidedPartitions(t *testing.T) {
	info := visIllegalInfo()
	info.partitions[0].undecided = true
	doc := visBuild(visKVModel(), info)
	assert.True(t, doc.Parts[0].Undecided, "an undecided partition must be marked so in the page data")
	assert.False(t, doc.Parts[1].Undecided)
	page := visRender(t, visKVModel(), info)
	assert.Equal(t, doc.Parts[0].Undecided, visPageData(t, page).Parts[0].Undecided, "the flag must reach the page")
	assert.Contains(t, page, "not decided, ", "the page script must label undecided partitions")
}

func TestVisualizePath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vis.html")
	require.NoError(t, VisualizePath(visKVModel(), visIllegalInfo(), path))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, visRender(t, visKVModel(), visIllegalInfo()), string(b))
	assert.Error(t, VisualizePath(visKVModel(), visIllegalInfo(), filepath.Join(t.TempDir(), "no", "such", "dir", "x.html")))
}

func TestVisualizeLargeHistory(t *testing.T) {
	const n = 5000
	info := visBigHistory(n, 10, 5, true)
	start := time.Now()
	page := visRender(t, visKVModel(), info)
	elapsed := time.Since(start)
	doc := visPageData(t, page)
	assert.Equal(t, n, doc.OpCount)
	assert.Equal(t, Illegal, doc.Verdict)
	t.Logf("%d operations: page %d bytes (%.1f KiB, %.0f bytes/op), data %d strings, built in %v",
		n, len(page), float64(len(page))/1024, float64(len(page))/n, len(doc.Strings), elapsed)
	assert.Less(t, len(page), 1<<20, "a 5,000-operation page should stay under 1 MiB")
}

func TestVisualizeBoundsStateDescriptions(t *testing.T) {
	// A state described in 10 KB: 2,000 of them would make a 20 MB page.
	model := Model{
		Init: func() any { return 0 },
		Step: func(s, in, out any) (bool, any) { return out == s.(int)+1, s.(int) + 1 },
		DescribeState: func(s any) string {
			return fmt.Sprintf("%d:%s", s, strings.Repeat("x", 10_000))
		},
	}
	const n = 2000
	p := partitionInfo{illegal: true}
	lin := make([]int, 0, n)
	for i := range n {
		out := i + 1
		if i == n-1 {
			out = 0 // the break
		} else {
			lin = append(lin, i)
		}
		p.ops = append(p.ops, Operation{ClientId: i % 3, Input: "inc", Output: out, Call: int64(2 * i), Return: int64(2*i + 1)})
	}
	p.partials, p.next = [][]int{lin}, []int{n - 1}
	info := LinearizationInfo{partitions: []partitionInfo{p}}
	page := visRender(t, model, info)
	t.Logf("page %d bytes", len(page))
	assert.Less(t, len(page), visStateBudget+1<<20)
	doc := visPageData(t, page)
	q := doc.Parts[0]
	assert.Positive(t, doc.StatesOmitted)
	assert.True(t, strings.HasPrefix(doc.Strings[q.StuckState], fmt.Sprintf("%d:", n-1)))
	// The states just before the break are kept, the earliest dropped.
	last := n - 2
	assert.True(t, strings.HasPrefix(doc.Strings[visOpField(q, last, 6)], fmt.Sprintf("%d:", n-2)))
	assert.True(t, strings.HasPrefix(doc.Strings[visOpField(q, last, 7)], fmt.Sprintf("%d:", n-1)))
	assert.Equal(t, int64(-1), visOpField(q, 0, 6))
	assert.Equal(t, int64(0), visOpField(q, 0, 8), "still linearized, just without states")
}

// TestVisualizeCheckerEndToEnd runs the real checker on a small illegal
// history and visualizes what it reports.
func TestVisualizeCheckerEndToEnd(t *testing.T) {
	history := []Operation{
		visPut(0, "x", "a", 0, 8),
		visAppend(1, "x", "b", 5, 12),
		visGet(2, "x", "ab", 14, 20),
		visPut(0, "y", "1", 21, 30),
		visGet(1, "y", "1", 32, 40),
		visPut(2, "y", "2", 35, 50),
		visGet(1, "y", "2", 52, 60),
		visGet(0, "y", "1", 62, 70),
	}
	res, info := CheckOperationsVerbose(visKVModel(), history, 10*time.Second)
	require.Equal(t, Illegal, res)
	info.AddAnnotations([]Annotation{{Annotation: true, Tag: "leader", Start: 0, End: 70, Description: "S1 term 1"}})
	doc := visBuild(visKVModel(), info)
	require.Len(t, doc.Parts, 2)
	require.NotNil(t, doc.First)
	assert.Equal(t, 1, doc.First.Part)
	y := doc.Parts[1]
	require.True(t, y.Illegal)
	require.NotEmpty(t, y.Next)
	first := info.partitions[1].ops[doc.First.Op]
	assert.Equal(t, visGet(0, "y", "1", 62, 70), first, "the stale read is the error")
	assert.Equal(t, `"2"`, doc.Strings[y.StuckState])
	assert.False(t, doc.Parts[0].Illegal)
	for i := range 3 {
		assert.GreaterOrEqual(t, visOpField(doc.Parts[0], i, 8), int64(0), "op %d of x is linearized", i)
	}

	path := filepath.Join(t.TempDir(), "e2e.html")
	require.NoError(t, VisualizePath(visKVModel(), info, path))

	// A 5,000-operation history with one stale read near the end.
	big := visBigHistory(5000, 10, 5, true)
	history = nil
	for _, p := range big.partitions {
		history = append(history, p.ops...)
	}
	res, info = CheckOperationsVerbose(visKVModel(), history, time.Minute)
	require.Equal(t, Illegal, res)
	doc = visBuild(visKVModel(), info)
	require.NotNil(t, doc.First)
	assert.Equal(t, 4, doc.First.Part)
	want := big.partitions[4].ops[big.partitions[4].next[0]]
	assert.Equal(t, want, info.partitions[4].ops[doc.First.Op])
	for pi, p := range doc.Parts {
		for i := range len(p.Ops) / visOpStride {
			assert.Zero(t, visOpField(p, i, 10)&visFlagMismatch, "partition %d op %d: the checker's partial does not replay", pi, i)
		}
	}
}
