package timeline

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sample is a real failure's timeline (see testdata/README.md).
const sample = "testdata/TestTimelineSample-seed42.log"

func readSample(t *testing.T) *File {
	t.Helper()
	tl, err := ReadFile(sample)
	require.NoError(t, err)
	return tl
}

func TestParseRealFailure(t *testing.T) {
	tl := readSample(t)
	assert.Equal(t, "TestTimelineSample", tl.Test)
	assert.Equal(t, "FAIL", tl.Result)
	assert.Equal(t, "42", tl.Seed)
	assert.Equal(t, "go test ./raft -run '^TestTimelineSample$' -seed 42", tl.Rerun)
	assert.Equal(t, []string{"the sample fails here on purpose, after a partition, a crash and a heal"}, tl.Failures)
	assert.Equal(t, []string{"0", "1", "2"}, tl.Servers, "the lanes are the servers, not the harness's speakers")
	require.Len(t, tl.Final, 3)
	assert.Equal(t, "incarnation 2, up until teardown: term 4, not leader", tl.Final[0].State)

	// Every timeline line of the file is an event, none from the per-server
	// sections after it.
	data, err := os.ReadFile(sample)
	require.NoError(t, err)
	body := strings.SplitN(string(data), "# timeline (", 2)[1]
	body = strings.SplitN(body, "\n\n", 2)[0]
	assert.Len(t, tl.Events, strings.Count(body, "\n"), "one event per timeline line")

	kinds := map[Kind]int{}
	for _, ev := range tl.Events {
		kinds[ev.Kind]++
	}
	assert.Equal(t, 1, kinds[KindFailure])
	assert.Positive(t, kinds[KindRPC])
	assert.Positive(t, kinds[KindTopology])
	assert.Positive(t, kinds[KindLog])
	assert.Equal(t, 7261012*time.Microsecond, tl.End, "the last event's virtual time")

	var rpc *Event
	for i := range tl.Events {
		if tl.Events[i].RPC != nil && tl.Events[i].RPC.Outcome == "no-route" {
			rpc = &tl.Events[i]
			break
		}
	}
	require.NotNil(t, rpc, "the partition leaves calls with no route")
	assert.Equal(t, "partitioned or cut", rpc.RPC.Detail)
	assert.NotEmpty(t, rpc.RPC.Args)
	assert.Empty(t, rpc.RPC.Reply, "no handler ran, so no reply")
	assert.Equal(t, rpc.RPC.From, rpc.Lane, "an RPC sits in its caller's lane")
}

