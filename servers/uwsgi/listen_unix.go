//go:build unix

package uwsgi

import "syscall"

// relisten calls listen(2) again with the configured backlog: Linux and the
// BSDs (macOS) update a listening socket's backlog in place.
func relisten(sc syscall.Conn, backlog int) error {
	rc, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	var lerr error
	if err := rc.Control(func(fd uintptr) { lerr = syscall.Listen(int(fd), backlog) }); err != nil {
		return err
	}
	return lerr
}
