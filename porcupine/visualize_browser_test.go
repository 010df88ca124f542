package porcupine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The browser test loads pages in Debian's headless chromium. The page runs
// its own checks when its URL ends in #selftest and writes them as JSON into
// <pre id="selftest">, which --dump-dom prints once the page has loaded; the
// page's script is synchronous, so no virtual time budget is needed and its
// performance.now() readings are real.

// visSelftest mirrors the JSON the page writes.
type visSelftest struct {
	LoadMs     float64   `json:"loadMs"`
	LayoutMs   float64   `json:"layoutMs"`
	FullLayout float64   `json:"fullLayoutMs"`
	RenderMs   float64   `json:"renderMs"`
	Verdict    string    `json:"verdict"`
	OpsTotal   int       `json:"opsTotal"`
	OpsDrawn   int       `json:"opsDrawn"`
	PartsDrawn int       `json:"partsDrawn"`
	NextTotal  int       `json:"nextTotal"`
	NextDrawn  int       `json:"nextDrawn"`
	AnnTotal   int       `json:"annTotal"`
	AnnDrawn   int       `json:"annDrawn"`
	Resources  int       `json:"resources"`
	First      *visFirst `json:"first"`
	Focus      *struct {
		Part int  `json:"p"`
		Op   int  `json:"op"`
		Next bool `json:"next"`
	} `json:"focus"`
	FocusCount   int      `json:"focusCount"`
	DetailsShown bool     `json:"detailsShown"`
	DetailsText  string   `json:"detailsText"`
	HoverOp      int      `json:"hoverOp"`
	ZoomOps      int      `json:"zoomOpsDrawn"`
	Filtered     int      `json:"filteredPanes"`
	HoverText    string   `json:"hoverText"`
	HoverPoints  int      `json:"hoverPathPoints"`
	Errors       []string `json:"errors"`
}

func visFindChromium() string {
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

func visNeedChromium(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	bin := visFindChromium()
	if bin == "" {
		t.Skip("chromium not found; install Debian's chromium: scripts/install-chromium.sh")
	}
	return bin
}

// visChromium runs headless chromium with args and a fresh profile, and
// returns its stdout. The whole process group is killed on timeout, because
// chromium's helper processes would otherwise outlive it and hold the pipes.
func visChromium(t *testing.T, bin string, timeout time.Duration, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	profile := t.TempDir()
	base := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--disable-extensions", "--mute-audio", "--hide-scrollbars",
		// The page is offline by design; make any attempt to reach the
		// network fail fast instead of waiting on DNS.
		"--host-resolver-rules=MAP * ~NOTFOUND",
		"--user-data-dir=" + profile,
	}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	cmd.Env = append(os.Environ(), "HOME="+profile)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("chromium timed out after %v; stderr:\n%s", timeout, visTail(stderr.String(), 2000))
	}
	// Chromium may leave helpers behind in its group even on success.
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	require.NoError(t, err, "chromium failed; stderr:\n%s", visTail(stderr.String(), 2000))
	return stdout.String()
}

func visTail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

func visRunSelftest(t *testing.T, bin, page string) visSelftest {
	t.Helper()
	abs, err := filepath.Abs(page)
	require.NoError(t, err)
	dom := visChromium(t, bin, 90*time.Second, "--window-size=1400,900", "--dump-dom", "file://"+abs+"#selftest")
	const open = `<pre id="selftest">`
	i := strings.Index(dom, open)
	require.GreaterOrEqual(t, i, 0, "page wrote no self-test result; DOM tail:\n%s", visTail(dom, 3000))
	rest := dom[i+len(open):]
	j := strings.Index(rest, "</pre>")
	require.GreaterOrEqual(t, j, 0)
	var res visSelftest
	require.NoError(t, json.Unmarshal([]byte(html.UnescapeString(rest[:j])), &res))
	return res
}

