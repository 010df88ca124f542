package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"raftlab/internal/adopt"
	"raftlab/internal/kit"
)

func init() {
	var (
		kitDir, out string
		opts        adopt.Options
	)
	cmd := &cobra.Command{
		Use:   "adopt DIR",
		Short: "Copy a student's classic lab code (src/ tree or one lab folder) into the kit",
		Long: `adopt copies a student's implementation files from a classic lab tree
(the src/ folder of module 6.5840, the folder above it, or one lab folder)
into the kit's raft, kvraft, shardctrler and shardkv packages, rewrites
their 6.5840/ imports to the kit's module, supplies the classic DPrintf
helper where the code calls it without declaring it, and prints every file
it copied, replaced or removed. Tests, config.go, persister.go, labrpc and
labgob are never copied: the kit has its own.

By default it changes the kit it runs in (the kit's reference files of each
adopted lab are removed or replaced, and listed); -out DIR writes a copy of
the kit with the student's code instead, leaving this one untouched.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			root, err := kitRoot(kitDir)
			if err != nil {
				return err
			}
			target := root
			if out != "" {
				if err := emptyOrMissing(out); err != nil {
					return err
				}
				if err := kit.Copy(root, out, nil); err != nil {
					return fmt.Errorf("copying the kit to %s: %w", out, err)
				}
				target = out
			}
			rep, err := adopt.Adopt(args[0], target, opts)
			if rep != nil && (rep.Written || rep.DryRun) {
				rep.Write(cmd.OutOrStdout())
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&kitDir, "kit", "", "the kit's root (default: the raftlab module holding the current directory)")
	f.StringVarP(&out, "out", "o", "", "write a copy of the kit with the student's code to this new folder instead of changing the kit")
	f.StringSliceVar(&opts.Labs, "lab", nil, "adopt only these labs (raft, kvraft, shardctrler, shardkv; repeat or separate with commas)")
	f.BoolVar(&opts.DryRun, "dry-run", false, "print what would be done and change nothing")
	f.BoolVar(&opts.Compile, "compile", true, "compile each adopted lab with the kit's tests afterwards")
	rootCmd.AddCommand(cmd)
}

// kitRoot is the kit named by -kit, or the one holding the current folder.
func kitRoot(flag string) (string, error) {
	if flag != "" {
		return filepath.Abs(flag)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	return kit.FindRoot(wd)
}

// emptyOrMissing refuses to write into a folder that already has files.
func emptyOrMissing(dir string) error {
	ents, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(ents) > 0 {
		return fmt.Errorf("%s is not empty: name a new folder", dir)
	}
	return nil
}
