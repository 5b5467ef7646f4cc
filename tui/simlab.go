package tui

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"webflow-lab/servers/explain"
	"webflow-lab/servers/trace"
	"webflow-lab/sim"
	"webflow-lab/tui/snap"
)

// SimLab adapts a running *sim.Lab to Lab. It is the one place the TUI
// talks to sim: when sim grows Snapshot, Watch, Do and Commands (API.md),
// this file shrinks to a few lines and nothing else changes.
//
// Today sim offers the controls a learner has on a real box — stop an
// instance, restart it from its ini, reload nginx.conf — and SimLab builds
// the snapshot from the servers' own reports: each instance's Stats (what
// its stats server serves) and the running proxy's Upstreams.
type SimLab struct {
	lab *sim.Lab

	mu      sync.Mutex // held by controls; Snapshot only tries it
	last    snap.Snapshot
	stopped map[string]bool
	dbPath  string
	slots   map[string][2]int // processes, threads last seen per instance
}

// NewSimLab wraps lab.
func NewSimLab(lab *sim.Lab) *SimLab {
	s := &SimLab{lab: lab, stopped: map[string]bool{}, dbPath: filepath.Join(lab.Dir, "db.sqlite3"),
		slots: map[string][2]int{}}
	s.last = s.build()
	return s
}

// Snapshot returns the lab's state, or the last one while a control runs.
func (s *SimLab) Snapshot() snap.Snapshot {
	if !s.mu.TryLock() {
		return s.last
	}
	defer s.mu.Unlock()
	s.last = s.build()
	return s.last
}

// Watch subscribes to the lab's broker.
func (s *SimLab) Watch(buffer int) Watcher { return subscription{s.lab.Events.Subscribe(buffer)} }

type subscription struct{ *trace.Subscription }

func (w subscription) Next(ctx context.Context) (trace.Event, error) { return w.Subscription.Next(ctx) }

func (s *SimLab) build() snap.Snapshot {
	l := s.lab
	out := snap.Snapshot{Dir: l.Dir, URL: l.URL(), DB: snap.DB{Path: s.dbPath, Up: true}}
	for _, n := range l.Notes {
		out.Notes = append(out.Notes, explain.T(n, ""))
	}
	if l.Proxy != nil {
		for _, a := range l.Proxy.Addrs() {
			out.Proxy.Addrs = append(out.Proxy.Addrs, a.String())
		}
		out.Proxy.Running = true
		out.Proxy.ConfFile = filepath.Join(l.Dir, "nginx.conf")
	}
	for _, srv := range l.Instances {
		name := srv.Name()
		in := snap.Instance{Name: name, Ini: filepath.Join(l.Dir, name+".ini"), ListenQueue: -1,
			Pidfile: filepath.Join(l.Dir, name+".pid"), State: snap.Running}
		if s.stopped[name] {
			in.State = snap.Stopped
		}
		for kind, addrs := range srv.Addrs() {
			if len(addrs) == 0 {
				continue
			}
			switch kind {
			case "socket":
				in.Socket = addrs[0].String()
			case "http":
				in.HTTP = addrs[0].String()
			case "stats":
				in.Stats = addrs[0].String()
			}
		}
		if in.State == snap.Running {
			st := srv.Stats()
			in.ListenQueue = st.ListenQueue
			in.Requests = st.Requests
			in.Processes = len(st.Workers)
			for _, w := range st.Workers {
				in.Threads = max(in.Threads, w.Cores)
				in.Workers = append(in.Workers, snap.Worker{ID: w.ID, Busy: w.Busy > 0,
					Requests: w.Requests, AvgTime: w.AvgTime})
			}
		}
		if in.Processes > 0 {
			s.slots[name] = [2]int{in.Processes, in.Threads}
		} else if sl, ok := s.slots[name]; ok {
			in.Processes, in.Threads = sl[0], sl[1]
		}
		out.Instances = append(out.Instances, in)
	}
	// the running proxy's upstreams, peers named by the instance at their address
	if l.Proxy != nil {
		for _, u := range l.Proxy.Upstreams() {
			up := snap.Upstream{Name: u.Name, Strategy: u.Method, Where: fmt.Sprintf("%s:%d", u.File, u.Line)}
			for _, p := range u.Peers {
				peer := snap.Peer{Addr: p.Addr, Weight: p.Weight, Backup: p.Backup, State: p.State.String(),
					Fails: int64(p.Fails)}
				if name := out.InstanceByAddr(p.Addr); name != p.Addr {
					peer.Instance = name
				}
				up.Peers = append(up.Peers, peer)
			}
			out.Upstreams = append(out.Upstreams, up)
		}
	}
	return out
}

