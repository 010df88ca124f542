package timeline

// The page is checked the way a person uses it: headless chromium, driven
// over the DevTools protocol with chromedp, loads the file, and the test
// moves the mouse over a tick and an arrow, clicks, toggles a topic and
// zooms with the buttons and with ctrl + wheel, reading what the page then
// shows. chromedp sends real input events (the page cannot tell them from
// a person's), which a page that tests itself with --dump-dom cannot do.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// findChromium returns Debian's chromium, or "" where there is none.
func findChromium() string {
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

type rect struct{ X, Y, W, H float64 }

// browser starts headless chromium with its profile under dir, for at
// most 90 seconds, and returns the context to drive it with; the test's
// cleanup stops it.
func browser(t *testing.T, bin, dir string) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.UserDataDir(filepath.Join(dir, "profile")),
		chromedp.WindowSize(1400, 700), chromedp.Flag("disable-gpu", true))
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // chromium refuses to run as root with its sandbox
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelCtx := chromedp.NewContext(ctx)
	t.Cleanup(cancelCtx)
	return ctx
}

func (r rect) center() (float64, float64) { return r.X + r.W/2, r.Y + r.H/2 }

func TestHTMLPageInChromium(t *testing.T) {
	bin := findChromium()
	if bin == "" {
		t.Skip("chromium not found; install Debian's chromium (make chromium) to run the page's browser test")
	}
	tl, err := ReadFile(sample)
	require.NoError(t, err)
	dir := t.TempDir()
	page := filepath.Join(dir, "timeline.html")
	f, err := os.Create(page)
	require.NoError(t, err)
	picture := "TestTimelineSample-seed42-linearizability.html"
	require.NoError(t, os.WriteFile(filepath.Join(dir, picture), []byte("<!DOCTYPE html><title>picture</title>"), 0o644))
	require.NoError(t, WriteHTML(f, tl, HTMLOptions{Links: []Link{{"linearizability.html", picture}}}))
	require.NoError(t, f.Close())

	ctx := browser(t, bin, dir)

	eval := func(js string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		require.NoError(t, err, "evaluating %s", js)
		return v
	}
	box := func(sel string) rect {
		t.Helper()
		r, err := chromedp.Run(ctx, chromedp.Evaluate[rect](fmt.Sprintf(
			`(() => { const r = document.querySelector(%q).getBoundingClientRect(); return {X: r.x, Y: r.y, W: r.width, H: r.height}; })()`, sel)))
		require.NoError(t, err, "finding %s on the page", sel)
		return r
	}
	count := func(sel string) int {
		t.Helper()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf(
			`[...document.querySelectorAll(%q)].filter(e => getComputedStyle(e).display !== "none").length`, sel)))
		require.NoError(t, err)
		return n
	}
	svgWidth := func() float64 {
		t.Helper()
		w, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`Number(document.getElementById("lanes").getAttribute("width"))`))
		require.NoError(t, err)
		return w
	}

	// Load.
	start := time.Now()
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate("file://"+page), chromedp.WaitVisible("#lanes")))
	assert.Equal(t, "yes", eval(`document.body.dataset.ready || ""`), "the page's script ran to the end")
	t.Logf("chromium started and laid out the page in %v (2 cores shared)", time.Since(start).Round(time.Millisecond))
	assert.Contains(t, eval(`document.getElementById("title").textContent`), "TestTimelineSample FAIL")
	assert.Contains(t, eval(`document.getElementById("rerun").textContent`), tl.Rerun)
	assert.Contains(t, eval(`document.getElementById("failures").textContent`), tl.Failures[0])
	assert.Equal(t, "file://"+filepath.Join(dir, picture), eval(`document.querySelector("#links a").href`), "the header links to the run's picture")
	assert.Equal(t, "linearizability.html", eval(`document.querySelector("#links a").textContent`))
	assert.Equal(t, len(tl.Servers), count(".lane-bg"), "a lane per server")
	assert.Equal(t, 1, count(".band-down"), "server 0 was down once (crash, then restart)")
	assert.Equal(t, 1, count(".band-partition"), "one partition, until the heal")
	rpcs := count(".rpc")
	assert.Greater(t, rpcs, 100, "an arrow per RPC")
	assert.Greater(t, count(".rpc.lost"), 0, "the unreliable network lost some")

	// Hover over server 2's first election line: its text shows.
	var campaign *Event
	for i := range tl.Events {
		if ev := &tl.Events[i]; ev.Topic == "election" && ev.Lane == "2" {
			campaign = ev
			break
		}
	}
	require.NotNil(t, campaign, "the sample has an election line of server 2")
	idx := eventIndex(tl, campaign)
	tickSel := fmt.Sprintf(`.tick[data-i="%d"]`, idx)
	x, y := box(tickSel).center()
	require.NoError(t, chromedp.Do(ctx, chromedp.MouseEvent(chromedp.MouseMoved, x, y)))
	assert.Equal(t, "block", eval(`getComputedStyle(document.getElementById("tip")).display`), "hovering a tick shows its line (and those drawn on top of it)")
	tip := eval(`document.getElementById("tip").textContent`)
	assert.Contains(t, tip, campaign.Msg)
	assert.Contains(t, tip, fmt.Sprintf("line %d of the file", campaign.Line))

	// Click it: it stays in the detail pane after the mouse leaves.
	require.NoError(t, chromedp.Do(ctx, chromedp.MouseClickXY(x, y), chromedp.MouseEvent(chromedp.MouseMoved, 5, 5)))
	assert.Equal(t, "none", eval(`getComputedStyle(document.getElementById("tip")).display`), "the tip goes with the mouse")
	assert.Contains(t, eval(`document.getElementById("detail").textContent`), campaign.Msg, "a click keeps the line in the detail pane")

	// Hover over an arrow: the call's arguments show.
	x, y = box(`.rpc`).center()
	require.NoError(t, chromedp.Do(ctx, chromedp.MouseEvent(chromedp.MouseMoved, x, y)))
	assert.Contains(t, eval(`document.getElementById("tip").textContent`), "args:", "hovering an arrow shows the RPC")

	// Hide the network topic, then show it again.
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(`button[data-topic="network"]`)))
	assert.Zero(t, count(".rpc"), "hiding the network topic hides every arrow")
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(`button[data-topic="network"]`)))
	assert.Equal(t, rpcs, count(".rpc"), "showing it again brings them back")

	// Zoom with the buttons and with ctrl + wheel.
	w0 := svgWidth()
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(`#zoom-in`)))
	w1 := svgWidth()
	assert.InDelta(t, 2*(w0-100)+100, w1, 4, "zoom in doubles the time axis")
	assert.Equal(t, "2.0×", eval(`document.getElementById("zoom-level").textContent`))
	x, y = box(`.lane-bg`).center()
	// ctrl + wheel up. The protocol wants deltaX too, and drops a zero
	// from its JSON, hence the negligible sideways part.
	wheel := func(p *input.DispatchMouseEventParams) { p.DeltaX, p.DeltaY, p.Modifiers = 1e-6, -100, 2 }
	require.NoError(t, chromedp.Do(ctx, chromedp.MouseEvent(chromedp.MouseWheel, x, y, wheel)))
	assert.Greater(t, svgWidth(), w1*1.2, "ctrl + wheel up zooms in further")
	assert.Equal(t, rpcs, count(".rpc"), "zooming redraws every arrow")
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(`#zoom-fit`)))
	assert.InDelta(t, w0, svgWidth(), 1, "fit goes back to the whole test")

	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	shot := filepath.Join(dir, "timeline.png")
	if d := os.Getenv("RAFTLAB_SCREENSHOT_DIR"); d != "" {
		shot = filepath.Join(d, "timeline.png")
	}
	require.NoError(t, os.WriteFile(shot, png, 0o644))
	t.Logf("screenshot: %s", shot)
	assert.True(t, strings.HasPrefix(string(png), "\x89PNG"), "a PNG screenshot came back")
}

