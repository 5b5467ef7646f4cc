//go:build !windows

package main

import "syscall"

// sigReopen is nginx's reopen signal (`-s reopen`).
const sigReopen = syscall.SIGUSR1

// kill sends sig to pid, as nginx -s and uwsgi --stop/--reload do.
func kill(pid int, sig syscall.Signal) error { return syscall.Kill(pid, sig) }
