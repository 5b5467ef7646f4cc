//go:build !portable

package uwsgi

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"webflow-lab/servers/errno"

	"golang.org/x/sys/unix"
)

// The direct path is how a uWSGI worker thread really works: accept(2) on
// the shared socket, then read(2), write(2) and close(2) on a non-blocking
// connection, waiting in poll(2) with the socket-timeout (4 s) when the peer
// is slow — uWSGI's own loop (core/socket.c, core/utils.c uwsgi_waitfd).
// It skips what Go's net package adds per connection (registering it with
// epoll and removing it again, getsockname, TCP_NODELAY, keep-alive, a
// hand-off between goroutines), which costs more than the whole request for
// a small app. Calls that cannot block are made without telling Go's
// scheduler (RawSyscall); poll(2), which can, is an ordinary syscall.
// Waiting for a connection goes through Go's poller, so Shutdown and Reload
// can wake idle workers.
//
// It is used when the workers accept on exactly one socket and no Listener
// hook wraps it; otherwise connections go through net.Conn. It exists on
// Linux only, and not in a build with the portable tag (direct_portable.go):
// then acceptLoop feeds the cores, with the same accept-queue behaviour, log
// lines and events (the whole test suite runs both ways).

// fdConn is an accepted, non-blocking connection. Only its core reads,
// writes and closes it; harakiri may abort it from the master.
type fdConn struct {
	fd      int
	timeout time.Duration // socket-timeout, per wait
	mu      sync.Mutex    // guards closed against a concurrent abort
	closed  bool
	rerr    error // the first read error, returned again by later reads
	laddr   net.Addr
	rsa     syscall.RawSockaddrAny // the peer's address as accept4 filled it in
}

// errTimeout is what a read or write past socket-timeout returns; it reads
// "i/o timeout" and is a net.Error with Timeout() true.
var errTimeout = os.ErrDeadlineExceeded

// wait blocks in poll(2) until fd is ready for events or the timeout passes.
func (c *fdConn) wait(events int16) error {
	deadline := time.Now().Add(c.timeout)
	for {
		ms := int(time.Until(deadline).Milliseconds())
		if ms <= 0 {
			return errTimeout
		}
		fds := []unix.PollFd{{Fd: int32(c.fd), Events: events}}
		n, err := unix.Poll(fds, ms)
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return os.NewSyscallError("poll", err)
		case n == 0:
			return errTimeout
		}
		return nil // ready, or an error/hang-up the next call reports
	}
}

func (c *fdConn) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: "tcp", Source: c.laddr, Addr: c.RemoteAddr(), Err: os.NewSyscallError(op, err)}
}

// Read reads what has arrived, waiting up to socket-timeout for something.
// Its errors are sticky: once a read failed (EOF, timeout, reset) every
// later read returns the same error at once, as the request is over.
func (c *fdConn) Read(p []byte) (int, error) {
	if c.rerr != nil {
		return 0, c.rerr
	}
	n, err := c.read(p)
	c.rerr = err
	return n, err
}

func (c *fdConn) read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		n, _, e := syscall.RawSyscall(syscall.SYS_READ, uintptr(c.fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
		switch e {
		case 0:
			if n == 0 {
				return 0, io.EOF
			}
			return int(n), nil
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			if err := c.wait(unix.POLLIN); err != nil {
				return 0, err
			}
			continue
		}
		return 0, c.opError("read", e)
	}
}

func (c *fdConn) Write(p []byte) (int, error) {
	done := 0
	for done < len(p) {
		n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, uintptr(c.fd), uintptr(unsafe.Pointer(&p[done])), uintptr(len(p)-done))
		switch e {
		case 0:
			done += int(n)
		case syscall.EINTR:
		case syscall.EAGAIN:
			if err := c.wait(unix.POLLOUT); err != nil {
				return done, err
			}
		default:
			return done, c.opError("write", e)
		}
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
	if _, _, e := syscall.RawSyscall(syscall.SYS_CLOSE, uintptr(c.fd), 0, 0); e != 0 {
		return os.NewSyscallError("close", e)
	}
	return nil
}

// abort is harakiri's kill: the peer gets a reset and the core's poll, read
// or write returns at once. The core still closes the fd itself, so the
// number is never reused under its feet.
func (c *fdConn) abort() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.resetOnClose()
	syscall.Shutdown(c.fd, syscall.SHUT_RDWR)
}

// resetOnClose makes Close send a reset (a too-big block is refused that way).
func (c *fdConn) resetOnClose() {
	syscall.SetsockoptLinger(c.fd, syscall.SOL_SOCKET, syscall.SO_LINGER, &syscall.Linger{Onoff: 1, Linger: 0})
}

func (c *fdConn) LocalAddr() net.Addr  { return c.laddr }
func (c *fdConn) RemoteAddr() net.Addr { return rawAddr(&c.rsa) }

// Deadlines are the socket-timeout applied to each wait.
func (c *fdConn) SetDeadline(time.Time) error      { return nil }
func (c *fdConn) SetReadDeadline(time.Time) error  { return nil }
func (c *fdConn) SetWriteDeadline(time.Time) error { return nil }

// selfTimed reports whether conn applies socket-timeout itself (a direct
// path's connection does, in poll).
func selfTimed(conn net.Conn) bool {
	_, ok := conn.(*fdConn)
	return ok
}

