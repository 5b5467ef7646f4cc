package traffic

import (
	"net"
	"net/netip"
	"sync"

	"webflow-lab/servers/explain"
)

// SourceAddr is the loopback address virtual browser n (from 1) connects
// from: 127.0.n.1, so that nginx's ip_hash, which hashes the first three
// bytes of an IPv4 address, sees a different client for each (127.0.0.2
// and 127.0.0.3 would be one client to it). Browser 0 is 127.0.0.1, the
// learner's own browser. n past 255 carries into the second byte.
func SourceAddr(n int) netip.Addr {
	return netip.AddrFrom4([4]byte{127, byte(n >> 8), byte(n), 1})
}

var probe = sync.OnceValues(func() (bool, explain.Text) {
	// Linux routes all of 127.0.0.0/8 to the loopback interface, so any of
	// it can be bound; macOS has only 127.0.0.1 unless more are aliased
	// (sudo ifconfig lo0 alias 127.0.1.1), and Windows allows the range.
	ln, err := net.Listen("tcp", netip.AddrPortFrom(SourceAddr(1), 0).String())
	if err != nil {
		return false, explain.T(
			"virtual browsers all connect from 127.0.0.1 ("+err.Error()+"): ip_hash sees them as one user; their source ports still tell them apart. On macOS, `sudo ifconfig lo0 alias 127.0.1.1` (and 127.0.2.1, …) gives each its own address",
			"虚拟浏览器都从 127.0.0.1 连接（"+err.Error()+"）：ip_hash 把它们看作同一个用户；源端口仍能区分它们。macOS 上可执行 `sudo ifconfig lo0 alias 127.0.1.1`（以及 127.0.2.1 等）让每个浏览器有自己的地址")
	}
	ln.Close()
	return true, explain.Text{}
})

// OwnAddresses reports whether each virtual browser can have its own
// source address here (probed once, by binding 127.0.1.1); when it
// cannot, note says so and what to do, and every browser uses 127.0.0.1.
func OwnAddresses() (ok bool, note explain.Text) { return probe() }
