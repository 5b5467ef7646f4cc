//go:build unix && !linux

package testenv

import (
	"os/exec"
	"syscall"
)

// Group starts cmd as the leader of its own process group, so that
// KillGroup reaches its children.
func Group(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }
