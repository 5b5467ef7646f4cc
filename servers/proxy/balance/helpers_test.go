package balance

import (
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// fakeClock is a clock tests step by hand; Upstream reads it under its lock.
type fakeClock struct{ t time.Time }

func newClock() *fakeClock { return &fakeClock{t: time.Unix(1_800_000_000, 0)} }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

// peers builds peers from compact specs: "A w=5 mf=3 ft=30 mc=1 backup down".
// The address is 127.0.0.1:900N for the Nth spec and the name is the letter,
// so picks print as letters.
func peers(specs ...string) []*Peer {
	out := make([]*Peer, len(specs))
	for i, s := range specs {
		f := strings.Fields(s)
		p := NewPeer("127.0.0.1:" + itoa(9001+i))
		p.Name = f[0]
		for _, kv := range f[1:] {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "w":
				p.Weight = atoi(v)
			case "mf":
				p.MaxFails = atoi(v)
			case "ft":
				p.FailTimeout = time.Duration(atoi(v)) * time.Second
			case "mc":
				p.MaxConns = atoi(v)
			case "backup":
				p.Backup = true
			case "down":
				p.Down = true
			default:
				panic("bad spec " + kv)
			}
		}
		out[i] = p
	}
	return out
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

func mustUpstream(t testing.TB, m Balancer, c *fakeClock, ps []*Peer, opts ...Option) *Upstream {
	t.Helper()
	if c != nil {
		opts = append(opts, WithClock(c.now))
	}
	u, err := NewUpstream("app", ps, m, opts...)
	if err != nil {
		t.Fatalf("NewUpstream: %v", err)
	}
	return u
}

// once makes one request with one successful attempt and returns the
// peer's name, or "-" for ErrNoLive.
func once(t testing.TB, u *Upstream, client netip.Addr, key string) string {
	t.Helper()
	r := u.NewRequest(client, key)
	p, _, err := u.Get(r)
	if err == ErrNoLive {
		return "-"
	}
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	u.Free(r, p, false)
	return p.Name
}

// seq makes n successful single-attempt requests and joins the names.
func seq(t testing.TB, u *Upstream, n int, client netip.Addr, key string) string {
	t.Helper()
	var b strings.Builder
	for range n {
		b.WriteString(once(t, u, client, key))
	}
	return b.String()
}

var lo = netip.MustParseAddr("127.0.0.1")

// WithClock sets the clock (default time.Now). Only whole seconds are used,
// as nginx's ngx_time() gives them, so tests can step it exactly.
func WithClock(now func() time.Time) Option {
	return func(u *Upstream) {
		if now != nil {
			u.now = now
		}
	}
}

// NewRandom returns `random;` (two=false) or `random two least_conn;`
// drawing from rnd (nil: the global generator). rnd may be shared.
func NewRandom(two bool, rnd *rand.Rand) Random { return Random{Two: two, rnd: rnd} }