func visCheckSelftest(t *testing.T, res visSelftest, info LinearizationInfo) {
	t.Helper()
	doc := visBuild(visKVModel(), info)
	assert.Empty(t, res.Errors, "JavaScript errors")
	assert.Zero(t, res.Resources, "the page fetched something")
	assert.Equal(t, doc.OpCount, res.OpsTotal)
	assert.Equal(t, doc.OpCount, res.OpsDrawn, "every operation is drawn")
	assert.Equal(t, len(info.partitions), res.PartsDrawn)
	assert.Equal(t, res.NextTotal, res.NextDrawn, "every operation that cannot be linearized is drawn in red")
	assert.Positive(t, res.NextDrawn)
	assert.Positive(t, res.AnnDrawn)
	assert.Contains(t, res.Verdict, "Illegal")
	// After "jump to first error", exactly the first stuck operation is
	// selected, and its details say why.
	require.NotNil(t, doc.First)
	require.NotNil(t, res.Focus, "nothing selected after clicking jump")
	assert.Equal(t, 1, res.FocusCount)
	assert.Equal(t, doc.First.Part, res.Focus.Part)
	assert.Equal(t, doc.First.Op, res.Focus.Op)
	assert.True(t, res.Focus.Next, "the selected operation is drawn as one that cannot be linearized")
	assert.True(t, res.DetailsShown)
	assert.Contains(t, res.DetailsText, "Cannot be linearized here")

	// Hovering the last operation before the break shows the states the Go
	// side replayed around it, and the numbered path leading to it.
	p := doc.Parts[doc.First.Part]
	lin := p.Partials[p.Stuck]
	require.NotEmpty(t, lin)
	last := lin[len(lin)-1]
	assert.Equal(t, last, res.HoverOp)
	before, after := doc.Strings[visOpField(p, last, 6)], doc.Strings[visOpField(p, last, 7)]
	assert.Contains(t, res.HoverText, "state before"+before)
	assert.Contains(t, res.HoverText, "state after"+after)
	assert.Contains(t, res.HoverText, fmt.Sprintf("#%d of %d", len(lin), len(lin)))
	assert.Equal(t, min(len(lin), 12), res.HoverPoints)

	assert.Equal(t, doc.OpCount, res.ZoomOps, "every operation is redrawn after zooming")
	illegal := 0
	for _, p := range doc.Parts {
		if p.Illegal {
			illegal++
		}
	}
	assert.Equal(t, illegal, res.Filtered, "the filter shows only the illegal partitions")
}

func TestVisualizeBrowser(t *testing.T) {
	bin := visNeedChromium(t)
	dir := t.TempDir()
	if keep := os.Getenv("RAFTLAB_VIS_KEEP"); keep != "" {
		// Keeps the pages for a look in a real browser.
		dir = keep
		require.NoError(t, os.MkdirAll(dir, 0o755))
	}

	t.Run("illegal", func(t *testing.T) {
		info := visIllegalInfo()
		page := filepath.Join(dir, "illegal.html")
		require.NoError(t, VisualizePath(visKVModel(), info, page))
		start := time.Now()
		res := visRunSelftest(t, bin, page)
		t.Logf("chromium run %v; page script done at %.0f ms (render %.1f ms), laid out at %.0f ms",
			time.Since(start).Round(time.Millisecond), res.LoadMs, res.RenderMs, res.LayoutMs)
		visCheckSelftest(t, res, info)
		assert.Contains(t, res.DetailsText, `get("y") -> "1"`)
		assert.Contains(t, res.DetailsText, `"2"`, "the state at the break point")
	})

	t.Run("5000ops", func(t *testing.T) {
		info := visCheck(t, visBigHistory(5000, 10, 5, true))
		page := filepath.Join(dir, "big.html")
		require.NoError(t, VisualizePath(visKVModel(), info, page))
		st, err := os.Stat(page)
		require.NoError(t, err)
		start := time.Now()
		res := visRunSelftest(t, bin, page)
		t.Logf("5000 ops: page %d KiB; chromium run %v; page script done at %.0f ms (render %.0f ms), laid out at %.0f ms; laying out every pane: %.0f ms more",
			st.Size()/1024, time.Since(start).Round(time.Millisecond), res.LoadMs, res.RenderMs, res.LayoutMs, res.FullLayout)
		visCheckSelftest(t, res, info)
		// Generous: the point is to catch accidental quadratic rendering,
		// on a shared, busy machine.
		assert.Less(t, res.LayoutMs, 15000.0)
	})

	t.Run("1000partitions", func(t *testing.T) {
		// Per-pane costs (headers, annotation bands in every pane) must not
		// dominate when a history touches many keys.
		info := visCheck(t, visBigHistory(5000, 20, 1000, true))
		page := filepath.Join(dir, "many.html")
		require.NoError(t, VisualizePath(visKVModel(), info, page))
		start := time.Now()
		res := visRunSelftest(t, bin, page)
		t.Logf("5000 ops in %d partitions: chromium run %v; laid out at %.0f ms; laying out every pane: %.0f ms more",
			len(info.partitions), time.Since(start).Round(time.Millisecond), res.LayoutMs, res.FullLayout)
		visCheckSelftest(t, res, info)
		assert.Less(t, res.LayoutMs, 15000.0)
	})

	t.Run("javascript errors are reported", func(t *testing.T) {
		// A page whose data the script cannot digest must fail the
		// self-test, not pass silently.
		var b strings.Builder
		require.NoError(t, visWritePage(&b, Ok, []byte(`{"parts":[{"ops":null}]}`)))
		page := filepath.Join(dir, "broken.html")
		require.NoError(t, os.WriteFile(page, []byte(b.String()), 0o644))
		res := visRunSelftest(t, bin, page)
		assert.NotEmpty(t, res.Errors)
	})
}