// eventIndex is ev's index among the events the page draws (WriteHTML with
// the zero Filter leaves out only the topology changes).
func eventIndex(tl *File, ev *Event) int {
	n := 0
	for i := range tl.Events {
		if &tl.Events[i] == ev {
			return n
		}
		if (Filter{}).Keep(&tl.Events[i]) {
			n++
		}
	}
	return -1
}

// A replay check that did not reproduce leaves two timelines side by side;
// an instructor opening either page must see which one it is and where the
// two runs part.
func TestHTMLReplayPagesInChromium(t *testing.T) {
	bin := findChromium()
	if bin == "" {
		t.Skip("chromium not found; install Debian's chromium (make chromium) to run the page's browser test")
	}
	data, err := os.ReadFile(sample)
	require.NoError(t, err)
	dir := t.TempDir()
	first := filepath.Join(dir, "TestTimelineSample-seed42.log")
	replay := filepath.Join(dir, "TestTimelineSample-seed42"+ReplaySuffix)
	verdict := "# replay check: reproduced: no: the same seed, run again in a fresh process, failed differently:\n" +
		"#       The runs part at line 380 of the timeline:\n" +
		"#         the replay: 0.459122s kv       1      snapshot through 15: 156 bytes\n"
	withVerdict := strings.Replace(string(data), "#\n# failures", verdict+"#\n# failures", 1)
	require.NotEqual(t, string(data), withVerdict, "the sample's header has a failures section to put the verdict before")
	require.NoError(t, os.WriteFile(first, []byte(withVerdict), 0o644))
	require.NoError(t, os.WriteFile(replay, data, 0o644))
	pages := map[string]string{}
	for _, p := range []string{replay, first} {
		tl, err := ReadFile(p)
		require.NoError(t, err)
		page := strings.TrimSuffix(p, ".log") + ".html"
		f, err := os.Create(page)
		require.NoError(t, err)
		require.NoError(t, WriteHTML(f, tl, HTMLOptions{Links: ArtifactLinks(p, page)}))
		require.NoError(t, f.Close())
		pages[p] = page
	}

	ctx := browser(t, bin, dir)
	eval := func(js string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		require.NoError(t, err, "evaluating %s", js)
		return v
	}

	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate("file://"+pages[first]), chromedp.WaitVisible("#lanes")))
	assert.Equal(t, "replay check: reproduced: no: the same seed, run again in a fresh process, failed differently:",
		eval(`document.querySelector("#replay summary").textContent`))
	assert.Contains(t, eval(`document.querySelector("#replay pre").textContent`), "The runs part at line 380",
		"the verdict's details, where the two runs part, are on the page")
	assert.NotContains(t, eval(`document.getElementById("title").textContent`), "replay check's run", "the first run's page is not the replay's")
	assert.Equal(t, "file://"+filepath.Join(dir, "TestTimelineSample-seed42.replay.html"),
		eval(`[...document.querySelectorAll("#links a")].find(a => a.textContent === "replay.html").href`),
		"the first run's page links to the replay's")

	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate("file://"+pages[replay]), chromedp.WaitVisible("#lanes")))
	assert.Contains(t, eval(`document.getElementById("title").textContent`), "TestTimelineSample FAIL (the replay check's run)",
		"the replay's page says it is the replay, whose header otherwise reads like the first run's")
	assert.Equal(t, "0", eval(`String(document.querySelectorAll("#links a").length)`), "the replay wrote no files of its own here")
}

