package main

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// goStyleFlags lets cmd take its long flags with one dash as well as two
// (-runs 3 as well as --runs 3), as go test and the lab's own test flags
// do, so that the grading commands in the README and in graders' scripts
// read like the rest of the kit. pflag alone would take -runs for the
// shorthands -r -u -n -s, so cmd parses its own flags after the rewrite.
func goStyleFlags(cmd *cobra.Command) {
	run := cmd.RunE
	cmd.DisableFlagParsing = true
	cmd.RunE = func(c *cobra.Command, args []string) error {
		fs := c.Flags()
		if err := fs.Parse(doubleDash(fs, args)); err != nil {
			return err
		}
		if help, _ := fs.GetBool("help"); help {
			return c.Help()
		}
		rest := fs.Args()
		if c.Args != nil {
			if err := c.Args(c, rest); err != nil {
				return err
			}
		}
		return run(c, rest)
	}
}

// doubleDash rewrites -name and -name=value to --name for the long flags
// of fs; everything after a lone "--" is left alone.
func doubleDash(fs *pflag.FlagSet, args []string) []string {
	out := make([]string, 0, len(args))
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		if strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && len(a) > 2 {
			name, _, _ := strings.Cut(a[1:], "=")
			if fs.Lookup(name) != nil {
				a = "-" + a
			}
		}
		out = append(out, a)
	}
	return out
}
