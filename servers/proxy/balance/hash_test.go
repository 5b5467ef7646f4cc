package balance

import (
	"fmt"
	"hash/crc32"
	"strings"
	"testing"
)

func TestHashGeneric(t *testing.T) {
	h := func(s string) uint32 { return (crc32.ChecksumIEEE([]byte(s)) >> 16) & 0x7fff }
	tests := []struct {
		name  string
		peers []string
		key   string
		want  uint32 // the running hash of the chosen try
		of    int    // total weight
	}{
		{"first try", []string{"A", "B", "C"}, "/employees", h("/employees"), 3},
		{"weights walk", []string{"A w=3", "B", "C w=2"}, "/login", h("/login"), 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := mustUpstream(t, Hash{Key: "$request_uri"}, newClock(), peers(tt.peers...))
			r := u.NewRequest(lo, tt.key)
			p, why, err := u.Get(r)
			if err != nil {
				t.Fatal(err)
			}
			want := u.primary.byWeight(int(tt.want % uint32(tt.of)))
			if p != want {
				t.Errorf("got %s, want %s", p.Name, want.Name)
			}
			if w := fmt.Sprintf("hash %q → hash %d → peer %d of %d", tt.key, tt.want, want.index+1, len(tt.peers)); why != w {
				t.Errorf("why got %q, want %q", why, w)
			}
		})
	}
	// The second try prefixes the key with "1" and adds to the sum.
	u := mustUpstream(t, Hash{Key: "$request_uri"}, newClock(), peers("A mf=0", "B mf=0", "C mf=0"))
	r := u.NewRequest(lo, "/a")
	p1, _, _ := u.Get(r)
	u.Free(r, p1, true)
	_, why, _ := u.Get(r)
	sum := h("/a") + h("1/a")
	if !strings.Contains(why, fmt.Sprintf("hash %d → peer", sum)) {
		t.Errorf("second try why %q, want running hash %d", why, sum)
	}
}

func TestHashSameKeySamePeer(t *testing.T) {
	u := mustUpstream(t, Hash{Key: "$request_uri"}, newClock(), peers("A", "B", "C", "D"))
	seen := map[string]bool{}
	for i := range 40 {
		key := fmt.Sprintf("/emp/%d", i)
		first := once(t, u, lo, key)
		seen[first] = true
		for range 3 {
			if got := once(t, u, lo, key); got != first {
				t.Fatalf("key %s got %s then %s", key, first, got)
			}
		}
	}
	if len(seen) != 4 {
		t.Errorf("40 keys reached %d peers, want 4", len(seen))
	}
}

func TestHashEmptyKeyIsRoundRobin(t *testing.T) {
	for _, m := range []Hash{{Key: "$arg_id"}, {Key: "$arg_id", Consistent: true}} {
		t.Run(m.String(), func(t *testing.T) {
			u := mustUpstream(t, m, newClock(), peers("A", "B"))
			if got := seq(t, u, 4, lo, ""); got != "ABAB" {
				t.Errorf("got %s, want ABAB", got)
			}
			r := u.NewRequest(lo, "")
			if _, why, _ := u.Get(r); !strings.HasPrefix(why, "empty hash key → round robin; ") {
				t.Errorf("why got %q", why)
			}
		})
	}
}

func TestSplitServer(t *testing.T) {
	tests := []struct{ in, host, port string }{
		{"127.0.0.1:9001", "127.0.0.1", "9001"},
		{"backend.local:80", "backend.local", "80"},
		{"backend.local", "backend.local", ""},
		{"unix:/run/app.sock", "/run/app.sock", ""},
		{"UNIX:/run/app.sock", "/run/app.sock", ""},
		{"[::1]:9001", "[::1]", "9001"},
		{"[::1]", "[::1]", ""},
		{"host:9a", "host:9a", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			h, p := splitServer(tt.in)
			if h != tt.host || p != tt.port {
				t.Errorf("got %q %q, want %q %q", h, p, tt.host, tt.port)
			}
		})
	}
}

