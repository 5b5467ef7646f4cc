// Package balance is one nginx worker's load balancer for an `upstream`
// block: the peer list, each peer's health bookkeeping, and the algorithms
// nginx 1.22 picks with ip_hash, least_conn, hash and random.
//
// In nginx every worker process keeps its own copy of this state
// (current_weight, effective_weight, fails, checked, conns) unless the
// upstream has a `zone`, and a reload starts new workers with fresh state.
// An Upstream is that copy: build a new one on reload.
//
// The proxy asks for a peer once per attempt and reports how the attempt
// ended, as nginx's upstream module calls peer.get and peer.free:
//
//	b, err := balance.ByDirective("least_conn", nil, nil) // "" = round robin
//	p := balance.NewPeer("127.0.0.1:9001")                // a server line, read by config.ParseServer
//	p.Weight = 5
//	up, err := balance.NewUpstream("ems", peers, b)
//
//	r := up.NewRequest(clientAddr, hashKey) // hashKey: the evaluated `hash` key
//	r.LimitTries(nextUpstreamTries)         // uwsgi_next_upstream_tries; 0 = none
//	for {
//		p, why, err := up.Get(r)             // err == ErrNoLive: 502 "no live upstreams"
//		...dial p.Addr, send, read the response head...
//		if up.Free(r, p, failed) {           // true: "upstream server temporarily disabled"
//			...log the warning...
//		}
//		if !failed || r.TriesLeft() == 0 || !retryable { break }
//	}
//
// why is a short English account ("ip_hash 127.0.0 → hash 4040 → peer 3
// of 3"); r.Reason() has the same steps as data, with Chinese(). A request
// nobody watches can call r.Quiet() and skip building them. Snapshot gives
// each peer's weights, fails, connections and state for the screen.
//
// The algorithms follow src/http/ngx_http_upstream_round_robin.c and
// src/http/modules/ngx_http_upstream_{ip_hash,least_conn,hash,random}_module.c
// of nginx 1.22.1 step for step, including their corners: a single peer
// never fails and gets one attempt; backups are used only when no primary
// is available, and then for good; ip_hash counts `down` peers in its total
// weight; the hash methods try 20 more times before falling back to round
// robin; least_conn breaks ties by round robin among the tied peers only.
// The interop tests run real nginx against the same upstream blocks and
// compare every pick.
//
// Left out: the shared-memory `zone` (state is never shared between
// workers), DNS resolution (the caller resolves names: one Peer per
// address), `keepalive` connection caching, and the commercial parameters
// (`resolve`, `route`, `slow_start`, `sticky`, `drain`). Time is whole
// seconds, as nginx's ngx_time() gives it. Random draws come from Go's
// generator, so `random` picks differ from nginx's while following the
// same rules.
//
// Reference: https://nginx.org/en/docs/http/ngx_http_upstream_module.html
package balance
