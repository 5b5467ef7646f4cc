package balance

// LeastConn is `least_conn;` (ngx_http_upstream_least_conn_module): the
// available peer with the fewest active connections for its weight,
// compared by cross-multiplying (conns_a*weight_b < conns_b*weight_a), the
// first in order winning the scan. Peers that tie are balanced by smooth
// weighted round robin among themselves only, so idle backends rotate
// A B C A B C. Connections are counted per worker (per Upstream).
type LeastConn struct{}

var _ Balancer = LeastConn{}

func (LeastConn) String() string { return "least_conn" }

func (m LeastConn) pick(u *Upstream, r *Request, now int64) *Peer {
	l := r.l
	if l.single {
		return u.getRR(r, now)
	}
	var best *Peer
	many := false
	least := Step{Kind: StepLeast, Backup: l.backup}
	if !r.quiet {
		least.Peers, least.Values, least.Weights = r.ints(len(l.peers)), r.ints(len(l.peers)), r.ints(len(l.peers))
	}
	for _, p := range l.peers {
		if c := r.check(p, now); c != CauseNone {
			r.note(r.skipStep(p, c, now))
			continue
		}
		if !r.quiet {
			least.Peers = append(least.Peers, p.index+1)
			least.Values = append(least.Values, p.conns)
			least.Weights = append(least.Weights, p.Weight)
		}
		switch {
		case best == nil || p.conns*best.Weight < best.conns*p.Weight:
			best, many = p, false
		case p.conns*best.Weight == best.conns*p.Weight:
			many = true
		}
	}
	if best == nil {
		return u.toBackup(r, now, func(r *Request, now int64) *Peer { return m.pick(u, r, now) })
	}
	least.Peer = best.index + 1
	total := 0
	if many {
		// Round robin among the tied peers, scanning from best onward.
		tie := Step{Kind: StepTie, Backup: l.backup}
		if !r.quiet {
			tie.Peers, tie.Values = r.ints(len(l.peers)), r.ints(len(l.peers))
		}
		for _, p := range l.peers[best.index:] {
			if r.isTried(p) || p.Down || p.conns*best.Weight != best.conns*p.Weight ||
				p.failed(now) || (p.MaxConns > 0 && p.conns >= p.MaxConns) {
				continue
			}
			p.currentWeight += p.effectiveWeight
			total += p.effectiveWeight
			if p.effectiveWeight < p.Weight {
				p.effectiveWeight++
			}
			if !r.quiet {
				tie.Peers = append(tie.Peers, p.index+1)
				tie.Values = append(tie.Values, p.currentWeight)
			}
			if p.currentWeight > best.currentWeight {
				best = p
			}
		}
		tie.Peer = best.index + 1
		least.Peer = best.index + 1
		r.note(least)
		r.note(tie)
	} else {
		r.note(least)
	}
	best.currentWeight -= total
	best.touch(now)
	r.markTried(best)
	return best
}
