//go:build unix

package grade

import (
	"os/exec"
	"syscall"
)

// ownGroup puts the test process in a process group of its own, so that
// killing the group also ends whatever it started (the harness's crash
// monitor, a replay, a student's stray child) and nothing of one run
// outlives it into the next.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// killGroup kills the process group of a process started with ownGroup.
// A group that is already gone is not an error.
func killGroup(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	if err == syscall.ESRCH {
		return nil
	}
	return err
}
