// Package balance is one nginx worker's load balancer for an `upstream`
// block: the peer list, each peer's health bookkeeping, and the algorithms
// nginx 1.22 chooses between with ip_hash, least_conn, hash and random.
//
// In nginx every worker process keeps its own copy of this state
// (current_weight, effective_weight, fails, checked, conns) unless the
// upstream has a `zone`, and a reload starts new workers with fresh state.
// An Upstream is that copy: build a new one on reload.
//
// The proxy asks for a peer once per attempt and reports how the attempt
// ended, exactly as nginx's upstream module calls peer.get and peer.free:
//
//	r := up.NewRequest(clientAddr, hashKey)
//	for {
//		p, why, err := up.Get(r)      // err == ErrNoLive: 502 "no live upstreams"
//		...dial p.Addr, send, read the response head...
//		disabled := up.Free(r, p, failed)
//		if !failed || r.TriesLeft() == 0 { break }
//	}
//
// The algorithms follow src/http/ngx_http_upstream_round_robin.c and
// src/http/modules/ngx_http_upstream_{ip_hash,least_conn,hash,random}_module.c
// of nginx 1.22.1 step for step, including their odd corners (ip_hash counts
// `down` peers in its total weight; hash tries 20 times before falling back to
// round robin; a single peer never fails). Every pick comes with a Reason that
// says why, in English and Chinese.
//
// Left out: the shared-memory `zone` (state is never shared between
// workers), DNS re-resolution (`resolve`), `keepalive` connection caching,
// `sticky`, `slow_start` and the other commercial parameters. Time is whole
// seconds, as nginx's ngx_time() is: fail_timeout=1500ms is not a thing.
//
// Reference: https://nginx.org/en/docs/http/ngx_http_upstream_module.html
package balance
