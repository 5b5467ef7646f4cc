package balance

import (
	"math/rand/v2"
	"sync"
)

// randMu guards every injected *rand.Rand: one generator may be handed to
// several upstreams (or survive a reload), and a *rand.Rand is not safe
// for concurrent use.
var randMu sync.Mutex

// Random is `random;` or `random two [least_conn];`
// (ngx_http_upstream_random_module). A draw is x = random() % total_weight
// (down peers included), found by binary search over the peers' weight
// ranges; an unavailable draw is drawn again. With Two, it draws two
// different available peers and takes the one with fewer connections for
// its weight (cross-multiplied), the second draw winning a tie. Every draw,
// including the first good one of a pair, counts towards the 20 tries
// after which it falls back to round robin.
type Random struct {
	Two bool
	rnd *rand.Rand // nil: the global generator
}

var _ Balancer = Random{}

func (m Random) String() string {
	if m.Two {
		return "random two least_conn"
	}
	return "random"
}

// peek is ngx_http_upstream_peek_random_peer: ranges[i] is the first
// weight unit of primary i.
func (m Random) peek(u *Upstream) (i int, x int) {
	total := uint64(u.primary.totalWeight)
	if m.rnd != nil {
		randMu.Lock()
		x = int(m.rnd.Uint64() % total)
		randMu.Unlock()
	} else {
		x = int(rand.Uint64() % total)
	}
	i, j := 0, len(u.ranges)
	for j-i > 1 {
		k := (i + j) / 2
		if x < u.ranges[k] {
			j = k
		} else {
			i = k
		}
	}
	return i, x
}

func (m Random) pick(u *Upstream, r *Request, now int64) *Peer {
	// Draws index the primaries; only the round-robin fallback can have
	// moved the request to the backups, and then mtries is already > 20.
	if r.mtries > maxHashTries || r.l.single || r.l.backup {
		return u.getRR(r, now)
	}
	var prev *Peer
	for {
		i, x := m.peek(u)
		p := u.primary.peers[i]
		s := Step{Kind: StepDraw, Value: int64(x), Of: u.primary.totalWeight, Peer: i + 1}
		var c Cause
		switch {
		case p == prev:
			c = causeSameDraw
		default:
			c = r.check(p, now)
		}
		if c == CauseNone {
			if !m.Two {
				r.note(s)
				p.touch(now)
				r.markTried(p)
				return p
			}
			if prev != nil {
				r.note(s)
				win := p
				if p.conns*prev.Weight > prev.conns*p.Weight {
					win = prev
				}
				if !r.quiet {
					r.note(Step{Kind: StepTwo, Peers: []int{prev.index + 1, p.index + 1},
						Values: []int{prev.conns, p.conns}, Peer: win.index + 1})
				}
				win.touch(now)
				r.markTried(win)
				return win
			}
			r.note(s)
			prev = p
		} else {
			r.note(withCause(s, r.skipStep(p, c, now)))
		}
		r.mtries++
		if r.mtries > maxHashTries {
			r.note(Step{Kind: StepFallback, Value: int64(r.mtries)})
			return u.getRR(r, now)
		}
	}
}
