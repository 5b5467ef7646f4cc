package upstream

import (
	"errors"
	"net/netip"
)

// ErrNoLive is what a Balancer's Get returns when no peer may be tried:
// nginx logs "no live upstreams" and answers 502.
var ErrNoLive = errors.New("no live upstreams")

// A Group is an upstream{} block (or one literal address) as the engine sees
// it. The balance package's Upstream is adapted to it by the proxy; a
// literal address needs no adapter (Target.Addr).
type Group interface {
	// Name is the block's name, which nginx puts in $upstream_addr and in
	// the error log's upstream field when no peer is live ("http://dead/dead").
	Name() string
	// NewBalancer starts one request's balancing state: nginx's tried bitmap
	// and tries counter, the ip_hash/hash key.
	NewBalancer(client netip.Addr, hashKey string) Balancer
}

// A Balancer is one request's view of a Group, across its retries.
type Balancer interface {
	// Get picks the next peer not yet tried by this request and says why
	// ("round robin: weights 5,1,1 → peer 1"). It returns ErrNoLive (or an
	// error wrapping it) when every peer is down, failed or tried.
	Get() (addr, why string, err error)
	// Free ends the attempt on the peer Get last returned: conns--, and on
	// failure nginx's max_fails bookkeeping. disabled reports that this
	// failure took the peer out for fail_timeout ("upstream server
	// temporarily disabled").
	Free(failed bool) (disabled bool)
	// Tries is how many peers the request may try in all: the group's
	// primary and backup peers, counted as nginx's peer.tries.
	Tries() int
}

// single is the one-peer "group" of a *_pass to a literal address. nginx
// builds a one-peer round robin for it, which ignores max_fails and is never
// "no live" (ngx_http_upstream_create_round_robin_peer, peers->single).
type single struct {
	addr string
	used bool
}

func (s *single) Get() (string, string, error) {
	if s.used {
		return "", "", ErrNoLive
	}
	s.used = true
	return s.addr, "single server " + s.addr, nil
}

func (s *single) Free(bool) bool { return false }
func (s *single) Tries() int     { return 1 }
