// Package testnet is test support for network failures on loopback.
package testnet

import (
	"net"
	"testing"
	"time"
)

// UnansweredAddr returns a loopback address whose accept queue is full and
// never drained: the kernel drops further SYNs, so a connect to it hangs as
// to a peer that does not answer, without sending a packet off the machine.
func UnansweredAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	// net.Listen asks for the longest queue; a second listen(2) shortens it.
	if err := shortenQueue(tb, ln.(*net.TCPListener)); err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	// Fill the queue with connections that complete but are never accepted.
	for range 4 {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			break // the queue is full: this one hung
		}
		tb.Cleanup(func() { c.Close() })
	}
	return addr
}
