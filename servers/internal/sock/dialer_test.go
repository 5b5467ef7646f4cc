package sock

import (
	"context"
	"errors"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"webflow-lab/servers/errno"
	"webflow-lab/servers/internal/testnet"
)

// TestDialerPaths: an IP literal, a name and a UNIX socket all connect, and
// the bytes go through; the refusal reads as ECONNREFUSED on each TCP path.
func TestDialerPaths(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go echo(ln)
	port := ln.Addr().(*net.TCPAddr).Port
	ul, err := net.Listen("unix", t.TempDir()+"/echo.sock")
	if err != nil {
		t.Fatal(err)
	}
	defer ul.Close()
	go echo(ul)
	for _, tc := range []struct{ name, network, addr string }{
		{"IP literal", "tcp", ln.Addr().String()},
		{"name", "tcp", net.JoinHostPort("localhost", strconv.Itoa(port))},
		{"UNIX socket", "unix", ul.Addr().String()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			c, err := Dialer{}.DialContext(ctx, tc.network, tc.addr)
			if err != nil {
				if tc.name == "name" && errno.Is(err, errno.ECONNREFUSED) {
					t.Skip("localhost resolves to ::1 first here, and nothing listens there")
				}
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			if _, err := Writev(c, net.Buffers{[]byte("pi"), []byte("ng")}); err != nil {
				t.Fatal(err)
			}
			got := make([]byte, 4)
			if _, err := readFull(c, got); err != nil || string(got) != "ping" {
				t.Errorf("echo: got %q, %v; want ping", got, err)
			}
		})
	}
	t.Run("refused", func(t *testing.T) {
		dead, _ := net.Listen("tcp4", "127.0.0.1:0")
		addr := dead.Addr().String()
		dead.Close()
		_, err := Dialer{}.DialContext(context.Background(), "tcp", addr)
		if !errno.Is(err, errno.ECONNREFUSED) {
			t.Errorf("got %v, want ECONNREFUSED", err)
		}
	})
}

// TestDialerContext: a connect nobody answers ends when the context does,
// at its deadline (connect_timeout) or when it is canceled (the client left).
func TestDialerContext(t *testing.T) {
	addr := testnet.UnansweredAddr(t)
	t.Run("deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		c, err := Dialer{}.DialContext(ctx, "tcp", addr)
		if err == nil {
			c.Close()
			t.Skip("the kernel completed the connect to a full accept queue; cannot make a connect hang here")
		}
		if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("got %v, want a timeout", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("took %v to time out", d)
		}
	})
	t.Run("canceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		c, err := Dialer{}.DialContext(ctx, "tcp", addr)
		if err == nil {
			c.Close()
			t.Skip("the kernel completed the connect to a full accept queue; cannot make a connect hang here")
		}
		if ctx.Err() == nil {
			t.Errorf("returned %v before the context ended", err)
		}
	})
}

func echo(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			b := make([]byte, 64)
			for {
				n, err := c.Read(b)
				if err != nil {
					return
				}
				c.Write(b[:n])
			}
		}()
	}
}

func readFull(c net.Conn, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := c.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
