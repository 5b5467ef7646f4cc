//go:build windows

package main

import "syscall"

// detachedProcess is DETACHED_PROCESS: the daemon has no console.
const detachedProcess = 0x00000008

// detachedAttr detaches the daemon from the console (DETACHED_PROCESS) and
// from its Ctrl-C (a new process group), Windows' nearest to setsid().
func detachedAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{CreationFlags: detachedProcess | syscall.CREATE_NEW_PROCESS_GROUP, HideWindow: true}
}
