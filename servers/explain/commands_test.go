package explain

import "testing"

func TestCommands(t *testing.T) {
	tests := []struct{ goos, port, listeners, addrs, procs string }{
		{"linux", "ss -ltnp | grep 9001", "ss -ltnp", "ip addr", "ps -ef | grep uwsgi"},
		{"darwin", "lsof -nP -iTCP:9001 -sTCP:LISTEN", "lsof -nP -iTCP -sTCP:LISTEN", "ifconfig", "ps -ef | grep uwsgi"},
		{"windows", "netstat -ano | findstr :9001", "netstat -ano", "ipconfig", "powershell \"Get-CimInstance Win32_Process | ? CommandLine -like '*uwsgi*' | select ProcessId,CommandLine\""},
	}
	for _, tt := range tests {
		t.Run(tt.goos, func(t *testing.T) {
			if got := portOwnerCmd(tt.goos, 9001); got != tt.port {
				t.Errorf("port owner: got %q, want %q", got, tt.port)
			}
			if got := listenersCmd(tt.goos); got != tt.listeners {
				t.Errorf("listeners: got %q, want %q", got, tt.listeners)
			}
			if got := addressesCmd(tt.goos); got != tt.addrs {
				t.Errorf("addresses: got %q, want %q", got, tt.addrs)
			}
			if got := processesCmd(tt.goos, "uwsgi"); got != tt.procs {
				t.Errorf("processes: got %q, want %q", got, tt.procs)
			}
		})
	}
}