// rawAddr decodes the peer address accept4 filled in.
func rawAddr(rsa *syscall.RawSockaddrAny) net.Addr {
	switch rsa.Addr.Family {
	case syscall.AF_INET:
		pp := (*syscall.RawSockaddrInet4)(unsafe.Pointer(rsa))
		port := binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&pp.Port))[:])
		return &net.TCPAddr{IP: net.IPv4(pp.Addr[0], pp.Addr[1], pp.Addr[2], pp.Addr[3]), Port: int(port)}
	case syscall.AF_INET6:
		pp := (*syscall.RawSockaddrInet6)(unsafe.Pointer(rsa))
		port := binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&pp.Port))[:])
		return &net.TCPAddr{IP: net.IP(append([]byte(nil), pp.Addr[:]...)), Port: int(port)}
	}
	return &net.UnixAddr{Name: "@", Net: "unix"} // UNIX peers are unnamed
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
	// F_DUPFD_CLOEXEC, not dup(2) then FD_CLOEXEC: a child started in
	// between (nginx, uWSGI or Chromium launched by a test or the lab) would
	// inherit the listening socket and keep the port open after Shutdown.
	dup := -1
	var derr error
	if err := rc.Control(func(fd uintptr) { dup, derr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0) }); err != nil {
		return err
	}
	if derr != nil {
		return derr
	}
	f := os.NewFile(uintptr(dup), l.a.raw)
	frc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return err
	}
	l.file, l.rc = f, frc
	return nil
}

// An acceptor is one core's state for acceptDirect, kept from one
// connection to the next so that taking a connection allocates nothing: a
// core serves one connection at a time, so its fdConn is reused too (once
// a request is over nothing refers to it: core.end has cleared the pointer
// harakiri uses).
type acceptor struct {
	l       *listener
	conn    fdConn
	nfd     uintptr
	errno   syscall.Errno
	ready   bool
	try     func(uintptr) bool // accept4, for RawConn.Read
	tryOnce func(uintptr)      // accept4, for RawConn.Control
}

func newAcceptor(l *listener) *acceptor {
	a := &acceptor{l: l}
	a.try = a.accept4
	a.tryOnce = func(fd uintptr) { a.ready = a.accept4(fd) }
	return a
}

// accept4 reports whether the call is over (false: EAGAIN, wait).
func (a *acceptor) accept4(fd uintptr) bool {
	n := uint32(syscall.SizeofSockaddrAny)
	a.nfd, _, a.errno = syscall.RawSyscall6(syscall.SYS_ACCEPT4, fd, uintptr(unsafe.Pointer(&a.conn.rsa)),
		uintptr(unsafe.Pointer(&n)), syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0, 0)
	return a.errno != syscall.EAGAIN
}

// acceptDirect takes the next connection from the accept queue. It first
// tries at once (under load the queue is rarely empty) and only then waits
// in Go's poller. An error from the poller means the listener was closed or
// nudged (its deadline passed).
func acceptDirect(a *acceptor, timeout time.Duration) (*fdConn, error) {
	a.ready = false
	if err := a.l.rc.Control(a.tryOnce); err != nil {
		return nil, err
	}
	if !a.ready {
		if err := a.l.rc.Read(a.try); err != nil {
			return nil, err
		}
	}
	if a.errno != 0 {
		return nil, os.NewSyscallError("accept", a.errno)
	}
	c := &a.conn
	c.mu.Lock()
	c.fd, c.timeout, c.closed, c.rerr, c.laddr = int(a.nfd), timeout, false, nil, a.l.raw.Addr()
	c.mu.Unlock()
	return c, nil
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

// runCoreDirect is a core that accept()s on the socket itself, as a uWSGI
// worker thread does: while it serves, it does not accept, so when every core
// is busy new connections wait in the kernel's accept queue.
func (s *Server) runCoreDirect(c *core, l *listener) {
	var backoff time.Duration
	a := newAcceptor(l)
	for {
		select {
		case <-c.w.quit:
			return
		case <-s.closing:
			return
		default:
		}
		conn, err := acceptDirect(a, s.socketTimeout)
		if err != nil {
			select {
			case <-s.closing:
				return
			case <-c.w.quit:
				return
			default:
			}
			var ne net.Error
			switch {
			case errno.Is(err, errno.ECONNABORTED) || errno.Is(err, errno.EINTR):
				continue // one connection's trouble, not the socket's
			case errors.As(err, &ne) && ne.Timeout():
				// A reload's nudge, meant for retiring cores: a live core
				// waits below rather than spin while it lasts.
			default:
				// EMFILE, or EINVAL once the socket no longer listens: the
				// line in uwsgi_error()'s form, then a pause, never a spin.
				s.log.Print(acceptErrText(err))
			}
			// Back off as net/http's Serve does, 5 ms doubling to 1 s, and
			// stop at once when the worker or the server goes.
			if !s.backOff(&backoff, c.w.quit) {
				return
			}
			continue
		}
		backoff = 0
		// The accept is reported with the request it becomes (handle),
		// once the packet says which request that is.
		s.serve(c, job{conn: conn, l: l, accepted: time.Now()})
	}
}
