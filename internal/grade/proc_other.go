//go:build !unix

package grade

import "os/exec"

// Without process groups only the test process itself can be killed.
func ownGroup(cmd *exec.Cmd) {}

func killGroup(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	return cmd.Process.Kill()
}
