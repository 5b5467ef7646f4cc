package balance

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// script is a rand.Source that returns the given values in turn, so a
// test decides every draw: x = value % total_weight.
type script struct {
	v []uint64
	i int
}

func (s *script) Uint64() uint64 { x := s.v[s.i%len(s.v)]; s.i++; return x }

func scripted(v ...uint64) *rand.Rand { return rand.New(&script{v: v}) }

func TestRandomDraws(t *testing.T) {
	tests := []struct {
		name  string
		peers []string
		draws []uint64
		n     int
		want  string
	}{
		// ranges: A 0, B 1-2, C 3-5.
		{"weighted ranges", []string{"A", "B w=2", "C w=3"}, []uint64{0, 1, 2, 3, 4, 5, 6}, 7, "ABBCCCA"},
		{"down redrawn", []string{"A", "B w=2 down", "C w=3"}, []uint64{1, 0, 2, 5}, 2, "AC"},
		{"single peer", []string{"A"}, []uint64{7}, 2, "AA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := mustUpstream(t, NewRandom(false, scripted(tt.draws...)), newClock(), peers(tt.peers...))
			if got := seq(t, u, tt.n, lo, ""); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestRandomTwo(t *testing.T) {
	tests := []struct {
		name  string
		peers []string
		held  int // requests that pick and hold before the checked one
		draws []uint64
		want  string
		why   string
	}{
		{"tie: second draw wins", []string{"A", "B", "C"}, 0, []uint64{0, 2}, "C",
			"random 0 of 3 → peer 1; random 2 of 3 → peer 3; random two: peer 1 has 0 active, peer 3 has 0 → peer 3"},
		{"same peer drawn again", []string{"A", "B", "C"}, 0, []uint64{1, 1, 0}, "A",
			"random 1 of 3 → peer 2; random 1 of 3 → peer 2 (skipped: same as the first draw); random 0 of 3 → peer 1; random two: peer 2 has 0 active, peer 1 has 0 → peer 1"},
		// held: draws 0,1 → tie → B holds one. Then A (0) vs B (1): A.
		{"fewer connections win", []string{"A", "B", "C"}, 1, []uint64{0, 1, 1, 0}, "A",
			"random 1 of 3 → peer 2; random 0 of 3 → peer 1; random two: peer 2 has 1 active, peer 1 has 0 → peer 1"},
		// held: A (a tie: the second draw), then B (0 conns); now B has 1 of
		// weight 1 and A 1 of weight 2: 1*2 > 1*1, so the first draw, A, wins
		// where equal weights would have given the tie to B.
		{"conns per weight", []string{"A w=2", "B"}, 2, []uint64{2, 0, 0, 2, 0, 2}, "A",
			"random 0 of 3 → peer 1; random 2 of 3 → peer 2; random two: peer 1 has 1 active, peer 2 has 1 → peer 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := mustUpstream(t, NewRandom(true, scripted(tt.draws...)), newClock(), peers(tt.peers...))
			hold(t, u, tt.held)
			r := u.NewRequest(lo, "")
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

// TestRandomFallback: 20 misses fall back to round robin; every draw of a
// pair counts.
func TestRandomFallback(t *testing.T) {
	u := mustUpstream(t, NewRandom(true, scripted(0)), newClock(), peers("A", "B", "C"))
	r := u.NewRequest(lo, "")
	p, why, err := u.Get(r)
	if err != nil {
		t.Fatal(err)
	}
	// Always drawing A: first draw A, then 20 "same as the first draw".
	if n := strings.Count(why, "same as the first draw"); n != 20 {
		t.Errorf("got %d repeated draws, want 20", n)
	}
	if !strings.Contains(why, "21 tries without a live peer → round robin; round robin: weights 1,1,1") || p.Name != "A" {
		t.Errorf("got %s %q, want round-robin fallback to A", p.Name, why)
	}
}

func TestRandomGlobalSource(t *testing.T) {
	u := mustUpstream(t, Random{}, newClock(), peers("A", "B"))
	seen := map[string]bool{}
	for range 200 {
		seen[once(t, u, lo, "")] = true
	}
	if !seen["A"] || !seen["B"] {
		t.Errorf("200 draws reached %v, want both peers", seen)
	}
}