func TestParseRejectsOtherFiles(t *testing.T) {
	_, err := Parse(strings.NewReader("hello\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not a labtest timeline file")
	_, err = Parse(strings.NewReader(""))
	require.Error(t, err)
}

func TestBandsFollowTheTestsActions(t *testing.T) {
	tl := readSample(t)
	bands := tl.Bands()
	byKind := map[string][]Band{}
	for _, b := range bands {
		byKind[b.Kind] = append(byKind[b.Kind], b)
	}
	require.Len(t, byKind["down"], 1)
	down := byKind["down"][0]
	assert.Equal(t, "0", down.Lane)
	assert.Equal(t, 4541008*time.Microsecond, down.Start, "crash server 0")
	assert.Equal(t, 5041009*time.Microsecond, down.End, "start server 0 (incarnation 2)")
	require.Len(t, byKind["partition"], 1)
	assert.Equal(t, 961006*time.Microsecond, byKind["partition"][0].Start)
	assert.Equal(t, 5041011*time.Microsecond, byKind["partition"][0].End, "heal")
	for _, b := range bands {
		assert.LessOrEqual(t, b.Start, b.End, "%+v", b)
	}
}

func TestFilter(t *testing.T) {
	tl := readSample(t)
	f := Filter{Servers: []string{"1"}, Topics: []string{"election", "test"}, From: time.Second, To: 5 * time.Second}
	require.NoError(t, f.Check(tl))
	n := 0
	for i := range tl.Events {
		ev := &tl.Events[i]
		if !f.Keep(ev) {
			continue
		}
		n++
		assert.True(t, ev.At >= time.Second && ev.At <= 5*time.Second, "inside the window: %v", ev.At)
		assert.Contains(t, []string{"election", "test"}, ev.Topic)
		if ev.Kind == KindLog {
			assert.Equal(t, "1", ev.Lane)
		}
	}
	assert.Positive(t, n)

	assert.ErrorContains(t, Filter{Servers: []string{"7"}}.Check(tl), `no server "7"`)
	assert.ErrorContains(t, Filter{Topics: []string{"elections"}}.Check(tl), `no topic "elections"`)
	assert.ErrorContains(t, Filter{From: 5 * time.Second, To: time.Second}.Check(tl), "before -from")
}

func TestParseTime(t *testing.T) {
	for in, want := range map[string]time.Duration{"4.5": 4500 * time.Millisecond, "4.5s": 4500 * time.Millisecond, "450ms": 450 * time.Millisecond, "1m30s": 90 * time.Second} {
		got, err := ParseTime(in)
		require.NoError(t, err)
		assert.Equal(t, want, got, in)
	}
	_, err := ParseTime("soon")
	assert.ErrorContains(t, err, "not a virtual time")
}

func TestRenderColumns(t *testing.T) {
	tl := readSample(t)
	var b bytes.Buffer
	require.NoError(t, Render(&b, tl, RenderOptions{Width: 120, Color: ColorNever}))
	out := b.String()
	lines := strings.Split(out, "\n")
	for _, l := range lines {
		assert.LessOrEqual(t, len([]rune(l)), 120, "no line is wider than asked: %q", l)
	}
	assert.Contains(t, out, "FAIL: the sample fails here on purpose")
	assert.Contains(t, out, "── partition [[2] [0 1]] ──", "actions span the columns")
	assert.NotContains(t, out, "\x1b[", "no colour when asked for none")

	// A server's line starts in its column: server 2's is the third.
	laneW := (120 - timeWidth - 2) / 3
	var campaign string
	for _, l := range lines {
		if strings.Contains(l, "term 1: campaign") {
			campaign = l
			break
		}
	}
	require.NotEmpty(t, campaign)
	col := strings.Index(campaign, "term 1: campaign")
	assert.Equal(t, timeWidth+2*(laneW+1), col, "server 2's line is in the third column: %q", campaign)

	b.Reset()
	require.NoError(t, Render(&b, tl, RenderOptions{Width: 120, Color: ColorAlways}))
	assert.Contains(t, b.String(), "\x1b[38;5;214m", "election lines are orange")
}

// A replay check that did not reproduce says where the two runs part on
// the lines after its first; the terminal shows them, and says which of
// the two timelines it shows.
func TestRenderShowsTheReplayCheck(t *testing.T) {
	tl := readSample(t)
	tl.Replay = "reproduced: no: the same seed, run again in a fresh process, failed differently:\n    The runs part at line 380 of the timeline:"
	var b bytes.Buffer
	require.NoError(t, Render(&b, tl, RenderOptions{Width: 120, Color: ColorNever}))
	assert.Contains(t, b.String(), "failed differently:\n    The runs part at line 380", "the verdict's details are shown")
	assert.NotContains(t, b.String(), "the replay check's run", "the first run's timeline is not the replay's")

	tl.Path = "testlogs/TestTimelineSample-seed42.replay.log"
	tl.Replay = ""
	b.Reset()
	require.NoError(t, Render(&b, tl, RenderOptions{Width: 120, Color: ColorNever}))
	assert.Contains(t, b.String(), "(the replay check's run of this seed", "the replay's timeline says it is the replay")
}

func TestRenderListsTheRunsFiles(t *testing.T) {
	tl := readSample(t)
	var b bytes.Buffer
	files := []string{"testlogs/TestTimelineSample-seed42-linearizability.html", "testlogs/TestTimelineSample-seed42.replay.log"}
	require.NoError(t, Render(&b, tl, RenderOptions{Width: 120, Color: ColorNever, Files: files}))
	assert.Contains(t, b.String(), "\nthis run's files: "+files[0]+"  "+files[1]+"\n", "the header lists the run's other files")
	b.Reset()
	require.NoError(t, Render(&b, tl, RenderOptions{Width: 120, Color: ColorNever}))
	assert.NotContains(t, b.String(), "this run's files", "no list when there is nothing beside the timeline")
}

func TestRenderFilteredToOneServer(t *testing.T) {
	tl := readSample(t)
	var b bytes.Buffer
	require.NoError(t, Render(&b, tl, RenderOptions{Width: 100, Color: ColorNever, Filter: Filter{Servers: []string{"2"}, Hide: []string{"network", "client", "apply"}}}))
	out := b.String()
	assert.Contains(t, out, "server 2")
	assert.NotContains(t, out, "server 0  ", "only server 2's column")
	assert.NotContains(t, out, "→", "network lines hidden")
	assert.Contains(t, out, "term 1: campaign")
}

func TestRenderRejectsANarrowScreen(t *testing.T) {
	tl := readSample(t)
	err := Render(&bytes.Buffer{}, tl, RenderOptions{Width: 30, Color: ColorNever})
	assert.ErrorContains(t, err, "fewer than 8 characters")
}

// crashFile is laid out as labtest writes the file of a test binary that
// died (writeCrashTimeline): a header and the crash report, no timeline.
const crashFile = `# labtest timeline of TestBackup3B: CRASH
# seed: 7
# rerun: go test ./raft -run '^TestBackup3B$' -seed 7
# crash: panic: runtime error: index out of range [5] with length 3
#
# The test binary died of an unrecovered panic or fatal error, so the harness could not write the
# usual timeline.
#
# the crash report (each distinct goroutine stack once):
panic: runtime error: index out of range [5] with length 3

goroutine 42 [running]:
raftlab/raft.(*Raft).sendAppend(...)
	/kit/raft/raft.go:410
`

func TestParseAndRenderACrash(t *testing.T) {
	tl, err := Parse(strings.NewReader(crashFile))
	require.NoError(t, err)
	assert.Equal(t, "CRASH", tl.Result)
	assert.Equal(t, "panic: runtime error: index out of range [5] with length 3", tl.Crash)
	assert.Empty(t, tl.Events)
	require.NotEmpty(t, tl.Stacks)
	var b bytes.Buffer
	require.NoError(t, Render(&b, tl, RenderOptions{Width: 100, Color: ColorNever}))
	assert.Contains(t, b.String(), "the test binary crashed: panic: runtime error")
	assert.Contains(t, b.String(), "raftlab/raft.(*Raft).sendAppend", "the crash report is all there is to show")
	b.Reset()
	require.NoError(t, WriteHTML(&b, tl, HTMLOptions{}))
	assert.Contains(t, b.String(), `index out of range [5] with length 3`)
}

func TestListSummarizesAFolder(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile(sample)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(dir+"/TestTimelineSample-seed42.log", data, 0o644))
	require.NoError(t, os.WriteFile(dir+"/TestTimelineSample-seed42.replay.log", data, 0o644))
	require.NoError(t, os.WriteFile(dir+"/TestBackup3B-seed7.log", []byte(crashFile), 0o644))
	require.NoError(t, os.WriteFile(dir+"/notes.log", []byte("not a timeline\n"), 0o644))
	list, err := List(dir)
	require.NoError(t, err)
	require.Len(t, list, 2, "timeline files only, without the replay checks' copies")
	assert.Equal(t, Summary{Path: dir + "/TestBackup3B-seed7.log", Test: "TestBackup3B", Result: "CRASH", Seed: "7",
		Headline: "panic: runtime error: index out of range [5] with length 3"}, list[0])
	assert.Equal(t, "the sample fails here on purpose, after a partition, a crash and a heal", list[1].Headline)
}

