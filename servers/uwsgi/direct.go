package uwsgi

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// The direct path is how a uWSGI worker thread really works: accept(2) on
// the shared socket, then plain blocking read(2)/write(2)/close(2) on the
// connection, with the socket-timeout as SO_RCVTIMEO/SO_SNDTIMEO. It skips
// what Go's net package adds per connection (registering it with epoll and
// removing it again, getsockname, TCP_NODELAY, a hand-off between
// goroutines), which costs more than the whole request for a small app.
// Waiting for a connection still goes through Go's poller, so Shutdown and
// Reload can wake idle workers.
//
// It is used when the workers accept on exactly one socket and no Listener
// hook wraps it; otherwise connections go through net.Conn.

// fdConn is an accepted connection driven with blocking syscalls. Only its
// core reads, writes and closes it; harakiri may abort it from the master.
type fdConn struct {
	fd     int
	mu     sync.Mutex // guards closed against a concurrent abort
	closed bool
	laddr  net.Addr
	raddr  net.Addr
}

// errTimeout is what a read or write past SO_RCVTIMEO/SO_SNDTIMEO returns;
// it reads "i/o timeout" and is a net.Error with Timeout() true.
var errTimeout = os.ErrDeadlineExceeded

func (c *fdConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		n, err := syscall.Read(c.fd, p)
		switch err {
		case nil:
			if n == 0 {
				return 0, io.EOF
			}
			return n, nil
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return 0, errTimeout
		}
		return 0, &net.OpError{Op: "read", Net: "tcp", Source: c.laddr, Addr: c.raddr, Err: os.NewSyscallError("read", err)}
	}
}

func (c *fdConn) Write(p []byte) (int, error) {
	done := 0
	for done < len(p) {
		n, err := syscall.Write(c.fd, p[done:])
		if n > 0 {
			done += n
		}
		switch err {
		case nil:
			continue
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return done, errTimeout
		}
		return done, &net.OpError{Op: "write", Net: "tcp", Source: c.laddr, Addr: c.raddr, Err: os.NewSyscallError("write", err)}
	}
	return done, nil
}

// Close closes the socket once.
func (c *fdConn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	return syscall.Close(c.fd)
}

// abort is harakiri's kill: the peer gets a reset and the core's blocked
// read or write returns at once. The core still closes the fd itself, so
// the number is never reused under its feet.
func (c *fdConn) abort() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	syscall.SetsockoptLinger(c.fd, syscall.SOL_SOCKET, syscall.SO_LINGER, &syscall.Linger{Onoff: 1, Linger: 0})
	syscall.Shutdown(c.fd, syscall.SHUT_RDWR)
}

// resetOnClose makes Close send a reset (a too-big block is refused that way).
func (c *fdConn) resetOnClose() {
	syscall.SetsockoptLinger(c.fd, syscall.SOL_SOCKET, syscall.SO_LINGER, &syscall.Linger{Onoff: 1, Linger: 0})
}

func (c *fdConn) LocalAddr() net.Addr  { return c.laddr }
func (c *fdConn) RemoteAddr() net.Addr { return c.raddr }

// Deadlines are the socket's SO_RCVTIMEO/SO_SNDTIMEO (socket-timeout).
func (c *fdConn) SetDeadline(time.Time) error      { return nil }
func (c *fdConn) SetReadDeadline(time.Time) error  { return nil }
func (c *fdConn) SetWriteDeadline(time.Time) error { return nil }

func sockaddrToAddr(sa syscall.Sockaddr) net.Addr {
	switch a := sa.(type) {
	case *syscall.SockaddrInet4:
		return &net.TCPAddr{IP: net.IP(append([]byte(nil), a.Addr[:]...)), Port: a.Port}
	case *syscall.SockaddrInet6:
		return &net.TCPAddr{IP: net.IP(append([]byte(nil), a.Addr[:]...)), Port: a.Port}
	case *syscall.SockaddrUnix:
		return &net.UnixAddr{Name: a.Name, Net: "unix"}
	}
	return &net.UnixAddr{Name: "@", Net: "unix"} // an unnamed UNIX peer
}

// setTimeouts applies socket-timeout to an accepted socket as SO_RCVTIMEO
// and SO_SNDTIMEO (checked on this kernel: sockets accepted from a Go
// listener do not inherit them from it, so each connection gets its own).
func setTimeouts(fd int, tv *syscall.Timeval) error {
	if err := syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, tv); err != nil {
		return err
	}
	return syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_SNDTIMEO, tv)
}

// acceptDirect waits (in Go's poller) until the socket has a connection and
// accepts it as a blocking fd. An error from the poller means the listener
// was closed or nudged (its deadline passed).
func acceptDirect(l *listener, timeout *syscall.Timeval) (net.Conn, error) {
	var (
		nfd  int
		sa   syscall.Sockaddr
		aerr error
	)
	err := l.rc.Read(func(fd uintptr) bool {
		nfd, sa, aerr = syscall.Accept4(int(fd), syscall.SOCK_CLOEXEC)
		return aerr != syscall.EAGAIN
	})
	if err != nil {
		return nil, err
	}
	if aerr != nil {
		return nil, os.NewSyscallError("accept", aerr)
	}
	if err := setTimeouts(nfd, timeout); err != nil {
		syscall.Close(nfd)
		return nil, os.NewSyscallError("setsockopt", err)
	}
	return &fdConn{fd: nfd, laddr: l.raw.Addr(), raddr: sockaddrToAddr(sa)}, nil
}

// openDirect prepares l for acceptDirect. A listener's own RawConn cannot
// wait for readability (net refuses Read on it), so a dup of its fd is
// opened as an *os.File, which Go's poller watches: waiting, closing and
// deadlines then work as for any pollable file.
func openDirect(l *listener) error {
	sc, ok := l.raw.(syscall.Conn)
	if !ok {
		return errors.New("not a socket")
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	dup := -1
	var derr error
	if err := rc.Control(func(fd uintptr) { dup, derr = syscall.Dup(int(fd)) }); err != nil {
		return err
	}
	if derr != nil {
		return derr
	}
	syscall.CloseOnExec(dup)
	f := os.NewFile(uintptr(dup), l.a.raw)
	frc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return err
	}
	l.file, l.rc = f, frc
	return nil
}

// nudge wakes the cores waiting in acceptDirect: they get a timeout, look
// at their worker's quit channel and leave if it is closed. Reload keeps the
// deadline in the past until the old workers are gone.
func (l *listener) nudge(past bool) {
	if l.file == nil {
		return
	}
	if past {
		l.file.SetReadDeadline(time.Unix(1, 0))
	} else {
		l.file.SetReadDeadline(time.Time{})
	}
}
