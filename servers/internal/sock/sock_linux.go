//go:build !portable

package sock

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// TCPConn is a *net.TCPConn whose Read, Write and Writev make raw system
// calls. Everything else (deadlines, Close, CloseWrite, the sendfile path of
// ReadFrom) is the net package's.
type TCPConn struct {
	*net.TCPConn
	raw *rawIO
}

// Wrap returns nc as a *TCPConn when it is a *net.TCPConn, else nc itself.
func Wrap(nc net.Conn) net.Conn {
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		return nc
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return nc
	}
	return &TCPConn{TCPConn: tc, raw: newRawIO(rc)}
}

func (c *TCPConn) Read(b []byte) (int, error) {
	n, err := c.raw.read(b)
	return n, opError("read", c.RemoteAddr(), err)
}

func (c *TCPConn) Write(b []byte) (int, error) {
	n, err := c.raw.write(b)
	return n, opError("write", c.RemoteAddr(), err)
}

// Writev writes bufs with writev(2), waiting while the socket buffer is
// full. bufs is consumed.
func (c *TCPConn) Writev(bufs net.Buffers) (int64, error) {
	n, err := c.raw.writev(bufs)
	return n, opError("writev", c.RemoteAddr(), err)
}

// Conn is a TCP connection opened by dialRaw: a non-blocking socket the
// runtime's poller drives through an *os.File. It implements net.Conn.
type Conn struct {
	closed atomic.Bool // os.File says "use of closed file"; a net.Conn says net.ErrClosed
	f      *os.File
	raw    *rawIO
	sa     syscall.Sockaddr
	raddr  *net.TCPAddr
}

// DialContext connects to address. A TCP address whose host is an IP
// literal takes the raw path (dialRaw); anything else (a name to resolve, a
// UNIX socket) the net package's, with the same options (dialNet).
func (Dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	if network == "tcp" {
		if c, ok, err := dialRaw(address); ok {
			if err != nil {
				return nil, err
			}
			if err := c.finishConnect(ctx); err != nil {
				c.Close()
				return nil, err
			}
			return c, nil
		}
	}
	return dialNet(ctx, network, address)
}

// finishConnect waits for the connect dialRaw started, until ctx ends. Like
// nginx, which returns to its event loop after connect(2) and writes when
// epoll reports the socket writable, it first lets the rest of the ready
// work run: writing at once made the app server's worker wake for each
// request alone and preempt this thread, a context switch or two per request
// on each side, which doubled the app server's kernel time. On loopback the
// handshake is over by then, and no deadline needs arming.
func (c *Conn) finishConnect(ctx context.Context) error {
	runtime.Gosched()
	done, err := c.Connected()
	if done {
		return err
	}
	if d, ok := ctx.Deadline(); ok {
		c.SetWriteDeadline(d)
	}
	stop := context.AfterFunc(ctx, func() { c.SetWriteDeadline(time.Unix(1, 0)) })
	err = c.WaitConnected()
	if !stop() && err == nil {
		err = ctx.Err() // ended meanwhile: its past deadline may land at any moment
	}
	if err != nil {
		if ctx.Err() != nil {
			return c.opError("dial", ctx.Err())
		}
		return err
	}
	c.SetWriteDeadline(time.Time{})
	return nil
}

// dialRaw starts a TCP connect to address, a "host:port" whose host is an IP
// literal. ok is false when address is not one (a name to resolve): the
// caller dials with the net package instead. The connect may still be in
// progress when dialRaw returns: WaitConnected finishes it. On loopback the
// kernel has usually done the whole handshake by then.
func dialRaw(address string) (c *Conn, ok bool, err error) {
	ap, perr := netip.ParseAddrPort(address)
	if perr != nil {
		return nil, false, nil
	}
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	family := syscall.AF_INET
	var sa syscall.Sockaddr
	if ap.Addr().Is4() {
		sa = &syscall.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}
	} else {
		family = syscall.AF_INET6
		sa = &syscall.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16(), ZoneId: zoneID(ap.Addr().Zone())}
	}
	raddr := net.TCPAddrFromAddrPort(ap)
	fd, err := syscall.Socket(family, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, true, opError("dial", raddr, os.NewSyscallError("socket", err))
	}
	cerr := rawConnect(fd, sa)
	switch cerr {
	case nil, syscall.EINPROGRESS, syscall.EALREADY:
	default:
		syscall.Close(fd)
		return nil, true, opError("dial", raddr, os.NewSyscallError("connect", cerr))
	}
	// NewFile sees a non-blocking descriptor and registers it with the
	// poller, so reads, writes and deadlines wait as on a net.Conn.
	f := os.NewFile(uintptr(fd), address)
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, true, opError("dial", raddr, err)
	}
	return &Conn{f: f, raw: newRawIO(rc), sa: sa, raddr: raddr}, true, nil
}

