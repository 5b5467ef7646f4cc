package balance

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"
)

// FuzzUpstream builds an upstream from the first bytes (method, peers with
// weight, down, backup, max_fails, max_conns, fail_timeout) and plays the
// rest as events: new request, Get, Free ok, Free failed, clock steps,
// next_upstream_tries. After every step it checks what nginx guarantees:
// no down, tried or unavailable peer is picked, ErrNoLive only when nothing
// was available, conns match the open attempts and never go negative,
// tries never go negative.
func FuzzUpstream(f *testing.F) {
	// Seeds live in testdata/fuzz/FuzzUpstream (one per method family).
	f.Add([]byte{0, 2, 1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 3, 0, 1, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 4096 {
			return
		}
		checkEvents(t, data)
	})
}

// byteReader hands out the fuzz input a byte at a time, zeros past the end.
type byteReader struct {
	b []byte
	i int
}

func (r *byteReader) next() byte {
	if r.i >= len(r.b) {
		r.i++
		return 0
	}
	r.i++
	return r.b[r.i-1]
}

func (r *byteReader) more() bool { return r.i < len(r.b) }

type fuzzReq struct {
	r      *Request
	held   *Peer
	tried  map[*Peer]bool
	backup bool // on the backup list
}

func checkEvents(t *testing.T, data []byte) {
	in := &byteReader{b: data}
	c := newClock()
	methods := []Balancer{
		RoundRobin{}, IPHash{}, LeastConn{}, Hash{Key: "$k"}, Hash{Key: "$k", Consistent: true},
		NewRandom(false, rand.New(rand.NewPCG(uint64(len(data)), 1))),
		NewRandom(true, rand.New(rand.NewPCG(uint64(len(data)), 2))),
	}
	method := methods[int(in.next())%len(methods)]
	n := 1 + int(in.next())%8
	var ps []*Peer
	for i := range n {
		w, flags, ft := in.next(), in.next(), in.next()
		p := NewPeer(fmt.Sprintf("127.0.0.1:%d", 9001+i))
		p.Weight = 1 + int(w)%5
		p.Down = flags&1 != 0
		p.Backup = flags&2 != 0
		p.MaxFails = int(flags>>2) & 3
		p.MaxConns = int(flags>>4) & 3
		p.FailTimeout = time.Duration(ft%4) * time.Second
		ps = append(ps, p)
	}
	u, err := NewUpstream("fuzz", ps, method, WithClock(c.now), MethodAfterServers())
	if err != nil {
		if errors.Is(err, ErrNoServers) {
			return
		}
		t.Fatalf("NewUpstream: %v", err)
	}
	all := append(append([]*Peer(nil), u.primary.peers...), backupPeers(u)...)
	open := map[*Peer]int{}
	var reqs []*fuzzReq

	for steps := 0; in.more() && steps < 500; steps++ {
		op, arg := in.next(), in.next()
		switch op % 6 {
		case 0:
			if len(reqs) < 8 {
				key := fmt.Sprintf("/k/%d", arg%7)
				if arg%7 == 6 {
					key = "" // hash falls back to round robin
				}
				fr := &fuzzReq{r: u.NewRequest(fuzzClient(arg), key), tried: map[*Peer]bool{}}
				if arg&0x40 != 0 {
					fr.r.Quiet()
				}
				reqs = append(reqs, fr)
			}
		case 1:
			if len(reqs) == 0 {
				continue
			}
			fr := reqs[int(arg)%len(reqs)]
			if fr.held != nil {
				continue
			}
			now := c.now().Unix()
			avail := func(p *Peer) bool {
				if u.primary.single {
					return !p.Down && !(p.MaxConns > 0 && p.conns >= p.MaxConns)
				}
				return p.state(now) == CauseNone
			}
			// Availability is judged before the pick (the pick itself
			// moves checked and conns).
			before := map[*Peer]bool{}
			for _, q := range all {
				before[q] = avail(q)
			}
			wasBackup := fr.r.l.backup
			p, why, err := u.Get(fr.r)
			_ = fr.r.reason.Chinese()
			if errors.Is(err, ErrNoLive) {
				for _, q := range all {
					if wasBackup && !q.Backup {
						continue // moved on to the backups for good
					}
					if before[q] && !(q.Backup == wasBackup && fr.tried[q]) {
						t.Fatalf("ErrNoLive but %s (backup=%v) was available and untried: %s", q.Addr, q.Backup, why)
					}
				}
				continue
			}
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if p.Backup != fr.r.l.backup {
				t.Fatalf("picked %s (backup=%v) from the other list: %s", p.Addr, p.Backup, why)
			}
			if fr.r.l.backup != wasBackup {
				// Backups only when no primary was available.
				for _, q := range u.primary.peers {
					if before[q] && !fr.tried[q] {
						t.Fatalf("moved to backups while primary %s was available: %s", q.Addr, why)
					}
				}
				fr.tried = map[*Peer]bool{}
				fr.backup = true
			}
			if p.Down || !before[p] {
				t.Fatalf("picked unavailable %s (down=%v fails=%d/%d conns=%d/%d): %s",
					p.Addr, p.Down, p.fails, p.MaxFails, p.conns, p.MaxConns, why)
			}
			if fr.tried[p] {
				t.Fatalf("picked %s twice in one request: %s", p.Addr, why)
			}
			if !u.primary.single {
				fr.tried[p] = true
			}
			fr.held = p
			open[p]++
		case 2, 3:
			if len(reqs) == 0 {
				continue
			}
			fr := reqs[int(arg)%len(reqs)]
			if fr.held == nil {
				// Freeing what is not held must change nothing.
				u.Free(fr.r, all[int(arg)%len(all)], op%6 == 3)
				break
			}
			u.Free(fr.r, fr.held, op%6 == 3)
			open[fr.held]--
			fr.held = nil
			if fr.r.TriesLeft() == 0 {
				reqs = append(reqs[:int(arg)%len(reqs)], reqs[int(arg)%len(reqs)+1:]...)
			}
		case 4:
			c.advance(time.Duration(arg%5) * time.Second)
		case 5:
			if len(reqs) > 0 {
				reqs[int(arg)%len(reqs)].r.LimitTries(int(arg % 4))
			}
		}
		for _, fr := range reqs {
			if fr.r.tries < 0 {
				t.Fatalf("tries went negative: %d", fr.r.tries)
			}
		}
		for _, s := range u.Snapshot() {
			var p *Peer
			if s.Backup {
				p = u.backup.peers[s.Index]
			} else {
				p = u.primary.peers[s.Index]
			}
			if s.Conns < 0 || s.Conns != open[p] {
				t.Fatalf("%s conns %d, want %d open attempts", s.Addr, s.Conns, open[p])
			}
			if s.EffectiveWeight < 0 || s.EffectiveWeight > s.Weight {
				t.Fatalf("%s effective weight %d outside 0..%d", s.Addr, s.EffectiveWeight, s.Weight)
			}
		}
	}
}

func backupPeers(u *Upstream) []*Peer {
	if u.backup == nil {
		return nil
	}
	return u.backup.peers
}

func fuzzClient(b byte) netip.Addr {
	switch b % 4 {
	case 0:
		return netip.Addr{}
	case 1:
		return netip.AddrFrom16([16]byte{15: b})
	}
	return netip.AddrFrom4([4]byte{127, b % 3, b, 1})
}

// TestPropertyRandomConfigs runs the fuzz property over many generated
// inputs on every plain test run.
func TestPropertyRandomConfigs(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 3000 {
		data := make([]byte, 20+rng.IntN(300))
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		t.Run(fmt.Sprint(i), func(t *testing.T) { checkEvents(t, data) })
		if t.Failed() {
			t.Logf("input: %v", data)
			return
		}
	}
}
