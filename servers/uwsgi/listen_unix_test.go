//go:build unix

package uwsgi

import (
	"syscall"
	"testing"
)

// stopListening shuts a listening socket down under the server's feet, as a
// stray shutdown(2) or a closed-and-reused descriptor does: every accept on
// it then fails with EINVAL.
func stopListening(t *testing.T, fd int) {
	t.Helper()
	if err := syscall.Shutdown(fd, syscall.SHUT_RDWR); err != nil {
		t.Fatal(err)
	}
}
