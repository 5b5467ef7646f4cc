//go:build !portable

package sock

import (
	"io"
	"net"
	"testing"
)

// A read or a write on a wrapped or dialed connection allocates nothing.
func TestNoAllocs(t *testing.T) {
	c, s := pair(t)
	msg, head, buf := []byte("ping"), []byte("h:"), make([]byte, 16)
	bufs := make(net.Buffers, 2)
	allocs := testing.AllocsPerRun(200, func() {
		c.Write(msg)
		io.ReadFull(s, buf[:4])
		bufs[0], bufs[1] = head, msg
		s.Writev(bufs)
		io.ReadFull(c, buf[:6])
	})
	if allocs != 0 {
		t.Errorf("%v allocations per round trip, want 0", allocs)
	}
}
