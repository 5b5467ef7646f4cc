//go:build !linux

package uwsgi

import (
	"net"
	"runtime"
	"testing"
)

// kernelQueue cannot be read here: the test that waits on it is skipped.
func kernelQueue(t *testing.T, _ net.Listener) int {
	t.Skipf("the accept queue's length cannot be read on %s", runtime.GOOS)
	return 0
}
