package balance

import (
	"errors"
	"fmt"
	"hash/crc32"
	"net/netip"
	"sync"
	"time"

	"webflow-lab/servers/explain"
)

// ErrNoLive is what Get returns when no peer can take the attempt; nginx
// logs "no live upstreams while connecting to upstream" and answers 502.
var ErrNoLive = errors.New("no live upstreams")

// ErrNotFreed is returned by Get when the request's previous attempt was not
// handed back with Free: nginx always frees a peer before asking for the
// next one, and the per-request bookkeeping depends on it.
var ErrNotFreed = errors.New("balance: previous attempt not freed")

// ErrForeignRequest is returned when a Request is used with an Upstream
// other than the one that made it.
var ErrForeignRequest = errors.New("balance: request belongs to another upstream")

// list is one of nginx's ngx_http_upstream_rr_peers_t: the primaries, or the
// backups.
type list struct {
	peers       []*Peer
	totalWeight int  // sum of weights, down peers included (ip_hash and hash use it)
	tries       int  // peers not marked down
	single      bool // exactly one primary and no backup: no balancing at all
	backup      bool
}

func newList(peers []*Peer, backup bool) list {
	l := list{peers: peers, backup: backup}
	for i, p := range peers {
		p.index = i
		l.totalWeight += p.Weight
		if !p.Down {
			l.tries++
		}
	}
	return l
}

// Upstream is one upstream block's balancer state in one worker.
// It is safe for concurrent use: one mutex stands in for nginx's
// single-threaded worker.
type Upstream struct {
	name    string
	method  Balancer
	now     func() time.Time
	primary list
	backup  *list

	lateMethod bool         // MethodAfterServers
	onChange   func(Change) // OnChange

	// Built once from the primaries, as nginx does at config time.
	ring   []point // hash ... consistent: the ketama continuum
	ranges []int   // random: the first weight unit of each primary

	mu sync.Mutex
}

// An Option changes how NewUpstream builds an Upstream.
type Option func(*Upstream)

// MethodAfterServers tells NewUpstream that the balancing directive came
// after the server lines. nginx checks `backup` against the method only when
// it parses the server line, so in that order ip_hash, hash and random keep
// their backups (nginx -t passes); the backups are then reached only through
// the round-robin fallback.
func MethodAfterServers() Option {
	return func(u *Upstream) { u.lateMethod = true }
}

// OnChange registers f to hear of the state changes a screen must not
// miss: a peer disabled (fails reached max_fails; nginx's "[warn] upstream
// server temporarily disabled") and a peer recovered (a probe after
// fail_timeout succeeded and its failures were forgotten). f runs in the
// goroutine that called Free, after the Upstream's lock is released; it
// must not block for long.
func OnChange(f func(Change)) Option {
	return func(u *Upstream) { u.onChange = f }
}

// Change is one peer state change, with the peer's state after it.
type Change struct {
	Upstream string
	What     ChangeKind
	Peer     PeerState
}

// ChangeKind says what happened to a peer.
type ChangeKind uint8

const (
	PeerDisabled  ChangeKind = iota + 1 // fails reached max_fails
	PeerRecovered                       // a probe succeeded: fails reset to 0
)

// String returns "disabled" or "recovered".
func (k ChangeKind) String() string {
	switch k {
	case PeerDisabled:
		return "disabled"
	case PeerRecovered:
		return "recovered"
	}
	return fmt.Sprintf("ChangeKind(%d)", k)
}