func zoneID(zone string) uint32 {
	if zone == "" {
		return 0
	}
	if ifi, err := net.InterfaceByName(zone); err == nil {
		return uint32(ifi.Index)
	}
	return 0
}

func rawConnect(fd int, sa syscall.Sockaddr) error {
	for {
		err := syscall.Connect(fd, sa)
		if err != syscall.EINTR {
			return err
		}
	}
}

// Connected tells, without waiting, whether the connect dialRaw started is
// over: done with a nil error when it succeeded, done with the error when it
// failed, not done while the handshake runs.
func (c *Conn) Connected() (done bool, err error) {
	var cerr error = syscall.EALREADY
	c.raw.rc.Control(func(fd uintptr) { cerr = rawConnect(int(fd), c.sa) })
	done, cerr = connectOutcome(cerr)
	return done, c.connectError(cerr)
}

// WaitConnected waits until the connect dialRaw started succeeds or fails, or
// the write deadline passes (an error wrapping os.ErrDeadlineExceeded).
func (c *Conn) WaitConnected() error {
	var cerr error
	err := c.raw.rc.Write(func(fd uintptr) bool {
		var done bool
		done, cerr = connectOutcome(rawConnect(int(fd), c.sa))
		return done // not yet: wait for writability
	})
	if err != nil {
		return c.opError("dial", err)
	}
	return c.connectError(cerr)
}

// connectOutcome reads a second connect(2)'s answer: EISCONN (or success)
// once the first is done, EALREADY while the handshake runs, the failure
// (ECONNREFUSED…) once it failed. err is that failure, else nil.
func connectOutcome(cerr error) (done bool, err error) {
	switch cerr {
	case syscall.EALREADY, syscall.EINPROGRESS:
		return false, nil
	case nil, syscall.EISCONN:
		return true, nil
	}
	return true, cerr
}

func (c *Conn) connectError(cerr error) error {
	if cerr == nil {
		return nil
	}
	return c.opError("dial", os.NewSyscallError("connect", cerr))
}

func (c *Conn) Read(b []byte) (int, error) {
	n, err := c.raw.read(b)
	return n, c.opError("read", err)
}

func (c *Conn) Write(b []byte) (int, error) {
	n, err := c.raw.write(b)
	return n, c.opError("write", err)
}

// Writev writes bufs with writev(2), waiting while the socket buffer is
// full. bufs is consumed.
func (c *Conn) Writev(bufs net.Buffers) (int64, error) {
	n, err := c.raw.writev(bufs)
	return n, c.opError("writev", err)
}

func (c *Conn) opError(op string, err error) error {
	if err != nil && err != io.EOF && c.closed.Load() {
		err = net.ErrClosed
	}
	return opError(op, c.raddr, err)
}

func (c *Conn) Close() error {
	c.closed.Store(true)
	return c.f.Close()
}

// LocalAddr asks the kernel, only when someone wants to know.
func (c *Conn) LocalAddr() net.Addr {
	var sa syscall.Sockaddr
	c.raw.rc.Control(func(fd uintptr) { sa, _ = syscall.Getsockname(int(fd)) })
	switch sa := sa.(type) {
	case *syscall.SockaddrInet4:
		return &net.TCPAddr{IP: net.IP(sa.Addr[:]), Port: sa.Port}
	case *syscall.SockaddrInet6:
		return &net.TCPAddr{IP: net.IP(sa.Addr[:]), Port: sa.Port}
	}
	return &net.TCPAddr{}
}

// SyscallConn gives the socket, as a *net.TCPConn's does.
func (c *Conn) SyscallConn() (syscall.RawConn, error) { return c.raw.rc, nil }

func (c *Conn) RemoteAddr() net.Addr               { return c.raddr }
func (c *Conn) SetDeadline(t time.Time) error      { return c.f.SetDeadline(t) }
func (c *Conn) SetReadDeadline(t time.Time) error  { return c.f.SetReadDeadline(t) }
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.f.SetWriteDeadline(t) }

// rawIO reads and writes a pollable socket with raw system calls. Its
// callbacks and their state live as long as the connection, so a read or a
// write allocates nothing; the mutexes keep two concurrent reads (or
// writes) from sharing that state, as the descriptor's own locks would
// serialize them anyway.
type rawIO struct {
	rc  syscall.RawConn
	rmu sync.Mutex
	r   readOp
	wmu sync.Mutex
	w   writeOp
}

