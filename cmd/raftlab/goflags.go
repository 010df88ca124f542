package main

import (
	"fmt"
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
		args, err := doubleDash(fs, args)
		if err != nil {
			return fmt.Errorf("%w (raftlab %s -help lists the flags)", err, c.Name())
		}
		if err := fs.Parse(args); err != nil {
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
// of fs; everything after a lone "--" is left alone. A -name fs does not
// have is an error, rather than a string of unknown one-letter flags.
func doubleDash(fs *pflag.FlagSet, args []string) ([]string, error) {
	out := make([]string, 0, len(args))
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...), nil
		}
		if strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && len(a) > 2 {
			name, _, _ := strings.Cut(a[1:], "=")
			switch {
			case fs.Lookup(name) != nil:
				a = "-" + a
			case fs.ShorthandLookup(name[:1]) == nil: // not -ofile.json either
				return nil, fmt.Errorf("unknown flag -%s", name)
			}
		}
		out = append(out, a)
	}
	return out, nil
}
