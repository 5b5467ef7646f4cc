//go:build unix

package proxy

import (
	"syscall"
	"time"
)

// cpuTime is this process's user+system CPU time: a cost measure that other
// programs on a busy machine disturb far less than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
