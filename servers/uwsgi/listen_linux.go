//go:build !portable

package uwsgi

import (
	"net"
	"syscall"
)

// QueueKnown reports whether this build can read a listening socket's
// accept queue: on Linux, with TCP_INFO (queue).
const QueueKnown = true

// setDeferAccept sets TCP_DEFER_ACCEPT: the kernel hands a connection to
// accept(2) only once its first bytes arrived, as uWSGI sets it on its uwsgi
// sockets (core/socket.c). A connection that sends nothing never takes a
// worker.
func setDeferAccept(c syscall.RawConn, secs int) error {
	var serr error
	if err := c.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_DEFER_ACCEPT, secs)
	}); err != nil {
		return err
	}
	return serr
}

// queue is the kernel's figure (tcpInfoQueue).
func queue(ln net.Listener) (cur, max int, ok bool) { return tcpInfoQueue(ln) }
