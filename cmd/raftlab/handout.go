package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"raftlab/internal/grade"
	"raftlab/internal/handout"
)

func init() {
	var (
		kitDir  string
		runTest bool
		limit   time.Duration
	)
	cmd := &cobra.Command{
		Use:   "handout OUT",
		Short: "Write the student handout: the kit with skeletons in place of our implementations",
		Long: `handout writes the student handout to OUT (a new folder): the kit with
each lab's implementation replaced by its classic-shaped skeleton, and
raftcore, the staff's tools and the labs' testdata (solutions) left out.
It then checks that the handout builds and vets and, with -test (the
default), that each lab's tests fail cleanly and quickly on the skeletons:
no hang, no crash.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			root, err := kitRoot(kitDir)
			if err != nil {
				return err
			}
			rep, err := handout.Write(root, args[0], handout.Options{})
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprint(w, rep)
			opts := handout.VerifyOptions{Limit: limit, Graded: grade.DefaultRubric().Grades}
			if runTest {
				opts.Tests = handout.RunTests
			}
			v, err := handout.Verify(cmd.Context(), args[0], opts)
			if err != nil {
				if v != nil {
					fmt.Fprint(w, v)
				}
				return fmt.Errorf("the handout at %s is not fit to hand out: %w", args[0], err)
			}
			fmt.Fprintf(w, "go build ./... and go vet ./...: ok\n%s", v)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&kitDir, "kit", "", "the kit's root (default: the raftlab module holding the current directory)")
	f.BoolVar(&runTest, "test", true, "run each lab's tests on the skeletons and check that they fail cleanly")
	f.DurationVar(&limit, "limit", 5*time.Minute, "real time a lab's tests may take on the skeleton before it counts as a hang")
	rootCmd.AddCommand(cmd)
}
