package testenv

import (
	"math/rand/v2"
	"net"
	"strconv"
	"testing"
)

// Ports below the kernel's ephemeral range (Linux: 32768–60999, macOS and
// Windows: 49152–65535) are never handed out to a client's connect, so a
// port picked here and bound a moment later is taken only if another test
// picked the same one — unlike port 0's, which any outgoing connection of
// any test may take in between. Servers whose configs need a fixed port
// (nginx refuses port 0) use these.
const (
	lowPort  = 20000
	highPort = 32000
)

// FreePorts returns n distinct loopback TCP ports that were free a moment
// ago: each is bound (so they differ and are free), then all are released
// for the caller's servers to bind.
func FreePorts(tb testing.TB, n int) []int {
	tb.Helper()
	var out []int
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for tries := 0; len(out) < n; tries++ {
		if tries > 1000 {
			tb.Fatalf("testenv: no free port among %d tries in %d–%d", tries, lowPort, highPort)
		}
		p := lowPort + rand.IntN(highPort-lowPort)
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			continue
		}
		lns = append(lns, ln)
		out = append(out, p)
	}
	return out
}

// FreePort is FreePorts(tb, 1)[0].
func FreePort(tb testing.TB) int {
	tb.Helper()
	return FreePorts(tb, 1)[0]
}
