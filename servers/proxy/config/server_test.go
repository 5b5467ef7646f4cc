package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseServer(t *testing.T) {
	tests := []struct {
		line     string
		backupOK bool
		want     string // Peer.String(), or the error
	}{
		{"127.0.0.1:9001", true, "server 127.0.0.1:9001"},
		{"127.0.0.1:9001 weight=5 max_fails=3 fail_timeout=30s", true, "server 127.0.0.1:9001 weight=5 max_fails=3 fail_timeout=30s"},
		{"unix:/run/app.sock max_conns=10 backup", true, "server unix:/run/app.sock max_conns=10 backup"},
		{"app:9001 down", false, "server app:9001 down"},
		{"app:9001 max_fails=0 fail_timeout=1m", true, "server app:9001 max_fails=0 fail_timeout=60s"},
		{"app:9001 fail_timeout=1h30m", true, "server app:9001 fail_timeout=5400s"},
		{"app:9001 fail_timeout=90", true, "server app:9001 fail_timeout=90s"},
		{"app:9001 fail_timeout=0", true, "server app:9001 fail_timeout=0s"},
		{"app:9001 weight=0", true, `invalid parameter "weight=0"`},
		{"app:9001 weight=-1", true, `invalid parameter "weight=-1"`},
		{"app:9001 weight=", true, `invalid parameter "weight="`},
		{"app:9001 weight", true, `invalid parameter "weight"`},
		{"app:9001 fail_timeout=500ms", true, `invalid parameter "fail_timeout=500ms"`},
		{"app:9001 fail_timeout=1m1h", true, `invalid parameter "fail_timeout=1m1h"`},
		{"app:9001 fail_timeout=s", true, `invalid parameter "fail_timeout=s"`},
		{"app:9001 max_fails=x", true, `invalid parameter "max_fails=x"`},
		{"app:9001 Backup", true, `invalid parameter "Backup"`},
		{"app:9001 slow_start=30s", true, `invalid parameter "slow_start=30s"`},
		{"app:9001 backup", false, `balancing method does not support parameter "backup"`},
		{"app:9001 weight=0 backup", false, `invalid parameter "weight=0"`}, // in order, as nginx
		{"app:9001 backup weight=0", false, `balancing method does not support parameter "backup"`},
		{"", true, `invalid number of arguments in "server" directive`},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			p, err := ParseServer(strings.Fields(tt.line), tt.backupOK)
			got := p.String()
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
	var pe *ServerParamError
	if _, err := ParseServer([]string{"a:1", "backup"}, false); !errors.As(err, &pe) || !pe.NotSupported {
		t.Errorf("got %v, want a ServerParamError with NotSupported", err)
	}
}

// FuzzParseServer: whatever the line, ParseServer either refuses it or
// returns a peer in range whose String() parses back to the same peer.
func FuzzParseServer(f *testing.F) {
	for _, s := range []string{"127.0.0.1:9001 weight=5 max_fails=3 fail_timeout=30s", "unix:/x backup down",
		"a:1 fail_timeout=1h 30m", "a:1 max_conns=7", "a:1 weight=0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		if len(line) > 512 {
			return
		}
		p, err := ParseServer(strings.Fields(line), true)
		if err != nil {
			return
		}
		if p.Weight < 1 || p.MaxFails < 0 || p.MaxConns < 0 || p.FailTimeout < 0 || p.FailTimeout%time.Second != 0 {
			t.Fatalf("%q parsed to out-of-range %+v", line, p)
		}
		again, err := ParseServer(strings.Fields(strings.TrimPrefix(p.String(), "server ")), true)
		if err != nil {
			t.Fatalf("%q → %q does not parse: %v", line, p.String(), err)
		}
		if again.String() != p.String() {
			t.Fatalf("%q → %q → %q", line, p.String(), again.String())
		}
	})
}
