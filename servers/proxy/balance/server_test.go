package balance

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseServer(t *testing.T) {
	tests := []struct {
		line   string
		method Balancer
		want   string // Peer.String(), or the error's first line
	}{
		{"127.0.0.1:9001", nil, "server 127.0.0.1:9001"},
		{"127.0.0.1:9001 weight=5 max_fails=3 fail_timeout=30s", nil, "server 127.0.0.1:9001 weight=5 max_fails=3 fail_timeout=30s"},
		{"unix:/run/app.sock max_conns=10 backup", LeastConn{}, "server unix:/run/app.sock max_conns=10 backup"},
		{"app:9001 down", IPHash{}, "server app:9001 down"},
		{"app:9001 max_fails=0 fail_timeout=1m", nil, "server app:9001 max_fails=0 fail_timeout=60s"},
		{"app:9001 fail_timeout=1h30m", nil, "server app:9001 fail_timeout=5400s"},
		{"app:9001 fail_timeout=90", nil, "server app:9001 fail_timeout=90s"},
		{"app:9001 fail_timeout=0", nil, "server app:9001 fail_timeout=0s"},
		{"app:9001 weight=0", nil, `invalid parameter "weight=0"`},
		{"app:9001 weight=-1", nil, `invalid parameter "weight=-1"`},
		{"app:9001 weight=", nil, `invalid parameter "weight="`},
		{"app:9001 fail_timeout=500ms", nil, `invalid parameter "fail_timeout=500ms"`},
		{"app:9001 fail_timeout=1m1h", nil, `invalid parameter "fail_timeout=1m1h"`},
		{"app:9001 fail_timeout=s", nil, `invalid parameter "fail_timeout=s"`},
		{"app:9001 max_fails=x", nil, `invalid parameter "max_fails=x"`},
		{"app:9001 Backup", nil, `invalid parameter "Backup"`},
		{"app:9001 slow_start=30s", nil, `invalid parameter "slow_start=30s"`},
		{"app:9001 backup", IPHash{}, `balancing method does not support parameter "backup"`},
		{"app:9001 backup", Hash{Key: "$uri"}, `balancing method does not support parameter "backup"`},
		{"app:9001 backup", Random{}, `balancing method does not support parameter "backup"`},
		{"", nil, `invalid number of arguments in "server" directive`},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			p, err := ParseServer(strings.Fields(tt.line), tt.method)
			var got string
			if err != nil {
				got, _, _ = strings.Cut(err.Error(), " (")
				got, _, _ = strings.Cut(got, ": ")
			} else {
				got = p.String()
			}
			if got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestParseServerCauses(t *testing.T) {
	_, err := ParseServer([]string{"a:1", "backup"}, IPHash{})
	if !errors.Is(err, ErrBackupNotSupported) {
		t.Errorf("got %v, want ErrBackupNotSupported", err)
	}
	_, err = ParseServer([]string{"a:1", "weight=0"}, nil)
	if !errors.Is(err, ErrServer) {
		t.Errorf("got %v, want ErrServer", err)
	}
}

func TestParseSeconds(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"10", 10, true}, {"10s", 10, true}, {"2m", 120, true}, {"1h 1m 1s", 3661, true},
		{"1d", 86400, true}, {"1w", 604800, true}, {"1M", 2592000, true}, {"1y", 31536000, true},
		{"1m 5", 65, true},
		{"", 0, false}, {"ms", 0, false}, {"5ms", 0, false}, {"1s1m", 0, false}, {"1x", 0, false},
		{"99999999999", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := parseSeconds(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("got %d %v, want %d %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

// FuzzParseServer: whatever the line, ParseServer either refuses it or
// returns a peer whose String() parses back to the same peer.
func FuzzParseServer(f *testing.F) {
	for _, s := range []string{"127.0.0.1:9001 weight=5 max_fails=3 fail_timeout=30s", "unix:/x backup down",
		"a:1 fail_timeout=1h 30m", "a:1 max_conns=7", "a:1 weight=0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		if len(line) > 512 {
			return
		}
		p, err := ParseServer(strings.Fields(line), nil)
		if err != nil {
			return
		}
		if p.Weight < 1 || p.MaxFails < 0 || p.MaxConns < 0 || p.FailTimeout < 0 || p.FailTimeout%time.Second != 0 {
			t.Fatalf("%q parsed to out-of-range %+v", line, p)
		}
		again, err := ParseServer(strings.Fields(strings.TrimPrefix(p.String(), "server ")), nil)
		if err != nil {
			t.Fatalf("%q → %q does not parse: %v", line, p.String(), err)
		}
		if again.String() != p.String() {
			t.Fatalf("%q → %q → %q", line, p.String(), again.String())
		}
	})
}
