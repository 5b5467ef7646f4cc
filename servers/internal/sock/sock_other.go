//go:build !linux || portable

package sock

import (
	"context"
	"net"
)

// Wrap returns its argument: the net package reads and writes.
func Wrap(nc net.Conn) net.Conn { return nc }

// DialContext connects with the net package (dialNet).
func (Dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	return dialNet(ctx, network, address)
}
