package timeline

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestArtifactsAreTheRunsOwnFiles(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{
		"TestA-seed1.log", "TestA-seed1-linearizability.html", "TestA-seed1-history #2.txt",
		"TestA-seed1.replay.log", "TestA-seed1.replay.html", // the replay check's timeline and its page
		"TestA-seed1.replay-linearizability.html",                 // the replay's own picture
		"TestA-seed1.2.log", "TestA-seed1.2-linearizability.html", // a later run with the same seed
		"TestA-seed12.log", "TestA-seed12-linearizability.html", "TestA-seed12.replay.log", "x.html", // other runs' files
	} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), nil, 0o644))
	}
	tl := filepath.Join(dir, "TestA-seed1.log")
	assert.Equal(t, []string{
		filepath.Join(dir, "TestA-seed1-history #2.txt"), filepath.Join(dir, "TestA-seed1-linearizability.html"),
		filepath.Join(dir, "TestA-seed1.replay.html"), filepath.Join(dir, "TestA-seed1.replay.log"),
	}, Artifacts(tl), "the run's own files and the replay check's timeline, which is read beside it")
	assert.Equal(t, []string{filepath.Join(dir, "TestA-seed1.2-linearizability.html")}, Artifacts(filepath.Join(dir, "TestA-seed1.2.log")))
	assert.Equal(t, []string{filepath.Join(dir, "TestA-seed1.replay-linearizability.html")}, Artifacts(filepath.Join(dir, "TestA-seed1.replay.log")),
		"a replay's timeline has its own picture, and no replay of its own")

	t.Run("links are relative to the page", func(t *testing.T) {
		beside := ArtifactLinks(tl, filepath.Join(dir, "page.html"))
		assert.Equal(t, []Link{
			{"history #2.txt", "TestA-seed1-history%20%232.txt"}, {"linearizability.html", "TestA-seed1-linearizability.html"},
			{"replay.html", "TestA-seed1.replay.html"}, {"replay.log", "TestA-seed1.replay.log"},
		}, beside)
		elsewhere := ArtifactLinks(tl, filepath.Join(dir, "pages", "page.html"))
		require.Len(t, elsewhere, 4)
		assert.Equal(t, "../TestA-seed1-linearizability.html", elsewhere[1].Href)
	})

	t.Run("a page named like an artifact does not link to itself", func(t *testing.T) {
		page := filepath.Join(dir, "TestA-seed1-timeline.html")
		require.NoError(t, os.WriteFile(page, nil, 0o644)) // logs -html creates the page before it writes it
		for _, l := range ArtifactLinks(tl, page) {
			assert.NotEqual(t, "TestA-seed1-timeline.html", l.Href, "the page links to itself")
		}
		assert.Len(t, ArtifactLinks(tl, page), 4, "the page still links to the run's other files")
	})
	assert.Empty(t, Artifacts(filepath.Join(dir, "missing", "TestA-seed1.log")), "a folder that cannot be read has no artifacts")
}
