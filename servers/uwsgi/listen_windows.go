package uwsgi

import "syscall"

// relisten does nothing on Windows: a second listen() on a listening socket
// succeeds without changing its backlog (Winsock's documentation of
// listen), and Go listens with the system's maximum. The `listen` option
// then caps nothing; the README says so.
func relisten(syscall.Conn, int) error { return nil }
