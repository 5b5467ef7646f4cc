package balance

import (
	"fmt"
	"net/netip"
)

// IPHash is `ip_hash;` (ngx_http_upstream_ip_hash_module): a client keeps
// its peer for as long as the peer is available. It hashes the first three
// octets of an IPv4 client (every host of a /24 lands on the same peer),
// all 16 bytes of an IPv6 client, and three zero bytes for anything else
// (UNIX-socket clients). hash starts at 89; for each byte
// hash = (hash*113 + byte) % 6271; the peer is found by walking the weights
// with hash % total_weight, where the total includes `down` peers, so a
// peer marked down keeps its slot and other clients keep their mapping.
// An unavailable candidate makes it hash the bytes again on top of the
// current value; after 20 misses it falls back to round robin.
type IPHash struct{}

var _ Balancer = IPHash{}

func (IPHash) String() string { return "ip_hash" }

// maxHashTries is the 20 in nginx's `if (++tries > 20)`: the hash methods
// look at up to 21 candidates before falling back to round robin.
const maxHashTries = 20

// ipHashKey returns the bytes nginx's ip_hash feeds to the hash: k[:n].
func ipHashKey(a netip.Addr) (k [16]byte, n int) {
	switch {
	case a.Is4():
		b := a.As4()
		copy(k[:], b[:3])
		return k, 3
	case a.Is6():
		return a.As16(), 16
	}
	return k, 3 // ngx_http_upstream_ip_hash_pseudo_addr: three zero bytes
}

func ipHashKeyText(k [16]byte, n int) string {
	if n == 3 {
		return fmt.Sprintf("%d.%d.%d", k[0], k[1], k[2])
	}
	return netip.AddrFrom16(k).String()
}

func (IPHash) pick(u *Upstream, r *Request, now int64) *Peer {
	l := r.l
	if r.mtries > maxHashTries || l.single {
		return u.getRR(r, now)
	}
	k, n := ipHashKey(r.client)
	key := k[:n]
	if !r.quiet {
		r.note(Step{Kind: StepIPKey, Key: ipHashKeyText(k, n)})
	}
	hash := r.hash
	for {
		for _, b := range key {
			hash = (hash*113 + uint32(b)) % 6271
		}
		p := l.byWeight(int(hash % uint32(l.totalWeight)))
		c := r.check(p, now)
		s := Step{Kind: StepHash, Value: int64(hash), Peer: p.index + 1, Of: len(l.peers), Backup: l.backup}
		if c != CauseNone {
			s = withCause(s, r.skipStep(p, c, now))
			r.note(s)
			r.mtries++
			if r.mtries > maxHashTries {
				r.note(Step{Kind: StepFallback, Value: int64(r.mtries)})
				return u.getRR(r, now)
			}
			continue
		}
		r.note(s)
		p.touch(now)
		r.markTried(p)
		r.hash = hash
		return p
	}
}

// byWeight walks the peers in order, w -= weight, until w < weight: the
// peer owning weight unit w of the list's total.
func (l *list) byWeight(w int) *Peer {
	for _, p := range l.peers {
		if w < p.Weight {
			return p
		}
		w -= p.Weight
	}
	return l.peers[len(l.peers)-1] // not reached: w < totalWeight
}

// withCause copies a skip step's details onto a candidate step.
func withCause(s, skip Step) Step {
	s.Cause, s.Fails, s.MaxFails, s.RetryIn, s.Conns, s.MaxConns =
		skip.Cause, skip.Fails, skip.MaxFails, skip.RetryIn, skip.Conns, skip.MaxConns
	return s
}