// Named servers head their columns by name, and a narrow column keeps a
// shardkv server's group and index rather than its "server-" prefix.
func TestLaneLabelKeepsWhatTellsServersApart(t *testing.T) {
	assert.Equal(t, "server 2", laneLabel("2", 11), "the Raft labs' numbered servers")
	assert.Equal(t, "ctrler-1", laneLabel("ctrler-1", 11))
	assert.Equal(t, "server-100-0", laneLabel("server-100-0", 12), "the whole name where it fits")
	assert.Equal(t, "100-0", laneLabel("server-100-0", 11), "group and index where it does not")
}

// A run without crashes, partitions or cuts has no bands; the page gets
// empty lists, never null, which stopped it drawing anything past the
// lanes' names.
func TestHTMLDataHasNoNullLists(t *testing.T) {
	tl := &File{Test: "TestQuiet", Result: "PASS", Seed: "1", Servers: []string{"ctrler-0", "server-100-0"}}
	require.Empty(t, tl.Bands())
	var b bytes.Buffer
	require.NoError(t, WriteHTML(&b, tl, HTMLOptions{}))
	for _, list := range []string{"bands", "events", "topics", "final", "stacks", "failures", "lanes"} {
		assert.NotContains(t, b.String(), `"`+list+`":null`, "the page iterates over %s", list)
	}
	assert.Contains(t, b.String(), `"bands":[]`)
}
