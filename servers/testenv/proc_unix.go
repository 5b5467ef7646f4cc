//go:build unix

package testenv

import (
	"os/exec"
	"syscall"
)

// KillGroup kills the process group Group made cmd the leader of: the
// server and every child it started (uWSGI's workers, nginx's).
func KillGroup(cmd *exec.Cmd) error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }

// Alive reports whether pid names a running process (kill(pid, 0)).
func Alive(pid int) bool { return syscall.Kill(pid, 0) == nil }
