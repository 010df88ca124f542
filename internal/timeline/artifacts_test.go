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
		"TestA-seed1.replay.log",                                  // a timeline, not an artifact
		"TestA-seed1.2.log", "TestA-seed1.2-linearizability.html", // a later run with the same seed
		"TestA-seed12.log", "TestA-seed12-linearizability.html", "x.html", // other runs' files
	} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), nil, 0o644))
	}
	tl := filepath.Join(dir, "TestA-seed1.log")
	assert.Equal(t, []string{filepath.Join(dir, "TestA-seed1-history #2.txt"), filepath.Join(dir, "TestA-seed1-linearizability.html")}, Artifacts(tl))
	assert.Equal(t, []string{filepath.Join(dir, "TestA-seed1.2-linearizability.html")}, Artifacts(filepath.Join(dir, "TestA-seed1.2.log")))

	t.Run("links are relative to the page", func(t *testing.T) {
		beside := ArtifactLinks(tl, filepath.Join(dir, "page.html"))
		assert.Equal(t, []Link{{"history #2.txt", "TestA-seed1-history%20%232.txt"}, {"linearizability.html", "TestA-seed1-linearizability.html"}}, beside)
		elsewhere := ArtifactLinks(tl, filepath.Join(dir, "pages", "page.html"))
		require.Len(t, elsewhere, 2)
		assert.Equal(t, "../TestA-seed1-linearizability.html", elsewhere[1].Href)
	})
	assert.Empty(t, Artifacts(filepath.Join(dir, "missing", "TestA-seed1.log")), "a folder that cannot be read has no artifacts")
}
