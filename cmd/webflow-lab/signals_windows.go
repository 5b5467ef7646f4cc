package main

import (
	"os"
	"syscall"
)

// Windows has no SIGUSR1 and delivers no signal from one process to another
// but a kill. sigReopen is a number no Windows signal carries, so it never
// arrives; the lab's control channel replaces signals there.
const sigReopen = syscall.Signal(0x1e)

// kill asks the system to deliver sig; Windows refuses every signal but a
// kill ("not supported by windows").
func kill(pid int, sig syscall.Signal) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Signal(sig)
}
