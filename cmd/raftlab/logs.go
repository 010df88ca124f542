package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"raftlab/internal/timeline"
)

func init() {
	var (
		servers, topics, hide []string
		from, to, html, color string
		width                 int
		values, topology      bool
		stacks                bool
	)
	cmd := &cobra.Command{
		Use:   "logs FILE|DIR",
		Short: "Show a test's timeline file: a column per server in the terminal, or an HTML page",
		Long: `logs reads a timeline file that the lab tests write for a failed test
(testlogs/<Test>-seed<S>.log; every test's with -logs) and shows it in the
terminal with one column per server, coloured by topic: each server's log
lines and the RPCs it sent (with their fate) in its column, the test's
actions (crash, partition, heal) and failures across all columns.

-html OUT writes one self-contained page instead (it works offline): a lane
per server over virtual time, RPC arrows, bands where a server was down or
disconnected and where the cluster was partitioned, every line on hover,
topic toggles and zoom. Its header links to the files the test wrote for
the same run beside the timeline (a linearizability page).

Given a folder (testlogs/), it lists the timeline files in it, one line
each: result, test, seed and the first failure.`,
		Example: `  raftlab logs testlogs/TestBackup3B-seed42.log
  raftlab logs -server 0,2 -topic election,log -from 4.5 -to 7 testlogs/TestBackup3B-seed42.log
  raftlab logs -html backup.html testlogs/TestBackup3B-seed42.log`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if st, err := os.Stat(args[0]); err == nil && st.IsDir() {
				return listTimelines(cmd, args[0])
			}
			tl, err := timeline.ReadFile(args[0])
			if err != nil {
				return err
			}
			f := timeline.Filter{Servers: servers, Topics: topics, Hide: hide, Topology: topology}
			if f.From, err = timeline.ParseTime(from); err != nil {
				return fmt.Errorf("-from: %w", err)
			}
			if f.To, err = timeline.ParseTime(to); err != nil {
				return fmt.Errorf("-to: %w", err)
			}
			if html != "" {
				if err := f.Check(tl); err != nil {
					return err
				}
				out, err := os.Create(html)
				if err != nil {
					return err
				}
				links := timeline.ArtifactLinks(args[0], html)
				if err := timeline.WriteHTML(out, tl, timeline.HTMLOptions{Filter: f, Links: links}); err != nil {
					out.Close()
					return err
				}
				if err := out.Close(); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: open it in a browser\n", html)
				return nil
			}
			mode := timeline.ColorMode(color)
			switch mode {
			case timeline.ColorAuto, timeline.ColorAlways, timeline.ColorNever:
			default:
				return fmt.Errorf("-color %q: want auto, always or never", color)
			}
			if width == 0 {
				width = terminalWidth()
			}
			return timeline.Render(cmd.OutOrStdout(), tl, timeline.RenderOptions{Filter: f, Width: width, Color: mode, Values: values, Stacks: stacks, Files: timeline.Artifacts(args[0])})
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&servers, "server", nil, "show only these servers' columns (e.g. 0,2)")
	fl.StringSliceVar(&topics, "topic", nil, "show only these topics (election, log, persist, snapshot, apply, client, network, test, kv, ...)")
	fl.StringSliceVar(&hide, "hide", nil, "hide these topics (e.g. network)")
	fl.StringVar(&from, "from", "", "start at this virtual time (seconds since the test's start, e.g. 4.5)")
	fl.StringVar(&to, "to", "", "stop at this virtual time")
	fl.BoolVar(&topology, "topology", false, "also show the network's link-level changes (end enabled/disabled), which repeat the test's actions")
	fl.BoolVar(&values, "values", false, "show each RPC's arguments and reply")
	fl.BoolVar(&stacks, "stacks", false, "show the goroutine stacks the guards took (a crash report is always shown)")
	fl.IntVar(&width, "width", 0, "line width (default: the terminal's, else 160)")
	fl.StringVar(&color, "color", "auto", "colour: auto (on a terminal, unless NO_COLOR is set), always or never")
	fl.StringVar(&html, "html", "", "write a self-contained HTML page to this file instead")
	rootCmd.AddCommand(cmd)
}

// listTimelines prints one line per timeline file of dir.
func listTimelines(cmd *cobra.Command, dir string) error {
	list, err := timeline.List(dir)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		return fmt.Errorf("no timeline files in %s (the tests write them there for a failed test, or for every test with -logs)", dir)
	}
	for _, s := range list {
		fmt.Fprintf(cmd.OutOrStdout(), "%-5s %s  %s (seed %s)  %s\n", s.Result, s.Path, s.Test, s.Seed, s.Headline)
	}
	return nil
}

// terminalWidth is the width of the terminal on standard output, $COLUMNS,
// or 160.
func terminalWidth() int {
	if w, _, err := term.GetSize(os.Stdout.Fd()); err == nil && w > 0 {
		return w
	}
	var w int
	if _, err := fmt.Sscan(strings.TrimSpace(os.Getenv("COLUMNS")), &w); err == nil && w > 0 {
		return w
	}
	return 160
}