// NewUpstream builds the balancer for `upstream name { ... }` with peers in
// the order of the server lines; method nil means round robin. The peers are
// copied, backups split out in order. It rejects what nginx rejects: no
// primary peer ("no servers in upstream"), and `backup` with ip_hash, hash
// or random.
func NewUpstream(name string, peers []*Peer, method Balancer, opts ...Option) (*Upstream, error) {
	method = normalize(method)
	u := &Upstream{name: name, method: method, now: time.Now}
	for _, o := range opts {
		o(u)
	}
	var prim, back []*Peer
	for i, in := range peers {
		if in == nil {
			return nil, peerError(name, i, "is nil", "是 nil")
		}
		p := &Peer{
			Addr: in.Addr, Name: in.Name, Weight: in.Weight, MaxFails: in.MaxFails,
			FailTimeout: in.FailTimeout, MaxConns: in.MaxConns, Backup: in.Backup, Down: in.Down,
		}
		if p.Name == "" {
			p.Name = p.Addr
		}
		if p.Weight == 0 {
			p.Weight = 1
		}
		switch {
		case p.Addr == "":
			return nil, peerError(name, i, "has no address", "没有地址")
		case p.Weight < 0:
			return nil, peerError(name, i, fmt.Sprintf("has weight=%d", p.Weight), fmt.Sprintf("的 weight=%d 无效", p.Weight))
		case p.MaxFails < 0:
			return nil, peerError(name, i, fmt.Sprintf("has max_fails=%d", p.MaxFails), fmt.Sprintf("的 max_fails=%d 无效", p.MaxFails))
		case p.FailTimeout < 0:
			return nil, peerError(name, i, fmt.Sprintf("has fail_timeout=%s", p.FailTimeout), fmt.Sprintf("的 fail_timeout=%s 无效", p.FailTimeout))
		case p.MaxConns < 0:
			return nil, peerError(name, i, fmt.Sprintf("has max_conns=%d", p.MaxConns), fmt.Sprintf("的 max_conns=%d 无效", p.MaxConns))
		}
		p.failTimeout = int64(p.FailTimeout / time.Second)
		p.effectiveWeight = p.Weight
		if p.Backup {
			if !u.lateMethod && !supportsBackup(method) {
				return nil, &explain.Error{
					What:  explain.T(`balancing method does not support parameter "backup"`, `负载均衡方法不支持参数 "backup"`),
					Where: "upstream " + name,
					Why: explain.T(fmt.Sprintf("%s picks a peer from the client address or a key; it has no notion of a standby server", directiveName(method)),
						fmt.Sprintf("%s 按客户端地址或键选节点，没有备用服务器的概念", directiveName(method))),
					Try: explain.T("remove `backup` from the server line, or use round robin or least_conn",
						"去掉 server 行里的 backup，或改用轮询或 least_conn"),
					Err: ErrBackupNotSupported,
				}
			}
			back = append(back, p)
		} else {
			prim = append(prim, p)
		}
	}
	if len(prim) == 0 {
		return nil, &explain.Error{
			What:  explain.T(fmt.Sprintf("no servers in upstream %q", name), fmt.Sprintf("upstream %q 里没有服务器", name)),
			Where: "upstream " + name,
			Why:   explain.T("an upstream needs at least one server line that is not a backup", "upstream 至少需要一个非 backup 的 server 行"),
			Try:   explain.T("add `server 127.0.0.1:9001;` inside the upstream block", "在 upstream 块里加一行 server 127.0.0.1:9001;"),
			Err:   ErrNoServers,
		}
	}
	u.primary = newList(prim, false)
	if len(back) > 0 {
		b := newList(back, true)
		u.backup = &b
	}
	u.primary.single = len(prim) == 1 && u.backup == nil
	switch m := method.(type) {
	case Hash:
		if m.Consistent {
			u.ring = buildRing(u.primary.peers)
		}
	case Random:
		u.ranges = make([]int, len(prim))
		w := 0
		for i, p := range prim {
			u.ranges[i] = w
			w += p.Weight
		}
	}
	return u, nil
}

// ErrNoServers and ErrBackupNotSupported are the causes of NewUpstream's
// learner-facing errors.
var (
	ErrNoServers          = errors.New("balance: no servers in upstream")
	ErrBackupNotSupported = errors.New("balance: balancing method does not support backup")
	ErrInvalidPeer        = errors.New("balance: invalid peer")
)

func peerError(name string, i int, en, zh string) error {
	return &explain.Error{
		What:  explain.T(fmt.Sprintf("balance: server %d of upstream %q %s", i+1, name, en), fmt.Sprintf("balance: upstream %q 的第 %d 个 server %s", name, i+1, zh)),
		Where: "upstream " + name,
		Err:   ErrInvalidPeer,
	}
}

// SetOnChange registers f as the OnChange option does, on an upstream
// already built: the proxy wires its recorder after compiling a config.
func (u *Upstream) SetOnChange(f func(Change)) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.onChange = f
}

// Name returns the upstream's name.
func (u *Upstream) Name() string { return u.name }

// Method returns the balancing method.
func (u *Upstream) Method() Balancer { return u.method }

// Request is one client request's state across its attempts: which peers
// it has tried (nginx's tried bitmap), whether it moved on to the backups,
// how many attempts are left, and the ip_hash/hash position.
// A Request is used by one goroutine at a time.
type Request struct {
	u       *Upstream
	l       *list
	tried   []uint64
	small   [1]uint64 // tried's storage for up to 64 peers, as nginx's rrp->data
	tries   int
	current *Peer
	client  netip.Addr
	key     string

	// Method state, as in ngx_http_upstream_{ip_hash,hash,random}_peer_data_t.
	hash   uint32 // ip_hash: the running hash; hash: the sum; consistent: the ring index
	rehash uint32 // hash: the try number prefixed to the key
	mtries int    // tries of the method before it falls back to round robin
	crc    uint32 // consistent: crc32 of the key, for the reason

	quiet   bool // no reasons: nobody is watching
	reason  Reason
	scratch []int // storage for the reason's lists
}