func newRawIO(rc syscall.RawConn) *rawIO {
	x := &rawIO{rc: rc}
	x.r.fn = x.r.do
	x.w.fn = x.w.do
	return x
}

type readOp struct {
	b     []byte
	n     int
	errno syscall.Errno
	fn    func(fd uintptr) bool
}

// do is one read(2); false asks the poller to wait for readability.
func (op *readOp) do(fd uintptr) bool {
	for {
		r, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&op.b[0])), uintptr(len(op.b)))
		if e == syscall.EINTR {
			continue
		}
		op.n, op.errno = int(r), e
		return e != syscall.EAGAIN
	}
}

// read is one read(2), waiting on the poller while there is nothing to read.
func (x *rawIO) read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	x.rmu.Lock()
	defer x.rmu.Unlock()
	op := &x.r
	op.b, op.n, op.errno = b, 0, 0
	err := x.rc.Read(op.fn)
	n, errno := op.n, op.errno
	op.b = nil
	switch {
	case err != nil:
		return 0, err
	case errno != 0:
		return 0, os.NewSyscallError("read", errno)
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// maxIovecs is IOV_MAX: writev(2) refuses more buffers with EINVAL.
const maxIovecs = 1024

type writeOp struct {
	bufs  net.Buffers
	total int64
	err   error
	vec   []syscall.Iovec // the writev vector, kept between calls
	one   [1][]byte       // write's vector
	fn    func(fd uintptr) bool
}

// do writes as much of bufs as the socket takes; false asks the poller to
// wait for writability.
func (op *writeOp) do(fd uintptr) bool {
	for {
		// The vector lives in op (on the heap, reachable from the
		// connection) so the kernel reads memory the runtime keeps: a
		// local slice grown by append may live on the stack, and under
		// the race detector writev then read garbage (EINVAL).
		op.vec = op.vec[:0]
		for _, b := range op.bufs {
			if len(op.vec) == maxIovecs {
				break // the rest goes in the next round
			}
			if len(b) > 0 {
				v := syscall.Iovec{Base: &b[0]}
				v.SetLen(len(b))
				op.vec = append(op.vec, v)
			}
		}
		if len(op.vec) == 0 {
			return true
		}
		r, _, e := syscall.RawSyscall(syscall.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&op.vec[0])), uintptr(len(op.vec)))
		runtime.KeepAlive(op)
		switch e {
		case 0:
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		default:
			op.err = os.NewSyscallError("writev", e)
			return true
		}
		op.total += int64(r)
		op.bufs = consume(op.bufs, int(r))
	}
}

// writev writes all of bufs, waiting on the poller while the socket buffer
// is full.
func (x *rawIO) writev(bufs net.Buffers) (int64, error) {
	x.wmu.Lock()
	defer x.wmu.Unlock()
	return x.writevLocked(bufs)
}

// write is writev of one buffer.
func (x *rawIO) write(b []byte) (int, error) {
	x.wmu.Lock()
	defer x.wmu.Unlock()
	x.w.one[0] = b
	n, err := x.writevLocked(x.w.one[:])
	x.w.one[0] = nil
	return int(n), err
}

func (x *rawIO) writevLocked(bufs net.Buffers) (int64, error) {
	op := &x.w
	op.bufs, op.total, op.err = bufs, 0, nil
	err := x.rc.Write(op.fn)
	if err == nil {
		err = op.err
	}
	total := op.total
	op.bufs, op.err = nil, nil
	return total, err
}

// opError shapes err as the net package does: a *net.OpError around the
// system call's error, io.EOF as it is, a closed connection as
// net.ErrClosed (the net package's RawConn says so itself; Conn checks), a
// deadline as os.ErrDeadlineExceeded.
func opError(op string, addr net.Addr, err error) error {
	if err == nil || err == io.EOF {
		return err
	}
	var oe *net.OpError
	if errors.As(err, &oe) { // RawConn's own "raw-read"/"raw-write" errors
		err = oe.Err
	}
	return &net.OpError{Op: op, Net: "tcp", Addr: addr, Err: err}
}

// consume drops the first n bytes of bufs.
func consume(bufs net.Buffers, n int) net.Buffers {
	for len(bufs) > 0 && n >= len(bufs[0]) {
		n -= len(bufs[0])
		bufs = bufs[1:]
	}
	if len(bufs) > 0 {
		bufs[0] = bufs[0][n:]
	}
	return bufs
}
