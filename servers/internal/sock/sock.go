// Package sock is socket I/O for the servers' hot paths, made the way nginx
// makes it: reads and writes on non-blocking sockets are plain system calls
// with the runtime's poller doing the waiting, a vector goes out in one
// writev(2), and a TCP connect costs socket, connect and a check of the
// outcome, nothing more.
//
// The Go runtime treats every system call from the net and os packages as
// one that may block: it records the call, and a call that lasts a little
// while (a loopback connect or write does the receiver's TCP work inline)
// loses its thread's processor to another thread, which costs two context
// switches. A non-blocking socket call never sleeps, so it may be made as a
// raw system call instead. On the proxy's dynamic path this and the dialer
// cut the Go code's CPU per request from 20-25 to 13-16 µs.
//
// That raw path is Linux's (sock_linux.go). Other systems, and a Linux build
// with the portable tag (go build -tags portable), leave the work to the net
// package (sock_other.go): the same connections, bytes, errors and socket
// options, at the net package's cost. The whole test suite runs both ways.
package sock

import (
	"context"
	"io"
	"net"
)

// Writev writes bufs to w: in one writev(2) on a connection from Wrap or
// Dialer (or a *net.TCPConn), else one Write per buffer.
func Writev(w io.Writer, bufs net.Buffers) (int64, error) {
	if v, ok := w.(interface {
		Writev(net.Buffers) (int64, error)
	}); ok {
		return v.Writev(bufs)
	}
	return bufs.WriteTo(w)
}

// A Dialer connects to upstream peers as nginx does (ngx_event_connect_peer):
// the socket gets no options, so TCP_NODELAY and keep-alive probes stay off
// as on nginx's upstream connections (uwsgi_socket_keepalive and
// proxy_socket_keepalive default to off). The zero value is ready, and every
// path a connect takes — the raw one for an IP literal on Linux, the net
// package's for a name, a UNIX socket or another system — gives a socket
// set up the same way, read and written the same way (Wrap).
type Dialer struct{}

var netDialer = &net.Dialer{KeepAlive: -1}

// dialNet connects with the net package, then undoes the one option it sets
// by itself: Go turns TCP_NODELAY on for every TCP connection.
func dialNet(ctx context.Context, network, address string) (net.Conn, error) {
	c, err := netDialer.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetNoDelay(false)
	}
	return Wrap(c), nil
}
