// Command raftlab is the graders' and instructors' tool for the labs: it grades
// submissions test by test in isolated processes, shows failed runs' timelines,
// adopts classic lab trees into the kit and writes the student handout.
//
// Each subcommand lives in a file of its own that adds itself to the root
// command in an init function.
package main

import (
	"os"

	"github.com/spf13/cobra"
)

// rootCmd is the raftlab command; subcommands register themselves on it.
var rootCmd = &cobra.Command{
	Use:           "raftlab",
	Short:         "Grade, inspect and hand out the distributed-systems labs",
	SilenceUsage:  true,
	SilenceErrors: false,
}

// exitCode lets a subcommand that has already reported its outcome (a grading
// run with failures, say) choose the process's exit status.
var exitCode int

func main() {
	if err := rootCmd.Execute(); err != nil {
		os.Exit(2)
	}
	os.Exit(exitCode)
}
