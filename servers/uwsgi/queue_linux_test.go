package uwsgi

import (
	"net"
	"testing"
)

// kernelQueue is the listening socket's accept queue as the kernel counts it.
func kernelQueue(t *testing.T, ln net.Listener) int {
	t.Helper()
	cur, _, ok := tcpInfoQueue(ln)
	if !ok {
		t.Fatal("TCP_INFO not available")
	}
	return cur
}
