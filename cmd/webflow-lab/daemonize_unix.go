//go:build unix

package main

import "syscall"

// detachedAttr puts the daemon in a new session, as uWSGI's setsid(): no
// controlling terminal, so closing the terminal or Ctrl-C there does not
// reach it.
func detachedAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setsid: true}
}
