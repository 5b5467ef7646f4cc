package balance

import (
	"encoding/binary"
	"hash/crc32"
	"slices"
	"strconv"
	"strings"
)

// Hash is `hash key;` or `hash key consistent;`
// (ngx_http_upstream_hash_module). Key is the expression as written
// ("$request_uri"); the proxy evaluates it and passes the value to
// NewRequest. An empty value falls back to round robin.
//
// Without consistent (compatible with Cache::Memcached), try n adds
// (crc32(n as decimal, omitted on the first try, then the key) >> 16) & 0x7fff
// to a running sum, and the sum modulo the total weight (down peers
// included) walks the weights as ip_hash does; 20 misses → round robin.
//
// With consistent (ketama, compatible with Cache::Memcached::Fast), each
// primary gets weight×160 points on a ring of crc32 values, built from
// its server name's host, a zero byte, its port, and the previous point.
// A request takes the first point at or after crc32(key), the next point
// when that server has no available peer; 20 misses → round robin. Removing
// one server moves only the keys that were on its points.
type Hash struct {
	Key        string
	Consistent bool
}

var _ Balancer = Hash{}

func (h Hash) String() string {
	if h.Consistent {
		return "hash " + h.Key + " consistent"
	}
	return "hash " + h.Key
}

func (h Hash) pick(u *Upstream, r *Request, now int64) *Peer {
	l := r.l
	if r.mtries > maxHashTries || l.single || r.key == "" {
		if r.key == "" && !l.single && r.mtries <= maxHashTries {
			r.note(Step{Kind: StepFallback, Key: `empty hash key`})
		}
		return u.getRR(r, now)
	}
	if h.Consistent {
		return u.pickConsistent(r, now)
	}
	r.note(Step{Kind: StepHashKey, Key: r.key})
	var buf [20]byte
	for {
		var crc uint32
		if r.rehash > 0 {
			crc = crc32.Update(crc, crc32.IEEETable, strconv.AppendUint(buf[:0], uint64(r.rehash), 10))
		}
		crc = crc32.Update(crc, crc32.IEEETable, []byte(r.key))
		r.hash += (crc >> 16) & 0x7fff
		r.rehash++
		p := l.byWeight(int(r.hash % uint32(l.totalWeight)))
		s := Step{Kind: StepHash, Value: int64(r.hash), Peer: p.index + 1, Of: len(l.peers), Backup: l.backup}
		if cs := r.check(p, now); cs != CauseNone {
			r.note(withCause(s, r.skipStep(p, cs, now)))
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
		return p
	}
}

// pickConsistent is ngx_http_upstream_get_chash_peer: the server at the
// request's ring point, balanced by smooth weighted round robin among the
// available peers that share that server name.
func (u *Upstream) pickConsistent(r *Request, now int64) *Peer {
	r.note(Step{Kind: StepHashKey, Key: r.key})
	for again := false; ; again = true {
		pt := int(r.hash % uint32(len(u.ring)))
		server := u.ring[pt].server
		var best *Peer
		total := 0
		for _, p := range r.l.peers {
			if r.check(p, now) != CauseNone || p.Name != server {
				continue
			}
			p.currentWeight += p.effectiveWeight
			total += p.effectiveWeight
			if p.effectiveWeight < p.Weight {
				p.effectiveWeight++
			}
			if best == nil || p.currentWeight > best.currentWeight {
				best = p
			}
		}
		s := Step{Kind: StepPoint, Value: int64(r.crc), Of: pt, Key: server, Backup: r.l.backup, Again: again}
		if best != nil {
			s.Peer = best.index + 1
			r.note(s)
			best.currentWeight -= total
			best.touch(now)
			r.markTried(best)
			return best
		}
		r.note(s)
		r.hash++
		r.mtries++
		if r.mtries > maxHashTries {
			r.note(Step{Kind: StepFallback, Value: int64(r.mtries)})
			return u.getRR(r, now)
		}
	}
}

// point is one point of the consistent-hash ring.
type point struct {
	hash   uint32
	server string
}

// buildRing is ngx_http_upstream_init_chash: weight×160 points per peer,
// each crc32(host "\0" port prev) with prev the previous point's hash as 4
// little-endian bytes (0 for the first), sorted, duplicates dropped.
func buildRing(peers []*Peer) []point {
	n := 0
	for _, p := range peers {
		n += p.Weight * 160
	}
	ring := make([]point, 0, n)
	for _, p := range peers {
		host, port := splitServer(p.Name)
		base := crc32.NewIEEE()
		base.Write([]byte(host))
		base.Write([]byte{0})
		base.Write([]byte(port))
		var prev [4]byte
		for range p.Weight * 160 {
			h := crc32.Update(base.Sum32(), crc32.IEEETable, prev[:])
			ring = append(ring, point{hash: h, server: p.Name})
			binary.LittleEndian.PutUint32(prev[:], h)
		}
	}
	// nginx sorts with qsort, which keeps no order among equal hashes;
	// a stable sort keeps the first server's point, a defensible choice
	// for a collision that needs two equal crc32 values.
	slices.SortStableFunc(ring, func(a, b point) int {
		switch {
		case a.hash < b.hash:
			return -1
		case a.hash > b.hash:
			return 1
		}
		return 0
	})
	return slices.CompactFunc(ring, func(a, b point) bool { return a.hash == b.hash })
}

// splitServer splits a server name as nginx's chash does: "unix:/path" is
// all host; otherwise a trailing ":digits" is the port; anything else is
// all host.
func splitServer(name string) (host, port string) {
	if len(name) >= 5 && strings.EqualFold(name[:5], "unix:") {
		return name[5:], ""
	}
	for j := len(name) - 1; j >= 0; j-- {
		c := name[j]
		if c == ':' {
			return name[:j], name[j+1:]
		}
		if c < '0' || c > '9' {
			break
		}
	}
	return name, ""
}

// findPoint returns the index of the first point >= hash, or len(ring),
// which the pick wraps to 0 (ngx_http_upstream_find_chash_point).
func findPoint(ring []point, hash uint32) uint32 {
	i, _ := slices.BinarySearchFunc(ring, hash, func(p point, h uint32) int {
		switch {
		case p.hash < h:
			return -1
		case p.hash > h:
			return 1
		}
		return 0
	})
	return uint32(i)
}
