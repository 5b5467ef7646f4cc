package balance

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestIPHashReferenceTable(t *testing.T) {
	tests := []struct {
		client string
		peers  []string
		want   string
		why    string
	}{
		{"127.0.0.1", []string{"A", "B", "C"}, "C", "ip_hash 127.0.0 → hash 4040 → peer 3 of 3"},
		{"127.0.0.2", []string{"A", "B", "C"}, "C", "ip_hash 127.0.0 → hash 4040 → peer 3 of 3"},
		{"127.0.1.5", []string{"A", "B", "C"}, "A", "ip_hash 127.0.1 → hash 4041 → peer 1 of 3"},
		{"192.168.1.10", []string{"A", "B", "C"}, "B", "ip_hash 192.168.1 → hash 154 → peer 2 of 3"},
		{"10.0.0.1", []string{"A", "B", "C"}, "A", "ip_hash 10.0.0 → hash 2565 → peer 1 of 3"},
		{"192.168.1.10", []string{"A", "B down", "C"}, "C",
			"ip_hash 192.168.1 → hash 154 → peer 2 of 3 (skipped: down) → hash 5654 → peer 3 of 3"},
		// down keeps its slot: the other clients keep their peers.
		{"127.0.0.1", []string{"A", "B down", "C"}, "C", "ip_hash 127.0.0 → hash 4040 → peer 3 of 3"},
		{"10.0.0.1", []string{"A", "B down", "C"}, "A", "ip_hash 10.0.0 → hash 2565 → peer 1 of 3"},
		// weights walk: 4040 % 4 = 0 → A (weight 2 covers 0 and 1).
		{"127.0.0.1", []string{"A w=2", "B", "C"}, "A", "ip_hash 127.0.0 → hash 4040 → peer 1 of 3"},
	}
	for _, tt := range tests {
		t.Run(tt.client+" "+strings.Join(tt.peers, ","), func(t *testing.T) {
			u := mustUpstream(t, IPHash{}, newClock(), peers(tt.peers...))
			r := u.NewRequest(netip.MustParseAddr(tt.client), "")
			p, why, err := u.Get(r)
			if err != nil {
				t.Fatal(err)
			}
			if p.Name != tt.want || why != tt.why {
				t.Errorf("got %s %q, want %s %q", p.Name, why, tt.want, tt.why)
			}
		})
	}
}

func TestIPHashKeys(t *testing.T) {
	tests := []struct {
		name   string
		client netip.Addr
		want   string
	}{
		{"IPv4 first three octets", netip.MustParseAddr("192.168.1.200"), "192.168.1"},
		{"IPv6 all 16 bytes", netip.MustParseAddr("::1"), "::1"},
		{"IPv4-mapped IPv6 is IPv6", netip.MustParseAddr("::ffff:127.0.0.1"), "::ffff:127.0.0.1"},
		{"no address: three zero bytes", netip.Addr{}, "0.0.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ipHashKeyText(ipHashKey(tt.client)); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
	// 89 → 3786 → 1390 → 295: 295 % 3 = 1 → the 2nd peer.
	u := mustUpstream(t, IPHash{}, newClock(), peers("A", "B", "C"))
	r := u.NewRequest(netip.Addr{}, "")
	if _, why, _ := u.Get(r); why != "ip_hash 0.0.0 → hash 295 → peer 2 of 3" {
		t.Errorf("UNIX client got %q", why)
	}
}

// TestIPHashRetry: a failed attempt moves on from the stored hash, never to
// a tried peer; when every peer is tried, 21 misses fall back to round
// robin, which finds nothing.
func TestIPHashRetry(t *testing.T) {
	u := mustUpstream(t, IPHash{}, newClock(), peers("A mf=0", "B mf=0", "C mf=0"))
	r := u.NewRequest(netip.MustParseAddr("192.168.1.10"), "")
	var got string
	var why string
	skipped := 0
	for range 4 {
		p, w, err := u.Get(r)
		why = w
		skipped += strings.Count(w, "(skipped: already tried)")
		if errors.Is(err, ErrNoLive) {
			got += "-"
			break
		}
		got += p.Name
		u.Free(r, p, true)
	}
	// 154 → B; 5654 % 3 = 2 → C; then the hashes go on until one lands on A.
	if got != "BCA-" {
		t.Errorf("got %s, want BCA-", got)
	}
	if !strings.Contains(why, "21 tries without a live peer → round robin") || !strings.HasSuffix(why, "no live upstreams") {
		t.Errorf("last why got %q", why)
	}
	// The 20-try budget belongs to the request: the misses of the third
	// attempt count towards the fourth's fallback.
	if skipped != 21 {
		t.Errorf("got %d skipped candidates over all attempts, want 21", skipped)
	}
}

// TestIPHashFallbackUsesRoundRobin: with every candidate the hash finds
// unavailable the method gives up and round robin serves the request.
func TestIPHashFallbackUsesRoundRobin(t *testing.T) {
	// One peer of weight 1 among weight 100: the hash almost never lands
	// on it, so a client whose heavy peer is down falls back to RR.
	u := mustUpstream(t, IPHash{}, newClock(), peers("A w=100 down", "B"))
	r := u.NewRequest(netip.MustParseAddr("127.0.0.1"), "")
	p, why, err := u.Get(r)
	if err != nil || p.Name != "B" {
		t.Fatalf("got %v %v, want B", p, err)
	}
	if !strings.Contains(why, "→ round robin; peer 1 skipped: down; round robin over peers 2") {
		t.Errorf("why got %q", why)
	}
}

func TestIPHashSinglePeer(t *testing.T) {
	u := mustUpstream(t, IPHash{}, newClock(), peers("A"))
	if got := once(t, u, lo, ""); got != "A" {
		t.Errorf("got %s, want A", got)
	}
}