func TestConsistentRing(t *testing.T) {
	ps := peers("a:1 w=2", "b:2", "c:3 w=3")
	u := mustUpstream(t, Hash{Key: "$request_uri", Consistent: true}, newClock(), ps)
	if got := len(u.ring); got != 6*160 {
		t.Errorf("ring has %d points, want %d", got, 6*160)
	}
	count := map[string]int{}
	for i, p := range u.ring {
		count[p.server]++
		if i > 0 && u.ring[i-1].hash >= p.hash {
			t.Fatalf("ring not strictly sorted at %d", i)
		}
	}
	if count["a:1"] != 320 || count["b:2"] != 160 || count["c:3"] != 480 {
		t.Errorf("points per server got %v, want a:1 320, b:2 160, c:3 480", count)
	}
	// The first point of "b:2" is crc32("b" 0 "2" 00 00 00 00).
	first := crc32.ChecksumIEEE([]byte("b\x002\x00\x00\x00\x00"))
	found := false
	for _, p := range u.ring {
		found = found || (p.hash == first && p.server == "b:2")
	}
	if !found {
		t.Errorf("point %08x of b:2 missing", first)
	}
	// A key past the last point wraps to the first.
	if got := findPoint(u.ring, ^uint32(0)); int(got)%len(u.ring) != 0 && u.ring[len(u.ring)-1].hash != ^uint32(0) {
		t.Errorf("findPoint(max) got %d, want wrap to 0", got)
	}
}

// TestConsistentMovesFewKeys: removing a server moves only the keys that
// were on it, and marking one down moves only its keys too.
func TestConsistentMovesFewKeys(t *testing.T) {
	m := Hash{Key: "$request_uri", Consistent: true}
	all := mustUpstream(t, m, newClock(), peers("a:1", "b:2", "c:3", "d:4"))
	less := mustUpstream(t, m, newClock(), peers("a:1", "b:2", "d:4"))
	down := mustUpstream(t, m, newClock(), peers("a:1", "b:2", "c:3 down", "d:4"))
	moved := 0
	for i := range 400 {
		key := fmt.Sprintf("/media/avatar/%d.png", i)
		before := once(t, all, lo, key)
		after, afterDown := once(t, less, lo, key), once(t, down, lo, key)
		if before != "c:3" && (after != before || afterDown != before) {
			t.Fatalf("key %s moved from %s to %s / %s", key, before, after, afterDown)
		}
		if before == "c:3" {
			moved++
			if after == "c:3" || afterDown == "c:3" {
				t.Fatalf("key %s still on removed c:3", key)
			}
		}
	}
	if moved < 40 || moved > 160 {
		t.Errorf("%d of 400 keys were on c:3, want about 100", moved)
	}
}

// TestConsistentSharedName: peers that share a server name (one host
// name, several addresses) share its points and take turns by WRR.
func TestConsistentSharedName(t *testing.T) {
	ps := peers("app:9001", "app:9001", "other:1")
	ps[1].Addr = "127.0.0.2:9001"
	u := mustUpstream(t, Hash{Key: "$request_uri", Consistent: true}, newClock(), ps)
	if got := len(u.ring); got != 2*160 {
		t.Errorf("ring has %d points, want 320 (duplicates dropped)", got)
	}
	for i := range 50 {
		key := fmt.Sprintf("/k/%d", i)
		var addrs []string
		for range 2 {
			r := u.NewRequest(lo, key)
			p, _, _ := u.Get(r)
			u.Free(r, p, false)
			addrs = append(addrs, p.Addr)
		}
		if u.ring[int(findPoint(u.ring, crc32.ChecksumIEEE([]byte(key))))%len(u.ring)].server != "app:9001" {
			continue
		}
		if addrs[0] == addrs[1] {
			t.Fatalf("key %s: two picks of app:9001 both went to %s, want alternation", key, addrs[0])
		}
	}
}

func TestConsistentReason(t *testing.T) {
	u := mustUpstream(t, Hash{Key: "$uri", Consistent: true}, newClock(), peers("a:1", "b:2 down", "c:3"))
	for i := range 200 {
		key := fmt.Sprintf("/%d", i)
		r := u.NewRequest(lo, key)
		p, why, err := u.Get(r)
		if err != nil {
			t.Fatal(err)
		}
		crc := crc32.ChecksumIEEE([]byte(key))
		prefix := fmt.Sprintf("hash %q → crc32 %08x → ring point %d → ", key, crc, int(findPoint(u.ring, crc))%len(u.ring))
		if !strings.HasPrefix(why, prefix) || strings.Count(why, "crc32") != 1 ||
			!strings.HasSuffix(why, fmt.Sprintf("%s → peer %d", p.Name, p.Index()+1)) {
			t.Fatalf("why got %q, want %q…%s → peer %d", why, prefix, p.Name, p.Index()+1)
		}
		// The down server's points are passed over, never chosen.
		if strings.Count(why, "b:2") != strings.Count(why, "b:2 (none available)") {
			t.Fatalf("why got %q: b:2 chosen while down", why)
		}
		u.Free(r, p, false)
	}
}
