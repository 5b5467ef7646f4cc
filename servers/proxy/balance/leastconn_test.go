package balance

import (
	"errors"
	"testing"
)

func TestLeastConnIdleRotates(t *testing.T) {
	tests := []struct {
		name  string
		peers []string
		n     int
		want  string
	}{
		{"equal weights", []string{"A", "B", "C"}, 6, "ABCABC"},
		{"weighted ties use smooth WRR", []string{"A w=5", "B", "C"}, 7, "AABACAA"},
		{"down skipped", []string{"A", "B down", "C"}, 4, "ACAC"},
		{"backups when primaries down", []string{"A down", "B backup", "C backup"}, 4, "BCBC"},
		{"single", []string{"A"}, 2, "AA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := mustUpstream(t, LeastConn{}, newClock(), peers(tt.peers...))
			if got := seq(t, u, tt.n, lo, ""); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

// hold starts n requests and keeps their connections open.
func hold(t *testing.T, u *Upstream, n int) string {
	t.Helper()
	var s string
	for range n {
		r := u.NewRequest(lo, "")
		p, _, err := u.Get(r)
		if err != nil {
			t.Fatal(err)
		}
		s += p.Name
	}
	return s
}

func TestLeastConnHeld(t *testing.T) {
	tests := []struct {
		name  string
		peers []string
		n     int
		want  string
	}{
		// Held: A (3-way tie), B (2-way tie), C (alone: current_weight
		// untouched, so C has saved up), then the 3-way tie goes to C.
		{"equal weights", []string{"A", "B", "C"}, 6, "ABCCBA"},
		// weight 2 takes two connections for every one of the others:
		// conns/weight 0/2,0,0 tie → A; 1/2 < 0? no: B 0, C 0 tie → B; C; then
		// A 1/2 < B 1/1 → A; then 2/2 = 1/1 = 1/1 tie → WRR.
		{"weight 2", []string{"A w=2", "B", "C"}, 4, "ABCA"},
		{"max_conns caps", []string{"A mc=1", "B"}, 4, "ABBB"},
		{"max_conns everywhere", []string{"A mc=1", "B mc=1"}, 3, "AB-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := mustUpstream(t, LeastConn{}, newClock(), peers(tt.peers...))
			got := ""
			for range tt.n {
				r := u.NewRequest(lo, "")
				p, _, err := u.Get(r)
				if errors.Is(err, ErrNoLive) {
					got += "-"
					break
				}
				got += p.Name
			}
			if got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestLeastConnReason(t *testing.T) {
	u := mustUpstream(t, LeastConn{}, newClock(), peers("A", "B", "C"))
	hold(t, u, 1) // 3-way tie → A; current weights -2,1,1
	r := u.NewRequest(lo, "")
	_, why, _ := u.Get(r)
	want := "least_conn: peer 1 has 1 active, peer 2 has 0 active, peer 3 has 0 active → peer 2; " +
		"tie between peers 2,3 → round robin among them: current 2,2 → peer 2"
	if why != want {
		t.Errorf("got %q, want %q", why, want)
	}
	r = u.NewRequest(lo, "")
	_, why, _ = u.Get(r)
	want = "least_conn: peer 1 has 1 active, peer 2 has 1 active, peer 3 has 0 active → peer 3"
	if why != want {
		t.Errorf("got %q, want %q", why, want)
	}
}

// TestLeastConnNoTieKeepsCurrentWeight: without a tie least_conn leaves
// current_weight alone, so the next tie resumes where round robin was.
func TestLeastConnNoTieKeepsCurrentWeight(t *testing.T) {
	u := mustUpstream(t, LeastConn{}, newClock(), peers("A", "B"))
	held := hold(t, u, 1) // tie → A (A -1, B 1)
	if held != "A" {
		t.Fatalf("got %s, want A", held)
	}
	if got := hold(t, u, 1); got != "B" { // B fewer: no change
		t.Fatalf("got %s, want B", got)
	}
	cw := []int{u.Snapshot()[0].CurrentWeight, u.Snapshot()[1].CurrentWeight}
	if cw[0] != -1 || cw[1] != 1 {
		t.Errorf("current weights got %v, want [-1 1]", cw)
	}
}

func TestLeastConnRetryToBackup(t *testing.T) {
	u := mustUpstream(t, LeastConn{}, newClock(), peers("A", "B backup"))
	r := u.NewRequest(lo, "")
	p, _, _ := u.Get(r)
	u.Free(r, p, true)
	p, why, err := u.Get(r)
	if err != nil || p.Name != "B" {
		t.Fatalf("got %v %v, want backup B", p, err)
	}
	if want := "peer 1 skipped: already tried; no primary peer available → backups; least_conn: backup 1 has 0 active → backup 1"; why != want {
		t.Errorf("got %q, want %q", why, want)
	}
}
