package testenv

import (
	"os/exec"
	"syscall"
)

// Group starts cmd as the leader of its own process group, so that
// KillGroup reaches its children, and has the kernel kill it if the test
// binary dies first (a -timeout panic skips t.Cleanup).
func Group(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
