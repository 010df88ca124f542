package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"raftlab/internal/grade"
)

func init() {
	var out, junit, gs string
	cmd := &cobra.Command{
		Use:   "merge A.json B.json … -o OUT.json",
		Short: "Combine the -json results of grading shards (or repeated runs) into one",
		Long: `merge reads results written by raftlab grade -json, typically one per shard of
a CI matrix, and writes one result set: every test's runs from every file, so
a test earns its points only if all of them passed. It prints the points
table, can write JUnit and Gradescope files from the merged set, and exits 1
when a selected test is in none of the files (a shard that did not finish).`,
		Example: `  raftlab merge shard-*.json -o all.json -junit all.xml -gradescope results.json`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var in []*grade.Results
			for _, a := range args {
				r, err := grade.ReadJSON(a)
				if err != nil {
					return err
				}
				in = append(in, r)
			}
			merged, err := grade.Merge(in)
			if err != nil {
				return err
			}
			merged.WriteReport(os.Stdout)
			if out == "" && junit == "" && gs == "" {
				fmt.Fprintln(os.Stderr, "merge: no output file given (-o, -junit, -gradescope); printed the table only")
			}
			if err := writeOutputs(merged, out, junit, gs); err != nil {
				return err
			}
			exitCode = verdictCode(merged)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the merged results (JSON) to this file")
	cmd.Flags().StringVar(&junit, "junit", "", "write the merged results as JUnit XML")
	cmd.Flags().StringVar(&gs, "gradescope", "", "write the merged results as Gradescope's results.json")
	rootCmd.AddCommand(cmd)
}