// NewRequest starts the balancing state of one client request. client is
// the client address (ip_hash); key is the evaluated `hash` key, e.g. the
// request URI for `hash $request_uri` (other methods ignore it).
//
// An IPv4-mapped IPv6 client hashes all 16 bytes, as nginx does on a
// `listen [::]:80 ipv6only=off` socket; call Unmap first for IPv4.
func (u *Upstream) NewRequest(client netip.Addr, key string) *Request {
	n := len(u.primary.peers)
	if u.backup != nil && len(u.backup.peers) > n {
		n = len(u.backup.peers)
	}
	r := &Request{
		u:      u,
		l:      &u.primary,
		tries:  u.primary.tries,
		client: client,
		key:    key,
	}
	if n <= 64 {
		r.tried = r.small[:]
	} else {
		r.tried = make([]uint64, (n+63)/64)
	}
	if u.backup != nil {
		r.tries += u.backup.tries
	}
	switch m := u.method.(type) {
	case IPHash:
		r.hash = 89
	case Hash:
		if m.Consistent {
			r.crc = crc32.ChecksumIEEE([]byte(key))
			r.hash = findPoint(u.ring, r.crc)
		}
	}
	return r
}

// TriesLeft is how many more attempts the request may make: it starts at
// the number of primary plus backup peers not marked down (capped by
// LimitTries), drops by one with each Free, and drops to 0 after an attempt
// on a single-peer upstream. The proxy stops retrying at 0 (it still makes
// the first attempt, which may end in ErrNoLive).
func (r *Request) TriesLeft() int {
	r.u.mu.Lock()
	defer r.u.mu.Unlock()
	return r.tries
}

// LimitTries caps the attempts at n, as `uwsgi_next_upstream_tries n`
// (and proxy_next_upstream_tries) does; 0 means no limit.
func (r *Request) LimitTries(n int) {
	r.u.mu.Lock()
	defer r.u.mu.Unlock()
	if n > 0 && r.tries > n {
		r.tries = n
	}
}

// Quiet stops the request from recording reasons: Get returns an empty
// why and Reason is empty. The proxy sets it when nobody watches the trace,
// which makes a pick several times cheaper.
func (r *Request) Quiet() {
	r.u.mu.Lock()
	defer r.u.mu.Unlock()
	r.quiet = true
}

// Reason returns the steps of the last Get.
func (r *Request) Reason() Reason {
	r.u.mu.Lock()
	defer r.u.mu.Unlock()
	return r.reason
}

func (r *Request) isTried(p *Peer) bool { return r.tried[p.index/64]&(1<<(p.index%64)) != 0 }
func (r *Request) markTried(p *Peer)    { r.tried[p.index/64] |= 1 << (p.index % 64) }

// check is the availability test every method makes, in nginx's order:
// tried, down, failed, full.
func (r *Request) check(p *Peer, now int64) Cause {
	if r.isTried(p) {
		return CauseTried
	}
	return p.state(now)
}

func (r *Request) skipStep(p *Peer, c Cause, now int64) Step {
	s := Step{Kind: StepSkip, Peer: p.index + 1, Backup: p.Backup, Cause: c}
	switch c {
	case CauseFailed:
		s.Fails, s.MaxFails, s.RetryIn = p.fails, p.MaxFails, p.retryIn(now)
	case CauseFull:
		s.Conns, s.MaxConns = p.conns, p.MaxConns
	}
	return s
}

// ints returns an empty slice with room for n, cut from one allocation
// per Get, for the numbers a step lists.
func (r *Request) ints(n int) []int {
	if cap(r.scratch)-len(r.scratch) < n {
		r.scratch = make([]int, 0, max(8*n, 32))
	}
	s := r.scratch[len(r.scratch) : len(r.scratch) : len(r.scratch)+n]
	r.scratch = r.scratch[:len(r.scratch)+n]
	return s
}

func (r *Request) note(s Step) {
	if !r.quiet {
		r.reason.Steps = append(r.reason.Steps, s)
	}
}

