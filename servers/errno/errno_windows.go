package errno

import (
	"syscall"

	"golang.org/x/sys/windows"
)

// native maps Windows' own error codes (what its file and socket calls
// return) to the POSIX error a Linux server would have met in the same
// situation.
var native = map[syscall.Errno]Errno{
	windows.ERROR_FILE_NOT_FOUND:        ENOENT,
	windows.ERROR_PATH_NOT_FOUND:        ENOENT,
	windows.ERROR_INVALID_NAME:          ENOENT,
	windows.ERROR_TOO_MANY_OPEN_FILES:   EMFILE,
	windows.ERROR_ACCESS_DENIED:         EACCES,
	windows.ERROR_INVALID_HANDLE:        EBADF,
	windows.ERROR_NOT_ENOUGH_MEMORY:     ENOMEM,
	windows.ERROR_FILE_EXISTS:           EEXIST,
	windows.ERROR_ALREADY_EXISTS:        EEXIST,
	windows.ERROR_DIRECTORY:             ENOTDIR,
	windows.ERROR_FILENAME_EXCED_RANGE:  ENAMETOOLONG,
	windows.ERROR_CANT_RESOLVE_FILENAME: ELOOP,
	windows.ERROR_BROKEN_PIPE:           EPIPE,
	windows.ERROR_NO_DATA:               EPIPE,
	windows.ERROR_DISK_FULL:             ENOSPC,
	windows.ERROR_WRITE_PROTECT:         EROFS,
	windows.ERROR_NETNAME_DELETED:       ECONNRESET,
	windows.ERROR_CONNECTION_REFUSED:    ECONNREFUSED,
	windows.ERROR_CONNECTION_ABORTED:    ECONNABORTED,
	windows.ERROR_NETWORK_UNREACHABLE:   ENETUNREACH,
	windows.ERROR_HOST_UNREACHABLE:      EHOSTUNREACH,
	windows.ERROR_SEM_TIMEOUT:           ETIMEDOUT,
	windows.WSAEINTR:                    EINTR,
	windows.WSAEBADF:                    EBADF,
	windows.WSAEACCES:                   EACCES,
	windows.WSAEINVAL:                   EINVAL,
	windows.WSAEMFILE:                   EMFILE,
	windows.WSAEWOULDBLOCK:              EAGAIN,
	windows.WSAEADDRINUSE:               EADDRINUSE,
	windows.WSAEADDRNOTAVAIL:            EADDRNOTAVAIL,
	windows.WSAENETDOWN:                 ENETDOWN,
	windows.WSAENETUNREACH:              ENETUNREACH,
	windows.WSAECONNABORTED:             ECONNABORTED,
	windows.WSAECONNRESET:               ECONNRESET,
	windows.WSAETIMEDOUT:                ETIMEDOUT,
	windows.WSAECONNREFUSED:             ECONNREFUSED,
	windows.WSAELOOP:                    ELOOP,
	windows.WSAENAMETOOLONG:             ENAMETOOLONG,
	windows.WSAEHOSTDOWN:                EHOSTDOWN,
	windows.WSAEHOSTUNREACH:             EHOSTUNREACH,
}
