package traffic

import (
	"context"
	"net"
	"net/netip"
	"sync"
)

// Users tells which virtual browser a connection came from, given its
// client address as the proxy sees it ("127.0.3.1:40112"): the tag the
// lab puts on a request ("user 3") without adding a byte to it. Where
// each browser has its own address the address says it (127.0.N.1 is
// user N); where all share 127.0.0.1, the source port does, and the
// browsers that were given this Users (Options.Users) record each
// connection's port when they dial and forget it when it closes. Safe
// for concurrent use; the zero value is ready.
type Users struct {
	mu    sync.Mutex
	ports map[netip.AddrPort]int
}

// Who returns the user a client address belongs to, or 0 for none of the
// virtual browsers (a learner's own browser, curl, the load generator).
func (u *Users) Who(client string) int {
	ap, err := netip.ParseAddrPort(client)
	if err != nil {
		return 0
	}
	a := ap.Addr().Unmap()
	if a.Is4() {
		b := a.As4()
		if b[0] == 127 && b[3] == 1 && (b[1] != 0 || b[2] != 0) {
			return int(b[1])<<8 | int(b[2])
		}
	}
	if u == nil {
		return 0
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.ports[netip.AddrPortFrom(a, ap.Port())]
}

func (u *Users) add(ap netip.AddrPort, n int) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.ports == nil {
		u.ports = map[netip.AddrPort]int{}
	}
	u.ports[ap] = n
}

func (u *Users) remove(ap netip.AddrPort) {
	u.mu.Lock()
	defer u.mu.Unlock()
	delete(u.ports, ap)
}

// dialer wraps dial so that every connection's local address is in u
// while the connection is open.
func (u *Users) dialer(n int, dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	if u == nil {
		return dial
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		ta, ok := c.LocalAddr().(*net.TCPAddr)
		if !ok {
			return c, nil
		}
		ap := ta.AddrPort()
		ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
		u.add(ap, n)
		return &trackedConn{Conn: c, done: func() { u.remove(ap) }}, nil
	}
}

type trackedConn struct {
	net.Conn
	once sync.Once
	done func()
}

func (c *trackedConn) Close() error {
	c.once.Do(c.done)
	return c.Conn.Close()
}
