package uwsgi

import (
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// tcpInfoQueue reads a TCP listening socket's accept queue: on a socket in LISTEN
// state Linux reports the current queue length in tcpi_unacked and the
// backlog in tcpi_sacked, which is what uWSGI's master samples each second.
// ok is false for a socket that has no such figure (a UNIX socket). It is
// in every Linux build, the portable one included, so that tests can wait
// for connections to reach the accept queue whichever way the server reads it.
func tcpInfoQueue(ln net.Listener) (cur, max int, ok bool) {
	sc, isSC := ln.(syscall.Conn)
	if !isSC {
		return 0, 0, false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return 0, 0, false
	}
	var info *unix.TCPInfo
	var gerr error
	if err := rc.Control(func(fd uintptr) {
		info, gerr = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
	}); err != nil || gerr != nil {
		return 0, 0, false
	}
	return int(info.Unacked), int(info.Sacked), true
}
