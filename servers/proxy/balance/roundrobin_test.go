package balance

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestRoundRobinSequences(t *testing.T) {
	tests := []struct {
		name  string
		peers []string
		n     int
		want  string
	}{
		{"weights 5,1,1 (reference §6.2)", []string{"A w=5", "B", "C"}, 14, "AABACAAAABACAA"},
		{"weights 3,2,1", []string{"A w=3", "B w=2", "C"}, 12, "ABACBAABACBA"},
		{"equal weights rotate", []string{"A", "B", "C"}, 6, "ABCABC"},
		{"down peer skipped", []string{"A", "B down", "C"}, 4, "ACAC"},
		{"down weighted peer", []string{"A w=2", "B w=5 down", "C"}, 6, "ACAACA"},
		{"backups unused while primaries live", []string{"A", "B", "C backup"}, 4, "ABAB"},
		{"all primaries down: backups", []string{"A down", "B down", "C backup", "D backup w=2"}, 6, "DCDDCD"},
		{"single peer", []string{"A"}, 3, "AAA"},
		{"single peer down", []string{"A down"}, 2, "--"},
		{"all down", []string{"A down", "B down"}, 2, "--"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := mustUpstream(t, RoundRobin{}, newClock(), peers(tt.peers...))
			if got := seq(t, u, tt.n, lo, ""); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

// TestRoundRobinWorkedExample checks the current weights of the reference's
// table after each pick (after subtracting the total).
func TestRoundRobinWorkedExample(t *testing.T) {
	u := mustUpstream(t, nil, newClock(), peers("A w=5", "B", "C"))
	want := []struct {
		pick string
		cw   []int
		why  string
	}{
		{"A", []int{-2, 1, 1}, "round robin: weights 5,1,1, current 5,1,1 → peer 1"},
		{"A", []int{-4, 2, 2}, "round robin: weights 5,1,1, current 3,2,2 → peer 1"},
		{"B", []int{1, -4, 3}, "round robin: weights 5,1,1, current 1,3,3 → peer 2"},
		{"A", []int{-1, -3, 4}, "round robin: weights 5,1,1, current 6,-3,4 → peer 1"},
		{"C", []int{4, -2, -2}, "round robin: weights 5,1,1, current 4,-2,5 → peer 3"},
		{"A", []int{2, -1, -1}, "round robin: weights 5,1,1, current 9,-1,-1 → peer 1"},
		{"A", []int{0, 0, 0}, "round robin: weights 5,1,1, current 7,0,0 → peer 1"},
	}
	for i, w := range want {
		r := u.NewRequest(lo, "")
		p, why, err := u.Get(r)
		if err != nil {
			t.Fatalf("pick %d: %v", i+1, err)
		}
		u.Free(r, p, false)
		var cw []int
		for _, s := range u.Snapshot() {
			cw = append(cw, s.CurrentWeight)
		}
		if p.Name != w.pick || !slices.Equal(cw, w.cw) || why != w.why {
			t.Errorf("pick %d: got %s %v %q, want %s %v %q", i+1, p.Name, cw, why, w.pick, w.cw, w.why)
		}
	}
}

func TestFailTimeout(t *testing.T) {
	c := newClock()
	u := mustUpstream(t, nil, c, peers("A ft=10", "B ft=10"))

	// A fails once: max_fails=1 disables it.
	r := u.NewRequest(lo, "")
	p, _, _ := u.Get(r)
	if p.Name != "A" {
		t.Fatalf("first pick got %s, want A", p.Name)
	}
	if !u.Free(r, p, true) {
		t.Fatalf("Free(failed) got disabled=false, want true (fails 1/1)")
	}
	// The same request retries on B.
	p, _, _ = u.Get(r)
	if p.Name != "B" {
		t.Fatalf("retry got %s, want B", p.Name)
	}
	u.Free(r, p, false)

	c.advance(3 * time.Second)
	r = u.NewRequest(lo, "")
	p, why, _ := u.Get(r)
	if p.Name != "B" || !strings.Contains(why, "peer 1 skipped: failed 1/1, retry after 8s") {
		t.Errorf("3s later got %s %q, want B with \"peer 1 skipped: failed 1/1, retry after 8s\"", p.Name, why)
	}
	u.Free(r, p, false)
	if s := u.Snapshot()[0]; s.State != StateFailed || s.RetryIn != 8*time.Second {
		t.Errorf("snapshot got %v retry %v, want failed retry 8s", s.State, s.RetryIn)
	}

	// now - checked <= fail_timeout: at exactly 10s A is still out.
	c.advance(7 * time.Second)
	if got := once(t, u, lo, ""); got != "B" {
		t.Errorf("at 10s got %s, want B", got)
	}
	// At 11s A takes part again, but with effective_weight 0 (1 - 1/1) and
	// current_weight -1 it wins only the third pick: that pick is the probe.
	// It fails again: out for another fail_timeout.
	c.advance(time.Second)
	if got := seq(t, u, 2, lo, ""); got != "BB" {
		t.Errorf("at 11s got %s, want BB (A recovering)", got)
	}
	r = u.NewRequest(lo, "")
	p, _, _ = u.Get(r)
	if p.Name != "A" {
		t.Fatalf("third pick at 11s got %s, want A (probe)", p.Name)
	}
	if !u.Free(r, p, true) {
		t.Errorf("failed probe got disabled=false, want true")
	}
	c.advance(10 * time.Second)
	if got := seq(t, u, 2, lo, ""); got != "BB" {
		t.Errorf("10s after failed probe got %s, want BB", got)
	}
	// 11s after: the probe succeeds, fails reset, A is back in rotation.
	c.advance(time.Second)
	if got := seq(t, u, 4, lo, ""); got != "BBAB" {
		t.Errorf("after the second window got %s, want BBAB", got)
	}
	if s := u.Snapshot()[0]; s.Fails != 0 || s.State != StateUp {
		t.Errorf("after good probe got fails %d state %v, want 0 up", s.Fails, s.State)
	}
}

// TestSuccessBeforeTimeoutKeepsFails: a success on a pick made inside the
// window (max_fails not yet reached) does not forget the failures, because
// accessed == checked.
func TestSuccessBeforeTimeoutKeepsFails(t *testing.T) {
	c := newClock()
	u := mustUpstream(t, nil, c, peers("A mf=3", "B mf=3"))
	r := u.NewRequest(lo, "")
	p, _, _ := u.Get(r) // A
	if u.Free(r, p, true) {
		t.Fatalf("fails 1/3 reported disabled")
	}
	c.advance(2 * time.Second)
	for range 4 {
		once(t, u, lo, "")
	}
	if got := u.Snapshot()[0].Fails; got != 1 {
		t.Errorf("fails after successes inside fail_timeout got %d, want 1", got)
	}
	// After fail_timeout the next pick of A is a probe; its success clears.
	c.advance(10 * time.Second)
	seq(t, u, 2, lo, "")
	if got := u.Snapshot()[0].Fails; got != 0 {
		t.Errorf("fails after a probe got %d, want 0", got)
	}
}

// TestEffectiveWeightRecovery: a failure drops effective_weight by
// weight/max_fails; it climbs back by one per pick the peer takes part in.
func TestEffectiveWeightRecovery(t *testing.T) {
	c := newClock()
	u := mustUpstream(t, nil, c, peers("A w=4 mf=2", "B"))
	r := u.NewRequest(lo, "")
	p, _, _ := u.Get(r)
	if p.Name != "A" {
		t.Fatalf("got %s, want A", p.Name)
	}
	u.Free(r, p, true) // fails 1/2: still available, effective 4-2=2
	if s := u.Snapshot()[0]; s.EffectiveWeight != 2 || s.State != StateUp {
		t.Fatalf("after failure got effective %d state %v, want 2 up", s.EffectiveWeight, s.State)
	}
	// current weights: A -1 (4-5), B 1. Picks add effective 2,3,4,4 to A.
	var got []int
	var names string
	for range 4 {
		names += once(t, u, lo, "")
		got = append(got, u.Snapshot()[0].EffectiveWeight)
	}
	if want := []int{3, 4, 4, 4}; !slices.Equal(got, want) {
		t.Errorf("effective weights got %v, want %v", got, want)
	}
	// current (A,B) after adding: (1,2) → B; (4,0) → A; (4,1) → A; (3,2) → A.
	if names != "BAAA" {
		t.Errorf("picks got %s, want BAAA", names)
	}
}

func TestMaxFailsZero(t *testing.T) {
	c := newClock()
	u := mustUpstream(t, nil, c, peers("A mf=0", "B"))
	for range 5 {
		r := u.NewRequest(lo, "")
		p, _, _ := u.Get(r)
		if p.Name == "A" {
			if u.Free(r, p, true) {
				t.Fatalf("max_fails=0 reported disabled")
			}
		} else {
			u.Free(r, p, false)
		}
	}
	s := u.Snapshot()[0]
	if s.State != StateUp || s.EffectiveWeight != 1 {
		t.Errorf("got state %v effective %d, want up 1 (max_fails=0 disables accounting)", s.State, s.EffectiveWeight)
	}
}

func TestSinglePeerIgnoresMaxFails(t *testing.T) {
	c := newClock()
	u := mustUpstream(t, nil, c, peers("A"))
	for i := range 3 {
		r := u.NewRequest(lo, "")
		if got := r.TriesLeft(); got != 1 {
			t.Errorf("request %d: TriesLeft got %d, want 1", i, got)
		}
		p, why, err := u.Get(r)
		if err != nil || p.Name != "A" {
			t.Fatalf("request %d: got %v %v, want A", i, p, err)
		}
		if want := "single peer A: no balancing, max_fails not applied"; why != want {
			t.Errorf("why got %q, want %q", why, want)
		}
		if u.Free(r, p, true) {
			t.Errorf("single peer reported disabled")
		}
		if got := r.TriesLeft(); got != 0 {
			t.Errorf("TriesLeft after single-peer attempt got %d, want 0", got)
		}
	}
	if s := u.Snapshot()[0]; s.Fails != 0 || s.State != StateUp {
		t.Errorf("single peer got fails %d state %v, want 0 up", s.Fails, s.State)
	}
}

func TestSinglePeerMaxConns(t *testing.T) {
	u := mustUpstream(t, nil, newClock(), peers("A mc=1"))
	r1 := u.NewRequest(lo, "")
	p, _, err := u.Get(r1)
	if err != nil {
		t.Fatal(err)
	}
	r2 := u.NewRequest(lo, "")
	if _, why, err := u.Get(r2); !errors.Is(err, ErrNoLive) || why != "peer 1 skipped: max_conns reached (1/1); no live upstreams" {
		t.Errorf("second request got %v %q, want ErrNoLive with max_conns reason", err, why)
	}
	u.Free(r1, p, false)
	if got := once(t, u, lo, ""); got != "A" {
		t.Errorf("after free got %s, want A", got)
	}
}

func TestBackup(t *testing.T) {
	c := newClock()
	u := mustUpstream(t, nil, c, peers("A", "B", "C backup", "D backup"))
	r := u.NewRequest(lo, "")
	if got := r.TriesLeft(); got != 4 {
		t.Fatalf("TriesLeft got %d, want 4 (2 primaries + 2 backups)", got)
	}
	var got []string
	var whys []string
	for {
		p, why, err := u.Get(r)
		whys = append(whys, why)
		if err != nil {
			got = append(got, "-")
			break
		}
		got = append(got, p.Name)
		u.Free(r, p, true)
		if r.TriesLeft() == 0 {
			break
		}
	}
	if want := []string{"A", "B", "C", "D"}; !slices.Equal(got, want) {
		t.Errorf("attempts got %v, want %v", got, want)
	}
	if want := "peer 1 skipped: already tried; peer 2 skipped: already tried; no primary peer available → backups; round robin: weights 1,1, current 1,1 → backup 1"; whys[2] != want {
		t.Errorf("third attempt why got %q, want %q", whys[2], want)
	}
	// Every peer is now failed: a new request finds nothing.
	if got := once(t, u, lo, ""); got != "-" {
		t.Errorf("all failed got %s, want no live", got)
	}
	// After fail_timeout the primaries are back, before any backup, each
	// climbing back from effective_weight 0.
	c.advance(11 * time.Second)
	if got := seq(t, u, 4, lo, ""); got != "BBAB" {
		t.Errorf("after fail_timeout got %s, want BBAB", got)
	}
}

// TestBackupIsForGood: once a request moved on to the backups it stays
// there, even if a primary becomes available again.
func TestBackupIsForGood(t *testing.T) {
	u := mustUpstream(t, nil, newClock(), peers("A mc=1", "B backup", "C backup"))
	hold := u.NewRequest(lo, "")
	pa, _, _ := u.Get(hold) // A is full now
	r := u.NewRequest(lo, "")
	p, _, _ := u.Get(r)
	if p.Name != "B" {
		t.Fatalf("got %s, want backup B", p.Name)
	}
	u.Free(hold, pa, false) // A has room again
	u.Free(r, p, true)
	if p, _, _ = u.Get(r); p.Name != "C" {
		t.Errorf("retry got %s, want backup C (no return to primaries)", p.Name)
	}
}

func TestMaxConns(t *testing.T) {
	u := mustUpstream(t, nil, newClock(), peers("A mc=1", "B mc=1"))
	r1, r2, r3 := u.NewRequest(lo, ""), u.NewRequest(lo, ""), u.NewRequest(lo, "")
	p1, _, _ := u.Get(r1)
	p2, _, _ := u.Get(r2)
	if p1.Name != "A" || p2.Name != "B" {
		t.Fatalf("got %s %s, want A B", p1.Name, p2.Name)
	}
	if _, why, err := u.Get(r3); !errors.Is(err, ErrNoLive) {
		t.Errorf("third got %v, want ErrNoLive", err)
	} else if want := "peer 1 skipped: max_conns reached (1/1); peer 2 skipped: max_conns reached (1/1); no live upstreams"; why != want {
		t.Errorf("why got %q, want %q", why, want)
	}
	if s := u.Snapshot(); s[0].State != StateFull || s[0].Conns != 1 {
		t.Errorf("snapshot got %v conns %d, want full 1", s[0].State, s[0].Conns)
	}
	u.Free(r2, p2, false)
	if p, _, err := u.Get(r3); err != nil || p.Name != "B" {
		t.Errorf("after B freed got %v %v, want B", p, err)
	}
}

func TestTriesLeft(t *testing.T) {
	tests := []struct {
		name  string
		peers []string
		limit int
		want  int
	}{
		{"primaries", []string{"A", "B", "C"}, 0, 3},
		{"down not counted", []string{"A", "B down", "C"}, 0, 2},
		{"backups counted", []string{"A", "B", "C backup", "D backup down"}, 0, 3},
		{"next_upstream_tries caps", []string{"A", "B", "C"}, 2, 2},
		{"next_upstream_tries above count", []string{"A", "B"}, 5, 2},
		{"single peer", []string{"A"}, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := mustUpstream(t, nil, newClock(), peers(tt.peers...))
			r := u.NewRequest(lo, "")
			r.LimitTries(tt.limit)
			if got := r.TriesLeft(); got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}

// TestRetryNeverRepeats: a request with every attempt failing visits each
// peer once, in WRR order, then finds no live upstream.
func TestRetryNeverRepeats(t *testing.T) {
	u := mustUpstream(t, nil, newClock(), peers("A w=3 mf=5", "B mf=5", "C mf=5"))
	r := u.NewRequest(lo, "")
	var got string
	for range 4 {
		p, _, err := u.Get(r)
		if errors.Is(err, ErrNoLive) {
			got += "-"
			break
		}
		got += p.Name
		u.Free(r, p, true)
	}
	if got != "ABC-" {
		t.Errorf("got %s, want ABC-", got)
	}
}

func TestMisuse(t *testing.T) {
	u := mustUpstream(t, nil, newClock(), peers("A", "B"))
	other := mustUpstream(t, nil, newClock(), peers("A", "B"))
	r := u.NewRequest(lo, "")
	p, _, _ := u.Get(r)
	if _, _, err := u.Get(r); !errors.Is(err, ErrNotFreed) {
		t.Errorf("Get before Free got %v, want ErrNotFreed", err)
	}
	if _, _, err := other.Get(r); !errors.Is(err, ErrForeignRequest) {
		t.Errorf("foreign Get got %v, want ErrForeignRequest", err)
	}
	u.Free(r, p, false)
	u.Free(r, p, false) // double free: no effect
	other.Free(r, p, true)
	for _, s := range u.Snapshot() {
		if s.Conns != 0 || s.Fails != 0 {
			t.Errorf("peer %s got conns %d fails %d, want 0 0", s.Name, s.Conns, s.Fails)
		}
	}
}

func TestAttempts(t *testing.T) {
	tests := []struct {
		name   string
		peers  []string
		dead   string
		want   string
		err    error
		whyEnd string
	}{
		{"first answers", []string{"A", "B"}, "", "A", nil, "→ peer 1"},
		{"retry on the next", []string{"A", "B", "C"}, "A", "AB", nil, "→ peer 2"},
		{"backup after all primaries", []string{"A", "B", "C backup"}, "AB", "ABC", nil, "→ backup 1"},
		{"all fail: tries run out", []string{"A", "B"}, "AB", "AB", nil, "→ peer 2"},
		{"single peer: one attempt", []string{"A"}, "A", "A", nil, "max_fails not applied"},
		{"all down", []string{"A down", "B down"}, "", "", ErrNoLive, "no live upstreams"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := mustUpstream(t, nil, newClock(), peers(tt.peers...))
			tried, whys, err := u.Attempts(lo, "", func(p *Peer) bool { return strings.Contains(tt.dead, p.Name) })
			var got string
			for _, p := range tried {
				got += p.Name
			}
			if got != tt.want || !errors.Is(err, tt.err) || !strings.HasSuffix(whys[len(whys)-1], tt.whyEnd) {
				t.Errorf("got %s %v %q, want %s %v …%q", got, err, whys, tt.want, tt.err, tt.whyEnd)
			}
		})
	}
}

func TestOnChange(t *testing.T) {
	c := newClock()
	var got []string
	u, err := NewUpstream("ems", peers("A mf=2", "B"), nil, WithClock(c.now), OnChange(func(ch Change) {
		got = append(got, fmt.Sprintf("%s %s %s fails=%d", ch.Upstream, ch.Peer.Name, ch.What, ch.Peer.Fails))
	}))
	if err != nil {
		t.Fatal(err)
	}
	fail := func(name string) {
		t.Helper()
		u.Attempts(lo, "", func(p *Peer) bool { return p.Name == name })
	}
	fail("A") // A fails 1/2: no change; B answers
	fail("A") // B answers (A's turn comes later)
	fail("A") // A fails 2/2: disabled
	c.advance(11 * time.Second)
	for range 6 {
		u.Attempts(lo, "", func(*Peer) bool { return false }) // the probe of A succeeds
	}
	want := []string{"ems A disabled fails=2", "ems A recovered fails=0"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
