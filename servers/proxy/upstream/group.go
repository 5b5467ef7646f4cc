package upstream

import (
	"errors"
	"fmt"
	"net/netip"

	"webflow-lab/servers/proxy/balance"
)

// ErrNoLive is balance.ErrNoLive: no peer may be tried, nginx logs
// "no live upstreams" and answers 502.
var ErrNoLive = balance.ErrNoLive

// peers is one request's view of where to send it, across its retries:
// nginx's peer.get / peer.free pair with the per-request tried bitmap.
type peers interface {
	// get picks the next peer not yet tried and says why. It returns an
	// error wrapping ErrNoLive when every peer is down, failed or tried.
	get() (addr, why string, err error)
	// free ends the attempt on the peer get last returned; disabled reports
	// that this failure took the peer out ("upstream server temporarily disabled").
	free(failed bool) (disabled bool)
	// tries is how many attempts the request may make in all (nginx's peer.tries).
	tries() int
	// whyZH is the last get's reason in Chinese (the screen picks the
	// language); only asked when someone records.
	whyZH() string
}

// grouped is an upstream{} block's balancer.
type grouped struct {
	u   *balance.Upstream
	r   *balance.Request
	cur *balance.Peer
}

// newGrouped starts a request's balancing; quiet (nobody watches the
// trace) skips building the balancer's reasons, which nobody would read.
func newGrouped(u *balance.Upstream, client netip.Addr, key string, quiet bool) *grouped {
	r := u.NewRequest(client, key)
	if quiet {
		r.Quiet()
	}
	return &grouped{u: u, r: r}
}

func (g *grouped) get() (string, string, error) {
	p, why, err := g.u.Get(g.r)
	if err != nil {
		if !errors.Is(err, balance.ErrNoLive) {
			err = fmt.Errorf("%w: %v", ErrNoLive, err)
		}
		return "", why, err
	}
	g.cur = p
	return p.Addr, why, nil
}

func (g *grouped) free(failed bool) bool {
	p := g.cur
	g.cur = nil
	return g.u.Free(g.r, p, failed)
}

func (g *grouped) tries() int { return g.r.TriesLeft() }

func (g *grouped) whyZH() string { return g.r.Reason().Chinese() }

// single is the one peer of a *_pass to a literal address. nginx builds a
// one-peer round robin for it, which ignores max_fails and is never
// "no live" (ngx_http_upstream_create_round_robin_peer, peers->single).
type single struct {
	addr string
	used bool
}

func (s *single) get() (string, string, error) {
	if s.used {
		return "", "", ErrNoLive
	}
	s.used = true
	return s.addr, "single server " + s.addr, nil
}

func (s *single) free(bool) bool { return false }
func (s *single) tries() int     { return 1 }
func (s *single) whyZH() string  { return "只有一个服务器 " + s.addr }
