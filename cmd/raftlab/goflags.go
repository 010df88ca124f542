package main

import (
	"os"
	"regexp"
)

// Go's own tools spell long flags with one dash (go test -run, -count), and
// so do the README and the lab's habits; cobra wants two. Rewriting
// "-name" and "-name=value" to the double-dash form lets both spellings
// work. One-letter flags (-o) stay shorthands, and nothing after "--"
// (arguments passed through to go test) is touched.
var goStyleFlag = regexp.MustCompile(`^-[A-Za-z][A-Za-z0-9-]+(=.*)?$`)

func goStyleArgs(args []string) []string {
	out := make([]string, len(args))
	passthrough := false
	for i, a := range args {
		switch {
		case passthrough:
		case a == "--":
			passthrough = true
		case goStyleFlag.MatchString(a):
			a = "-" + a
		}
		out[i] = a
	}
	return out
}

func init() {
	rootCmd.SetArgs(goStyleArgs(os.Args[1:]))
}
