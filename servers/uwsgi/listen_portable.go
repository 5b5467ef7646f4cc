//go:build !linux || portable

package uwsgi

import (
	"net"
	"syscall"
)

// QueueKnown reports whether this build can read a listening socket's
// accept queue: not here. macOS and Windows have no TCP_INFO figure for it
// (uWSGI on macOS reports a constant 0); the stats say -1, "unknown",
// rather than a false 0, and the master never logs the queue as full.
const QueueKnown = false

// setDeferAccept does nothing: TCP_DEFER_ACCEPT is Linux's. A connection
// that sends nothing waits in a worker until socket-timeout, as with uWSGI
// on macOS.
func setDeferAccept(syscall.RawConn, int) error { return nil }

// queue never knows.
func queue(net.Listener) (cur, max int, ok bool) { return 0, 0, false }