// A crashed binary leaves a record with no timeline: its page shows the
// crash report, not empty lanes that would read as a run in which nothing
// happened.
func TestHTMLCrashPageInChromium(t *testing.T) {
	bin := findChromium()
	if bin == "" {
		t.Skip("chromium not found; install Debian's chromium (make chromium) to run the page's browser test")
	}
	dir := t.TempDir()
	record := filepath.Join(dir, "TestBasic4A-seed9.log")
	require.NoError(t, os.WriteFile(record, []byte("# labtest timeline of TestBasic4A: CRASH\n# seed: 9\n"+
		"# rerun: go test ./kvraft -run '^TestBasic4A$' -seed 9\n# crash: panic: boom\n#\n"+
		"# the crash report (each distinct goroutine stack once):\npanic: boom\n\ngoroutine 32 [running]:\nkvraft.(*KVServer).applier()\n"), 0o644))
	tl, err := ReadFile(record)
	require.NoError(t, err)
	require.Equal(t, "CRASH", tl.Result)
	page := filepath.Join(dir, "TestBasic4A-seed9.html")
	f, err := os.Create(page)
	require.NoError(t, err)
	require.NoError(t, WriteHTML(f, tl, HTMLOptions{}))
	require.NoError(t, f.Close())

	ctx := browser(t, bin, dir)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate("file://"+page), chromedp.WaitReady(`body[data-ready="yes"]`)))
	shown, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`["toolbar", "scroller", "detail", "stacks"].map(id => id + ":" + (document.getElementById(id).offsetParent !== null)).join(" ")`))
	require.NoError(t, err)
	assert.Equal(t, "toolbar:false scroller:false detail:false stacks:true", shown, "the crash report shows, the empty lanes and their controls do not")
}
