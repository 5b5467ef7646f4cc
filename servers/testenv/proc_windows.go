package testenv

import (
	"os"
	"os/exec"
	"syscall"
)

// Group starts cmd in a new process group.
func Group(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: syscall.CREATE_NEW_PROCESS_GROUP}
}

// KillGroup kills cmd's process (Windows has no signal for a group).
func KillGroup(cmd *exec.Cmd) error { return cmd.Process.Kill() }

// Alive reports whether pid names a running process.
func Alive(pid int) bool {
	p, err := os.FindProcess(pid) // opens the process: fails once it is gone
	if err != nil {
		return false
	}
	p.Release()
	return true
}
