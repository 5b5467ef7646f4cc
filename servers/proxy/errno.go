package proxy

import (
	"errors"
	"syscall"
)

// errnoOf digs the system errno out of err and names it the way glibc's
// strerror does, which is what nginx prints.
func errnoOf(err error) (int, string, bool) {
	var en syscall.Errno
	if !errors.As(err, &en) {
		return 0, "", false
	}
	text, ok := strerror[en]
	if !ok {
		text = en.Error()
	}
	return int(en), text, true
}

var strerror = map[syscall.Errno]string{
	syscall.ENOENT:       "No such file or directory",
	syscall.EACCES:       "Permission denied",
	syscall.ENOTDIR:      "Not a directory",
	syscall.EISDIR:       "Is a directory",
	syscall.ELOOP:        "Too many levels of symbolic links",
	syscall.ENAMETOOLONG: "File name too long",
	syscall.ECONNREFUSED: "Connection refused",
	syscall.ECONNRESET:   "Connection reset by peer",
	syscall.ETIMEDOUT:    "Connection timed out",
	syscall.EADDRINUSE:   "Address already in use",
	syscall.EAGAIN:       "Resource temporarily unavailable",
	syscall.EPIPE:        "Broken pipe",
}
