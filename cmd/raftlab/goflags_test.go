package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestGoStyleArgs(t *testing.T) {
	got := goStyleArgs([]string{"logs", "-server", "0,2", "-from=4.5", "--to", "7", "-o", "x", "f.log", "--", "-run", "3A"})
	assert.Equal(t, []string{"logs", "--server", "0,2", "--from=4.5", "--to", "7", "-o", "x", "f.log", "--", "-run", "3A"}, got,
		"one-dash long flags become two-dash; shorthands and everything after -- stay")
}
