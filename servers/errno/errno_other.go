//go:build !windows

package errno

import "syscall"

// native is empty off Windows: the table's syscall constants are the
// system's own errnos.
var native = map[syscall.Errno]Errno{}
