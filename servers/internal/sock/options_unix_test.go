//go:build unix

package sock

import (
	"context"
	"net"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// TestDialerOptions: whichever path a connect takes, the socket has nginx's
// upstream options: Nagle on (no TCP_NODELAY), no keep-alive probes.
func TestDialerOptions(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go echo(ln)
	port := ln.Addr().(*net.TCPAddr).Port
	for _, addr := range []string{ln.Addr().String(), net.JoinHostPort("localhost", strconv.Itoa(port))} {
		t.Run(addr, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			c, err := Dialer{}.DialContext(ctx, "tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			rc, err := c.(syscall.Conn).SyscallConn()
			if err != nil {
				t.Fatal(err)
			}
			var nodelay, keepalive int
			rc.Control(func(fd uintptr) {
				nodelay, _ = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_NODELAY)
				keepalive, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_KEEPALIVE)
			})
			if nodelay != 0 || keepalive != 0 {
				t.Errorf("TCP_NODELAY %d, SO_KEEPALIVE %d; want 0 and 0, as nginx's upstream sockets", nodelay, keepalive)
			}
		})
	}
}
