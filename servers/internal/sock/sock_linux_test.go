//go:build !portable

package sock

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"webflow-lab/servers/internal/testnet"
)

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// dial connects with dialRaw and waits for the handshake.
func dial(t *testing.T, addr string) *Conn {
	t.Helper()
	c, ok, err := dialRaw(addr)
	if !ok || err != nil {
		t.Fatalf("dialRaw(%q) = %v, ok %v", addr, err, ok)
	}
	c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := c.WaitConnected(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// pair is a connection made by Dial and its accepted end, wrapped.
func pair(t *testing.T) (*Conn, *TCPConn) {
	t.Helper()
	ln := listen(t)
	c := dial(t, ln.Addr().String())
	nc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	s, ok := Wrap(nc).(*TCPConn)
	if !ok {
		t.Fatalf("Wrap returned %T", Wrap(nc))
	}
	return c, s
}

func TestDialDeclinesNames(t *testing.T) {
	for _, addr := range []string{"localhost:80", "example.com:http", "/tmp/x.sock", ""} {
		if _, ok, _ := dialRaw(addr); ok {
			t.Errorf("dialRaw(%q) took an address it cannot dial without a resolver", addr)
		}
	}
}

func TestDialRefused(t *testing.T) {
	ln := listen(t)
	addr := ln.Addr().String()
	ln.Close()
	c, ok, err := dialRaw(addr)
	if !ok {
		t.Fatal("declined an IP literal")
	}
	if err == nil {
		c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		err = c.WaitConnected()
		c.Close()
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("err = %v, want ECONNREFUSED", err)
	}
	var oe *net.OpError
	if !errors.As(err, &oe) || oe.Op != "dial" {
		t.Errorf("err = %#v, want a *net.OpError for dial", err)
	}
}

// TestRoundTrip sends more than a socket buffer holds through Dial's Conn
// and a wrapped accepted conn, both ways, in one Writev each.
func TestRoundTrip(t *testing.T) {
	c, s := pair(t)
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	for _, tc := range []struct {
		name string
		w    io.Writer
		r    io.Reader
	}{{"dialed to accepted", c, s}, {"accepted to dialed", s, c}} {
		t.Run(tc.name, func(t *testing.T) {
			bufs := net.Buffers{[]byte("head:"), nil, big, []byte(":tail")}
			want := bytes.Join([][]byte{[]byte("head:"), big, []byte(":tail")}, nil)
			done := make(chan error, 1)
			go func() {
				n, err := Writev(tc.w, bufs)
				if err == nil && n != int64(len(want)) {
					err = errors.New("short write")
				}
				done <- err
			}()
			got := make([]byte, len(want))
			tc.r.(net.Conn).SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, err := io.ReadFull(tc.r, got); err != nil {
				t.Fatalf("%v (writev: %v)", err, <-done)
			}
			tc.r.(net.Conn).SetReadDeadline(time.Time{})
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatal("bytes differ")
			}
		})
	}
	// EOF after the peer closes; the read side sees io.EOF itself.
	s.Close()
	if n, err := c.Read(make([]byte, 10)); n != 0 || err != io.EOF {
		t.Fatalf("Read after close = %d, %v; want 0, io.EOF", n, err)
	}
}

func TestDeadlineAndClose(t *testing.T) {
	c, s := pair(t)
	for _, conn := range []net.Conn{c, s} {
		conn.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		_, err := conn.Read(make([]byte, 1))
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("%T: Read past the deadline = %v, want os.ErrDeadlineExceeded", conn, err)
		}
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("%T: %v is not a net.Error timeout", conn, err)
		}
	}
	if a, ok := s.RemoteAddr().(*net.TCPAddr); !ok || a.Port != c.LocalAddr().(*net.TCPAddr).Port {
		t.Errorf("addresses disagree: %v vs %v", s.RemoteAddr(), c.LocalAddr())
	}
	c.Close()
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Read on a closed Conn = %v, want net.ErrClosed", err)
	}
	if _, err := c.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Write on a closed Conn = %v, want net.ErrClosed", err)
	}
}

// TestNoLeak: a closed Conn gives its descriptor back.
func TestNoLeak(t *testing.T) {
	ln := listen(t)
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			nc.Close()
		}
	}()
	count := func() int { fds, _ := os.ReadDir("/proc/self/fd"); return len(fds) }
	before := count()
	for range 200 {
		c, _, err := dialRaw(ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		c.WaitConnected()
		c.Close()
	}
	if after := count(); after > before+2 {
		t.Errorf("open descriptors %d → %d after 200 dials", before, after)
	}
}

// Connected answers without waiting: done and nil once connected, done and
// the refusal once refused.
func TestConnected(t *testing.T) {
	ln := listen(t)
	c := dial(t, ln.Addr().String())
	if done, err := c.Connected(); !done || err != nil {
		t.Errorf("Connected after WaitConnected = %v, %v; want true, nil", done, err)
	}
	addr := ln.Addr().String()
	ln.Close()
	r, _, err := dialRaw(addr)
	if err != nil {
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatal(err)
		}
		return // refused at once
	}
	defer r.Close()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		done, err := r.Connected()
		if !done {
			time.Sleep(time.Millisecond)
			continue
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("Connected to a closed port = %v, want ECONNREFUSED", err)
		}
		return
	}
	t.Error("Connected never finished")
}

// A connect nobody answers ends at the write deadline, as connect_timeout.
func TestWaitConnectedDeadline(t *testing.T) {
	addr := testnet.UnansweredAddr(t)
	c, _, err := dialRaw(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if done, _ := c.Connected(); done {
		t.Skip("the kernel completed the connect to a full accept queue; cannot make a connect hang here")
	}
	c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	start := time.Now()
	err = c.WaitConnected()
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("WaitConnected = %v, want os.ErrDeadlineExceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v to time out", d)
	}
}

// More buffers than one writev(2) takes (IOV_MAX) go out in several.
func TestWritevManyBuffers(t *testing.T) {
	c, s := pair(t)
	var bufs net.Buffers
	var want []byte
	for i := range 3000 {
		b := []byte{byte(i), byte(i >> 8)}
		if i%7 == 0 {
			b = nil // empty buffers are skipped
		}
		bufs = append(bufs, b)
		want = append(want, b...)
	}
	done := make(chan error, 1)
	go func() { _, err := c.Writev(bufs); done <- err }()
	got := make([]byte, len(want))
	s.SetReadDeadline(time.Now().Add(5 * time.Second)) // a failed writev must not hang the test
	if _, err := io.ReadFull(s, got); err != nil {
		t.Fatalf("%v (writev: %v)", err, <-done)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("bytes differ")
	}
}
