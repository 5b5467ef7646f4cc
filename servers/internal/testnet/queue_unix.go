//go:build unix

package testnet

import (
	"net"
	"syscall"
	"testing"
)

// shortenQueue listens again with a backlog of 0: the kernel then holds one
// completed connection (Linux: backlog+1) and drops the next SYNs.
func shortenQueue(_ testing.TB, ln *net.TCPListener) error {
	rc, err := ln.SyscallConn()
	if err != nil {
		return err
	}
	var lerr error
	if err := rc.Control(func(fd uintptr) { lerr = syscall.Listen(int(fd), 0) }); err != nil {
		return err
	}
	return lerr
}