// Commands lists what Do knows today.
func (s *SimLab) Commands() []snap.Command {
	return []snap.Command{
		{Name: "stop", Args: "INSTANCE", Summary: explain.T("stop an app server, as uwsgi --stop does", "停止一个应用服务器，如同 uwsgi --stop")},
		{Name: "start", Args: "INSTANCE", Summary: explain.T("start an app server again from its ini file", "按 ini 配置文件重新启动应用服务器")},
		{Name: "restart", Args: "INSTANCE", Summary: explain.T("restart an app server from its ini file (after an edit)", "按 ini 配置文件重启应用服务器（修改之后）")},
		{Name: "reload", Args: "", Summary: explain.T("read nginx.conf again, as nginx -s reload", "重新加载 nginx.conf，如同 nginx -s reload")},
		{Name: "reload-all", Args: "", Summary: explain.T("reload nginx.conf and restart every app server (what a reload signal does)", "重新加载 nginx.conf 并重启所有应用服务器（收到重新加载信号时的行为）")},
	}
}

// ErrNotYet is the answer to a control the lab runtime does not offer yet.
var ErrNotYet = errors.New("tui: control not offered by this lab yet")

// Do runs one control.
func (s *SimLab) Do(ctx context.Context, command string) (snap.Result, error) {
	f := strings.Fields(command)
	if len(f) == 0 {
		return snap.Result{}, &explain.Error{What: explain.T("lab: empty command", "lab: 命令为空")}
	}
	s.mu.Lock()
	defer func() {
		s.last = s.build()
		s.mu.Unlock()
	}()
	arg := ""
	if len(f) > 1 {
		arg = f[1]
	}
	switch f[0] {
	case "reload-all":
		// what a reload signal to any of the lab's pid files does (serve
		// does the same): nginx.conf read again, every instance restarted
		if err := s.lab.Reload(ctx); err != nil {
			return snap.Result{}, err
		}
		clear(s.stopped)
		return snap.Result{Did: explain.T("reloaded nginx.conf and restarted every app server",
			"已重新加载 nginx.conf 并重启所有应用服务器"), Equivalent: "nginx -s reload; uwsgi --reload uwsgi-N.pid"}, nil
	case "reload":
		if err := s.lab.ReloadProxy(); err != nil {
			return snap.Result{}, err
		}
		return snap.Result{Did: explain.T("reloaded nginx.conf", "已重新加载 nginx.conf"),
			Equivalent: "nginx -s reload"}, nil
	case "stop", "start", "restart":
		i, err := s.instance(arg)
		if err != nil {
			return snap.Result{}, err
		}
		name := s.lab.Instances[i].Name()
		if f[0] == "stop" {
			if s.stopped[name] {
				return snap.Result{Did: explain.T(name+" is already stopped", name+" 已经停止")}, nil
			}
			if err := s.lab.Instances[i].Shutdown(ctx); err != nil {
				return snap.Result{}, err
			}
			s.stopped[name] = true
			return snap.Result{Did: explain.T("stopped "+name, "已停止 "+name),
				Equivalent: "uwsgi --stop " + name + ".pid"}, nil
		}
		if err := s.lab.RestartInstance(ctx, i); err != nil {
			s.stopped[name] = true
			return snap.Result{}, err
		}
		delete(s.stopped, name)
		return snap.Result{Did: explain.T("started "+name, "已启动 "+name),
			Equivalent: "uwsgi --ini " + name + ".ini"}, nil
	}
	return snap.Result{}, &explain.Error{
		What: explain.T(fmt.Sprintf("lab: %q is not a control of this lab yet", f[0]),
			fmt.Sprintf("lab: 这个实验环境还没有 %q 控制", f[0])),
		Try: explain.T("type : and press tab to list the controls", "输入 : 后按 tab 查看可用的控制"),
		Err: ErrNotYet}
}

func (s *SimLab) instance(name string) (int, error) {
	var names []string
	for i, srv := range s.lab.Instances {
		if srv.Name() == name {
			return i, nil
		}
		names = append(names, srv.Name())
	}
	return 0, &explain.Error{
		What: explain.T(fmt.Sprintf("lab: no instance %q", name), fmt.Sprintf("lab: 没有实例 %q", name)),
		Try:  explain.T("one of: "+strings.Join(names, ", "), "可选："+strings.Join(names, "、"))}
}

// PortBusy reports whether err is a port already in use (a second lab, or
// another program, on the workspace's ports).
func PortBusy(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && strings.Contains(op.Err.Error(), "address already in use") ||
		err != nil && strings.Contains(err.Error(), "Address already in use")
}

var _ Lab = (*SimLab)(nil)

// logsDir is where the lab's logs are, given a snapshot.
func logsDir(s snap.Snapshot) string {
	if s.Dir == "" {
		d, _ := os.Getwd()
		return filepath.Join(d, "logs")
	}
	return filepath.Join(s.Dir, "logs")
}