// TestVisualizeScreenshot renders the illegal example (or, with
// RAFTLAB_VIS_OPS=n, a random n-operation one) to a PNG, for people iterating
// on the design: RAFTLAB_VIS_SCREENSHOT=/tmp/vis.png.
func TestVisualizeScreenshot(t *testing.T) {
	out := os.Getenv("RAFTLAB_VIS_SCREENSHOT")
	if out == "" {
		t.Skip("set RAFTLAB_VIS_SCREENSHOT=/path/to.png to take a screenshot")
	}
	bin := visNeedChromium(t)
	info := visIllegalInfo()
	if n, _ := strconv.Atoi(os.Getenv("RAFTLAB_VIS_OPS")); n > 0 {
		info = visBigHistory(n, 10, 5, os.Getenv("RAFTLAB_VIS_OK") == "")
	}
	if os.Getenv("RAFTLAB_VIS_CHECK") != "" {
		// What the real checker reports for the same history.
		info = visCheck(t, info)
	}
	if os.Getenv("RAFTLAB_VIS_UNKNOWN") != "" {
		last := len(info.partitions) - 1
		info.partitions[last].illegal = false
		info.unknown = &UnknownReason{Cause: "timeout", Detail: "timed out after 10s", Explored: 123456, LongestPrefix: 4, Partition: last}
	}
	page := filepath.Join(t.TempDir(), "shot.html")
	require.NoError(t, VisualizePath(visKVModel(), info, page))
	abs, err := filepath.Abs(out)
	require.NoError(t, err)
	visChromium(t, bin, 90*time.Second, "--window-size=1400,900", "--screenshot="+abs, "file://"+page)
	_, err = os.Stat(abs)
	require.False(t, errors.Is(err, os.ErrNotExist), "no screenshot written")
}

// visCheck runs the checker on the operations of a hand-made info and
// returns what it reports, with the same annotations.
func visCheck(t *testing.T, info LinearizationInfo) LinearizationInfo {
	t.Helper()
	var history []Operation
	for _, p := range info.partitions {
		history = append(history, p.ops...)
	}
	_, got := CheckOperationsVerbose(visKVModel(), history, time.Minute)
	require.Nil(t, got.Unknown(), "the checker gave up")
	got.AddAnnotations(info.annotations)
	return got
}

// With a clock, the page tells times as the test's seconds, as its log
// does, rather than as bare timestamps.
func TestVisualizeTellsTimeByTheClock(t *testing.T) {
	bin := visNeedChromium(t)
	info := visIllegalInfo()
	info.SetClock(time.Millisecond, -2000) // timestamps are milliseconds since 2s into the test
	page := filepath.Join(t.TempDir(), "clock.html")
	require.NoError(t, VisualizePath(visKVModel(), info, page))
	dom := visChromium(t, bin, 90*time.Second, "--window-size=1400,900", "--dump-dom", "file://"+page)
	ticks := regexp.MustCompile(`>t=([^<]*)<`).FindAllStringSubmatch(dom, -1)
	require.NotEmpty(t, ticks, "the page has time ticks")
	for _, m := range ticks {
		assert.Regexp(t, `^2\.0[0-9]{2}000s(  \([0-9]+\))?$`, m[1], "a time in the test's seconds, the raw timestamp beside it in details (timestamps 0..99 ms after 2s)")
	}
}
