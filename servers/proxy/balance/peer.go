package balance

import (
	"fmt"
	"time"
	"webflow-lab/servers/proxy/config"
)

// Peer is one `server` line (one resolved address) of an upstream block.
//
// The exported fields are its configuration; NewUpstream copies them, so a
// Peer handed to NewUpstream can be reused for the next reload without
// carrying state over. The runtime fields belong to the Upstream and change
// only under its lock.
type Peer struct {
	Addr        string        // dial address: "127.0.0.1:9001" or "unix:/path"
	Name        string        // the server line's address as written ("hash ... consistent" hashes its host and port)
	Weight      int           // weight=, default 1 (0 is read as 1)
	MaxFails    int           // max_fails=, default 1; 0 disables failure accounting
	FailTimeout time.Duration // fail_timeout=, default 10s; nginx keeps whole seconds
	MaxConns    int           // max_conns=, 0 = unlimited
	Backup      bool          // backup: used only when no primary is available
	Down        bool          // down: never picked

	// Runtime state, mirroring ngx_http_upstream_rr_peer_t.
	index           int   // position in its list (primary or backup)
	failTimeout     int64 // seconds
	currentWeight   int
	effectiveWeight int
	fails           int
	accessed        int64 // time of the last failure (unix seconds)
	checked         int64 // time of the last failure or of the last probe after fail_timeout
	conns           int
}

// NewPeer returns a Peer for addr with nginx's defaults: weight=1
// max_fails=1 fail_timeout=10s.
func NewPeer(addr string) *Peer {
	return &Peer{Addr: addr, Name: addr, Weight: 1, MaxFails: 1, FailTimeout: 10 * time.Second}
}

// Index is the peer's 0-based position among the primaries (or among the
// backups, for a backup peer), in the order of the server lines. The
// reasons number peers from 1.
func (p *Peer) Index() int { return p.index }

// String returns the server line as nginx would accept it (config.Peer's
// String: one writer of the server line).
func (p *Peer) String() string {
	return config.Peer{Name: p.Name, Weight: p.Weight, MaxFails: p.MaxFails, FailTimeout: p.FailTimeout,
		MaxConns: p.MaxConns, Backup: p.Backup, Down: p.Down}.String()
}

// Cause says why a peer cannot take an attempt; down, failed and full are
// tested in that order, as nginx does.
type Cause uint8

const (
	CauseNone     Cause = iota
	CauseTried          // already tried by this request
	CauseDown           // marked down
	CauseFailed         // fails >= max_fails within fail_timeout of the last failure
	CauseFull           // conns >= max_conns
	CauseSameDraw       // random two: the second draw hit the first one again
)

const causeSameDraw = CauseSameDraw

// String names the cause: "tried", "down", "failed", "full", "same draw".
func (c Cause) String() string {
	switch c {
	case CauseNone:
		return "available"
	case CauseTried:
		return "tried"
	case CauseDown:
		return "down"
	case CauseFailed:
		return "failed"
	case CauseFull:
		return "full"
	case CauseSameDraw:
		return "same draw"
	}
	return fmt.Sprintf("Cause(%d)", c)
}

// state is a peer's availability before the per-request tried bitmap:
// down, failed or full. The order of the tests is nginx's.
func (p *Peer) state(now int64) Cause {
	if p.Down {
		return CauseDown
	}
	if p.failed(now) {
		return CauseFailed
	}
	if p.MaxConns > 0 && p.conns >= p.MaxConns {
		return CauseFull
	}
	return CauseNone
}

// failed mirrors nginx's test
//
//	peer->max_fails && peer->fails >= peer->max_fails
//	&& now - peer->checked <= peer->fail_timeout
func (p *Peer) failed(now int64) bool {
	return p.MaxFails > 0 && p.fails >= p.MaxFails && now-p.checked <= p.failTimeout
}

// retryIn is how long a failed peer stays unavailable: it becomes
// available when now - checked > fail_timeout.
func (p *Peer) retryIn(now int64) time.Duration {
	return time.Duration(p.checked+p.failTimeout+1-now) * time.Second
}

// touch is done on every pick: the pick after fail_timeout is the probe,
// and it restarts the window (so a failed probe disables the peer for
// another fail_timeout).
func (p *Peer) touch(now int64) {
	if now-p.checked > p.failTimeout {
		p.checked = now
	}
}

// snapshot copies the peer's state; the caller holds the Upstream's lock.
func (p *Peer) snapshot(now int64) PeerState {
	s := PeerState{
		Index: p.index, Addr: p.Addr, Name: p.Name, Backup: p.Backup,
		Weight: p.Weight, CurrentWeight: p.currentWeight, EffectiveWeight: p.effectiveWeight,
		Fails: p.fails, MaxFails: p.MaxFails, FailTimeout: time.Duration(p.failTimeout) * time.Second,
		Conns: p.conns, MaxConns: p.MaxConns,
	}
	switch p.state(now) {
	case CauseDown:
		s.State = StateDown
	case CauseFailed:
		s.State, s.RetryIn = StateFailed, p.retryIn(now)
	case CauseFull:
		s.State = StateFull
	}
	return s
}

// PeerState is a copy of one peer's configuration and runtime state, for
// the screen.
type PeerState struct {
	Index           int // 0-based among primaries, or among backups
	Addr, Name      string
	Backup          bool
	Weight          int
	CurrentWeight   int
	EffectiveWeight int
	Fails, MaxFails int
	FailTimeout     time.Duration
	Conns, MaxConns int
	State           State
	RetryIn         time.Duration // for StateFailed: time until the next probe is allowed
}

// State is a peer's availability as the next request would see it.
type State uint8

const (
	StateUp     State = iota // can be picked
	StateDown                // `down` in the config
	StateFailed              // max_fails reached within fail_timeout
	StateFull                // max_conns reached
)

var stateNames = [...]struct{ en, zh string }{
	StateUp:     {"up", "正常"},
	StateDown:   {"down", "停用 (down)"},
	StateFailed: {"failed", "失败"},
	StateFull:   {"full", "连接已满"},
}

// String returns "up", "down", "failed" or "full".
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s].en
	}
	return fmt.Sprintf("State(%d)", s)
}

// Chinese returns the state in Simplified Chinese.
func (s State) Chinese() string {
	if int(s) < len(stateNames) {
		return stateNames[s].zh
	}
	return s.String()
}
