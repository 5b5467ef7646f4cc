package balance

// RoundRobin is nginx's default method (no directive in the upstream
// block): smooth weighted round robin over the available primaries, then
// over the backups. With weights 5,1,1 it picks A A B A C A A and repeats.
type RoundRobin struct{}

var _ Balancer = RoundRobin{}

func (RoundRobin) String() string { return "round robin" }

func (RoundRobin) pick(u *Upstream, r *Request, now int64) *Peer { return u.getRR(r, now) }

// getRR is ngx_http_upstream_get_round_robin_peer, which every other method
// falls back to: the single-peer shortcut, smooth weighted round robin, and
// the switch to the backups with a fresh tried bitmap.
func (u *Upstream) getRR(r *Request, now int64) *Peer {
	l := r.l
	if l.single {
		// One primary and no backup: no algorithm, no max_fails; only down
		// and max_conns are looked at, and the peer is not marked tried.
		p := l.peers[0]
		if c := p.state(now); c == CauseDown || c == CauseFull {
			r.note(r.skipStep(p, c, now))
			return nil
		}
		r.note(Step{Kind: StepSingle, Peer: 1, Key: p.Name})
		return p
	}
	if p := u.smoothWRR(r, now); p != nil {
		return p
	}
	return u.toBackup(r, now, u.getRR)
}

// toBackup is the "failed:" path of nginx's get functions: when no primary
// is available, the request moves on to the backup list for good, with its
// tried bitmap cleared, and the same get function runs again there.
func (u *Upstream) toBackup(r *Request, now int64, get func(*Request, int64) *Peer) *Peer {
	if r.l.backup || u.backup == nil {
		return nil
	}
	r.l = u.backup
	clear(r.tried)
	r.note(Step{Kind: StepBackup})
	return get(r, now)
}

// smoothWRR is ngx_http_upstream_get_peer: every available peer adds its
// effective_weight to its current_weight (and effective_weight creeps back
// towards weight by one), the largest current_weight wins, ties going to
// the earlier peer, and the winner gives back the total.
func (u *Upstream) smoothWRR(r *Request, now int64) *Peer {
	var best *Peer
	total := 0
	step := Step{Kind: StepWeights, Of: len(r.l.peers), Backup: r.l.backup}
	if !r.quiet {
		n := len(r.l.peers)
		step.Peers, step.Weights, step.Values = r.ints(n), r.ints(n), r.ints(n)
	}
	for _, p := range r.l.peers {
		if c := r.check(p, now); c != CauseNone {
			r.note(r.skipStep(p, c, now))
			continue
		}
		if !r.quiet {
			step.Peers = append(step.Peers, p.index+1)
			step.Weights = append(step.Weights, p.effectiveWeight)
		}
		p.currentWeight += p.effectiveWeight
		total += p.effectiveWeight
		if p.effectiveWeight < p.Weight {
			p.effectiveWeight++
		}
		if !r.quiet {
			step.Values = append(step.Values, p.currentWeight)
		}
		if best == nil || p.currentWeight > best.currentWeight {
			best = p
		}
	}
	if best == nil {
		return nil
	}
	r.markTried(best)
	best.currentWeight -= total
	best.touch(now)
	step.Peer = best.index + 1
	r.note(step)
	return best
}