// Get picks the peer for the request's next attempt and takes a connection
// slot on it (conns++), with the reason in English. It returns ErrNoLive
// when nothing is available. Every successful Get must be followed by Free.
func (u *Upstream) Get(r *Request) (p *Peer, why string, err error) {
	if r == nil || r.u != u {
		return nil, "", ErrForeignRequest
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if r.current != nil {
		return nil, "", ErrNotFreed
	}
	r.reason = Reason{} // a Reason handed out earlier keeps its steps
	if !r.quiet {
		r.reason.Steps = make([]Step, 0, 2)
		r.scratch = nil // and its lists
	}
	now := u.now().Unix()
	p = u.method.pick(u, r, now)
	if p == nil {
		r.note(Step{Kind: StepNoLive})
		return nil, r.why(), ErrNoLive
	}
	p.conns++
	r.current = p
	r.reason.Peer, r.reason.Backup = p.index+1, p.Backup
	return p, r.why(), nil
}

func (r *Request) why() string {
	if r.quiet {
		return ""
	}
	return r.reason.String()
}

// Free ends the attempt on p: conns--, and nginx's failure bookkeeping.
// On failure: fails++, accessed = checked = now, effective_weight drops by
// weight/max_fails; disabled reports that fails reached max_fails, when
// nginx logs "[warn] upstream server temporarily disabled". On success the
// failures are forgotten if this pick was a probe (accessed < checked).
// A single-peer upstream keeps no accounting and allows no retry.
//
// failed should be true for error, timeout, invalid_header and for the
// http_5xx/http_429 codes listed in *_next_upstream; never for 403/404.
// Freeing a peer that is not the request's current attempt does nothing.
func (u *Upstream) Free(r *Request, p *Peer, failed bool) (disabled bool) {
	if r == nil || r.u != u || p == nil {
		return false
	}
	u.mu.Lock()
	disabled, change := u.free(r, p, failed)
	u.mu.Unlock()
	if change != 0 {
		u.mu.Lock()
		f := u.onChange
		c := Change{Upstream: u.name, What: change, Peer: p.snapshot(u.now().Unix())}
		u.mu.Unlock()
		if f != nil {
			f(c)
		}
	}
	return disabled
}

func (u *Upstream) free(r *Request, p *Peer, failed bool) (disabled bool, change ChangeKind) {
	if r.current != p {
		return false, 0
	}
	r.current = nil
	if r.l.single {
		// ngx_http_upstream_free_round_robin_peer: a single peer is never
		// marked failed, and pc->tries = 0 ends the retries.
		p.conns--
		r.tries = 0
		return false, 0
	}
	if failed {
		now := u.now().Unix()
		p.fails++
		p.accessed, p.checked = now, now
		if p.MaxFails > 0 {
			p.effectiveWeight -= p.Weight / p.MaxFails
			disabled = p.fails >= p.MaxFails
			if disabled {
				change = PeerDisabled
			}
		}
		if p.effectiveWeight < 0 {
			p.effectiveWeight = 0
		}
	} else if p.accessed < p.checked {
		// The peer was picked as a probe after fail_timeout and answered:
		// it is live again.
		if p.fails > 0 {
			change = PeerRecovered
		}
		p.fails = 0
	}
	p.conns--
	if r.tries > 0 {
		r.tries--
	}
	return disabled, change
}

// Snapshot copies every peer's state, primaries first, then backups.
func (u *Upstream) Snapshot() []PeerState {
	u.mu.Lock()
	defer u.mu.Unlock()
	now := u.now().Unix()
	n := len(u.primary.peers)
	if u.backup != nil {
		n += len(u.backup.peers)
	}
	out := make([]PeerState, 0, n)
	add := func(l *list) {
		for _, p := range l.peers {
			out = append(out, p.snapshot(now))
		}
	}
	add(&u.primary)
	if u.backup != nil {
		add(u.backup)
	}
	return out
}

// Attempts makes one request's attempts the way nginx's upstream module
// does with `*_next_upstream error timeout`: it picks a peer, calls try,
// frees the peer with try's verdict, and moves on while the attempt failed
// and tries are left. It returns the peers tried in order, with their
// reasons; err is ErrNoLive when the last pick found nothing. A test (or a
// lesson check) uses it to predict which instance serves a request.
func (u *Upstream) Attempts(client netip.Addr, key string, try func(p *Peer) (failed bool)) (tried []*Peer, whys []string, err error) {
	r := u.NewRequest(client, key)
	for {
		p, why, err := u.Get(r)
		whys = append(whys, why)
		if err != nil {
			return tried, whys, err
		}
		tried = append(tried, p)
		failed := try(p)
		u.Free(r, p, failed)
		if !failed || r.TriesLeft() == 0 {
			return tried, whys, nil
		}
	}
}
