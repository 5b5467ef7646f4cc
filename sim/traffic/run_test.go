package traffic

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

// TestRepeat: when each walk starts, on a fake clock, for walks that take
// 30 ms.
func TestRepeat(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name         string
		every, limit time.Duration
		times        int
		cancelAt     time.Duration
		want         []time.Duration
	}{
		{"once", 0, 0, 0, 0, []time.Duration{0}},
		{"three times back to back", 0, 0, 3, 0, []time.Duration{0, 30 * ms, 60 * ms}},
		{"every 100ms, 3 times", 100 * ms, 0, 3, 0, []time.Duration{0, 100 * ms, 200 * ms}},
		{"every 10ms: a walk takes longer, the next starts at once", 10 * ms, 0, 3, 0, []time.Duration{0, 30 * ms, 60 * ms}},
		{"every 100ms for 350ms", 100 * ms, 350 * ms, 0, 0, []time.Duration{0, 100 * ms, 200 * ms, 300 * ms}},
		{"for limits before times", 100 * ms, 150 * ms, 10, 0, []time.Duration{0, 100 * ms}},
		{"without end, until cancelled", 100 * ms, 0, 0, 250 * ms, []time.Duration{0, 100 * ms, 200 * ms}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				if tt.cancelAt > 0 {
					time.AfterFunc(tt.cancelAt, cancel)
				}
				start := time.Now()
				var got []time.Duration
				repeat(ctx, tt.every, tt.limit, tt.times, func() {
					got = append(got, time.Since(start))
					time.Sleep(30 * ms)
				})
				if !slices.Equal(got, tt.want) {
					t.Errorf("walks started at %v, want %v", got, tt.want)
				}
			})
		})
	}
}

func TestUsersWho(t *testing.T) {
	var u Users
	u.add(netip.MustParseAddrPort("127.0.0.1:40112"), 7)
	tests := []struct {
		client string
		want   int
	}{
		{"127.0.3.1:5000", 3},
		{"127.0.1.1:1", 1},
		{"127.1.4.1:1", 260},
		{"127.0.0.1:40112", 7}, // one shared address: the port says who
		{"127.0.0.1:40113", 0},
		{"[::ffff:127.0.9.1]:80", 9},
		{"192.168.1.10:5000", 0},
		{"nonsense", 0},
	}
	for _, tt := range tests {
		if got := u.Who(tt.client); got != tt.want {
			t.Errorf("Who(%q): got %d, want %d", tt.client, got, tt.want)
		}
	}
	for n := 1; n < 300; n++ {
		a := netip.AddrPortFrom(SourceAddr(n), 1234).String()
		if got := (*Users)(nil).Who(a); got != n {
			t.Fatalf("Who(SourceAddr(%d) = %s): got %d", n, a, got)
		}
	}
}

// TestUsersDialer: a browser's connection is known by its port while it
// is open, and forgotten when it closes.
func TestUsersDialer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var u Users
	var d net.Dialer
	dial := u.dialer(5, d.DialContext)
	c, err := dial(context.Background(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	local := c.LocalAddr().String() // 127.0.0.1:port: the address rule does not apply
	if got := u.Who(local); got != 5 {
		t.Errorf("open: Who(%s) = %d, want 5", local, got)
	}
	c.Close()
	c.Close()
	if got := u.Who(local); got != 0 {
		t.Errorf("closed: Who(%s) = %d, want 0", local, got)
	}
}
