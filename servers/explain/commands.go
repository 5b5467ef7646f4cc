package explain

import (
	"runtime"
	"strconv"
)

// The shell commands an explanation suggests, in the words of the system
// the learner is on: the course's servers are Linux, a learner's laptop may
// be macOS or Windows.

// PortOwnerCmd is the command that shows which program listens on port.
func PortOwnerCmd(port int) string { return portOwnerCmd(runtime.GOOS, port) }

func portOwnerCmd(goos string, port int) string {
	p := strconv.Itoa(port)
	switch goos {
	case "darwin":
		return "lsof -nP -iTCP:" + p + " -sTCP:LISTEN"
	case "windows":
		return "netstat -ano | findstr :" + p
	}
	return "ss -ltnp | grep " + p
}

// ListenersCmd is the command that lists the listening TCP sockets and
// their programs.
func ListenersCmd() string { return listenersCmd(runtime.GOOS) }

func listenersCmd(goos string) string {
	switch goos {
	case "darwin":
		return "lsof -nP -iTCP -sTCP:LISTEN"
	case "windows":
		return "netstat -ano"
	}
	return "ss -ltnp"
}

// AddressesCmd is the command that lists this machine's IP addresses.
func AddressesCmd() string { return addressesCmd(runtime.GOOS) }

func addressesCmd(goos string) string {
	switch goos {
	case "darwin":
		return "ifconfig"
	case "windows":
		return "ipconfig"
	}
	return "ip addr"
}

// ProcessesCmd is the command that lists the running processes whose
// command line holds word.
func ProcessesCmd(word string) string { return processesCmd(runtime.GOOS, word) }

func processesCmd(goos, word string) string {
	if goos == "windows" {
		return "powershell \"Get-CimInstance Win32_Process | ? CommandLine -like '*" + word + "*' | select ProcessId,CommandLine\""
	}
	return "ps -ef | grep " + word
}
