package sim

import (
	"fmt"
	"maps"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"webflow-lab/servers/ems/web"
	"webflow-lab/servers/proxy/balance"
	"webflow-lab/servers/trace"
)

// Watch subscribes to the lab's hop events: every event of the requests it
// follows, in order, and every state change. It follows whole requests:
// under a load it cannot keep up with it skips requests whole and counts
// them (Skipped), so it never shows half of one. buffer is roughly how many
// events may wait (4096 if ≤ 0). The caller must Close it.
//
// Read it with Next, or once a frame with DrainTo after a signal on Wake.
func (l *Lab) Watch(buffer int) *trace.Subscription {
	if buffer <= 0 {
		buffer = 4096
	}
	return l.broker.Subscribe(buffer)
}

// Snapshot returns the deployment as it is now.
//
// It never waits for a control in progress: it reads the state the last
// control left, and the servers' live counters.
func (l *Lab) Snapshot() Snapshot {
	v := l.current()
	s := Snapshot{Taken: time.Now(), Dir: l.dir, Actions: slices.Clone(v.actions), Traffic: l.Traffic()}
	s.Proxy = ProxyState{State: Stopped, ConfFile: l.confFile(), LastError: v.proxyErr}
	byAddr := map[string]string{}
	for i := range v.instances {
		in := &v.instances[i]
		s.Instances = append(s.Instances, instanceState(in, v.faults))
		for _, a := range in.cfg.Sockets {
			byAddr[normalizeAddr(a)] = in.name
		}
	}
	if p := v.proxy; p != nil {
		s.Proxy.State = Running
		s.Proxy.Pidfile = p.PidFile()
		for _, a := range p.Addrs() {
			s.Proxy.Addrs = append(s.Proxy.Addrs, a.String())
		}
		for _, w := range p.Warnings() {
			s.Proxy.Warnings = append(s.Proxy.Warnings, fmt.Sprint(w))
		}
		for _, u := range p.Upstreams() {
			up := Upstream{Name: u.Name, Strategy: u.Method}
			if u.File != "" {
				up.Where = fmt.Sprintf("%s:%d", relTo(l.dir, u.File), u.Line)
			}
			for _, ps := range u.Peers {
				up.Peers = append(up.Peers, peerOf(ps, byAddr))
			}
			s.Upstreams = append(s.Upstreams, up)
		}
	}
	s.DB.State = Running
	l.dbMu.Lock()
	if l.dbStopped {
		s.DB.State = Stopped
	}
	for path := range l.dbs {
		s.DB.Files = append(s.DB.Files, path)
	}
	l.dbMu.Unlock()
	slices.Sort(s.DB.Files)
	for _, in := range s.Instances {
		switch {
		case s.Sessions == "":
			s.Sessions = in.Sessions
		case s.Sessions != in.Sessions:
			s.Sessions = "mixed"
		}
	}
	for port, b := range v.blocked {
		s.Blocked = append(s.Blocked, BlockedPort{Port: port, Mode: b.mode})
	}
	slices.SortFunc(s.Blocked, func(a, b BlockedPort) int { return a.Port - b.Port })
	for _, r := range l.points.Rules() {
		if r.Action == trace.Hold {
			s.Breakpoints = append(s.Breakpoints, Breakpoint{ID: r.ID, Hop: r.Hop, PathPrefix: r.PathPrefix,
				Instance: r.Instance, Hits: r.Hits})
		}
	}
	for _, h := range l.points.Held() {
		s.Held = append(s.Held, Held{ID: h.ID, ReqID: h.Stop.ReqID, Hop: h.Stop.Hop, Method: h.Stop.Method,
			Path: h.Stop.Path, Instance: l.nameOf(h.Stop.Instance, byAddr), Since: h.Since, Deadline: h.Deadline})
	}
	for _, name := range slices.Sorted(maps.Keys(v.faults)) {
		f := v.faults[name]
		if f.latency > 0 || f.every > 0 {
			s.Faults = append(s.Faults, Fault{Instance: name, Latency: f.latency, Every: f.every})
		}
	}
	return s
}

func (l *Lab) nameOf(addr string, byAddr map[string]string) string {
	if n, ok := byAddr[addr]; ok {
		return n
	}
	return addr
}

func instanceState(in *instance, faults map[string]instanceFaults) Instance {
	st := Instance{Name: in.name, Ini: in.ini, Pidfile: in.cfg.Pidfile, State: in.state, LastError: in.lastErr,
		Processes: max(in.cfg.Processes, 1), Threads: max(in.cfg.Threads, 1), ListenQueue: -1}
	if len(in.cfg.Sockets) > 0 {
		st.Socket = in.cfg.Sockets[0]
	}
	if len(in.cfg.HTTP) > 0 {
		st.HTTP = in.cfg.HTTP[0]
	}
	st.Stats = in.cfg.Stats
	env := web.EnvMap(in.cfg.Env)
	st.Database, st.Sessions = env["EMS_DATABASE"], env["EMS_SESSIONS"]
	if st.Sessions == "" {
		st.Sessions = web.SessionsMemory
	}
	if f, ok := faults[in.name]; ok {
		st.Latency, st.ErrorsEvery = f.latency, f.every
	}
	if in.srv != nil && in.state == Running {
		stats := in.srv.Stats()
		st.Requests, st.ListenQueue, st.ListenQueueMax = stats.Requests, stats.ListenQueue, stats.ListenQueueMax
		for _, w := range stats.Workers {
			st.Workers = append(st.Workers, Worker{ID: w.ID, Busy: w.Busy, Threads: w.Cores, Requests: w.Requests, AvgTime: w.AvgTime})
		}
	}
	return st
}

func peerOf(ps balance.PeerState, byAddr map[string]string) Peer {
	p := Peer{Addr: ps.Addr, Instance: byAddr[ps.Addr], Weight: ps.Weight, Backup: ps.Backup,
		Fails: ps.Fails, MaxFails: ps.MaxFails, Conns: ps.Conns, RetryIn: ps.RetryIn}
	switch ps.State {
	case balance.StateDown:
		p.State = PeerDown
	case balance.StateFailed:
		p.State = PeerFailing
	default:
		p.State = PeerUp
		if ps.Backup {
			p.State = PeerBackup
		}
	}
	if p.Instance == "" {
		if host, port, err := net.SplitHostPort(ps.Addr); err == nil && (host == "localhost" || host == "::1") {
			p.Instance = byAddr["127.0.0.1:"+port]
		}
	}
	return p
}

// relTo returns path relative to dir when it is inside it.
func relTo(dir, path string) string {
	if rel, err := filepath.Rel(dir, path); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return path
}
