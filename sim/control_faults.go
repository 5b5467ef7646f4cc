package sim

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"webflow-lab/servers/ems/sqlite"
	"webflow-lab/servers/explain"
	"webflow-lab/servers/trace"
)

// The controls that break what is outside the servers' configs: the
// database service, a firewall, a slow or failing app.

// StopDB stops the database service: every query fails until StartDB, and
// the EMS answers 500 with its log line — what a stopped MySQL does to a
// Django site (`service mysqld stop`).
func (l *Lab) StopDB(ctx context.Context) (Result, error) { return l.setDB(dbStop) }

// StartDB starts the database service again (`service mysqld start`).
func (l *Lab) StartDB(ctx context.Context) (Result, error) { return l.setDB(dbStart) }

// A dbChange is one way to turn the database service: the state it leaves,
// what it does to each file, and what it says.
type dbChange struct {
	stopped bool
	apply   func(*sqlite.DB) error
	kind    trace.StateKind
	already explain.Error
	event   explain.Text
	did     explain.Text
	eq      string
}

var (
	dbStop = dbChange{stopped: true, apply: (*sqlite.DB).Stop, kind: trace.DBStopped,
		already: explain.Error{What: explain.T("lab: the database is already stopped", "lab: 数据库已经停止"),
			Try: explain.T("start it: db start", "启动它：db start")},
		event: explain.T("database service stopped: queries fail", "数据库服务已停止：查询会失败"),
		did: explain.T("stopped the database service: the EMS's queries fail (500) until it starts",
			"已停止数据库服务：在重新启动前，EMS 的查询都会失败（500）"),
		eq: "service mysqld stop"}
	dbStart = dbChange{stopped: false, apply: (*sqlite.DB).Start, kind: trace.DBStarted,
		already: explain.Error{What: explain.T("lab: the database is already running", "lab: 数据库已在运行"),
			Try: explain.T("stop it first: db stop", "先停止它：db stop")},
		event: explain.T("database service started", "数据库服务已启动"),
		did:   explain.T("started the database service", "已启动数据库服务"),
		eq:    "service mysqld start"}
)

func (l *Lab) setDB(c dbChange) (Result, error) {
	return l.control(func() (Result, error) {
		l.dbMu.Lock()
		if l.dbStopped == c.stopped {
			l.dbMu.Unlock()
			already := c.already
			return Result{}, &already
		}
		l.dbStopped = c.stopped
		var errs []error
		for _, db := range l.dbs {
			errs = append(errs, c.apply(db))
		}
		l.dbMu.Unlock()
		if err := errors.Join(errs...); err != nil {
			return Result{}, err
		}
		l.state(c.kind, "db", c.event)
		return l.done(Result{Did: c.did, Equivalent: c.eq})
	})
}

// DBStatus says whether the database service runs, as `service mysqld
// status` does.
func (l *Lab) DBStatus() (running bool, files []string) {
	s := l.Snapshot()
	return s.DB.State == Running, s.DB.Files
}

// BlockPort blocks a port of the lab as a firewall would: Refuse answers
// every connect with "Connection refused" (iptables REJECT), Drop lets
// packets vanish so the client waits until its own timeout (iptables DROP):
// nginx then logs "upstream timed out … while connecting" and answers 504.
// The rule applies where the lab's proxy connects to its peers.
func (l *Lab) BlockPort(ctx context.Context, port int, mode BlockMode) (Result, error) {
	return l.control(func() (Result, error) {
		if err := l.firewallPort(port); err != nil {
			return Result{}, err
		}
		if mode != Refuse && mode != Drop {
			return Result{}, stateError(explain.T("lab: a block is refuse or drop, not "+string(mode), "lab: 封锁方式只能是 refuse 或 drop，不能是 "+string(mode)),
				explain.Text{}, explain.T("block 9011 refuse, or block 9011 drop", "block 9011 refuse 或 block 9011 drop"), "")
		}
		if b, ok := l.blocked[port]; ok {
			l.points.Disarm(b.rule)
		}
		fault := trace.Refused
		target := "REJECT --reject-with tcp-reset"
		if mode == Drop {
			fault, target = trace.TimedOut, "DROP"
		}
		id := l.points.Arm(trace.Rule{Hop: trace.Connect, Port: port, Action: trace.Fail, Fault: fault})
		l.blocked[port] = blockRule{mode: mode, rule: id}
		p := strconv.Itoa(port)
		l.state(trace.PortBlocked, p, explain.T("firewall: port "+p+" "+string(mode), "防火墙：端口 "+p+" "+string(mode)))
		did := explain.T("the firewall refuses nginx's connections to port "+p, "防火墙拒绝 nginx 到端口 "+p+" 的连接")
		if mode == Drop {
			did = explain.T("the firewall silently drops nginx's packets to port "+p+": nginx waits until uwsgi_connect_timeout", "防火墙静默丢弃 nginx 发往端口 "+p+" 的数据包：nginx 一直等到 uwsgi_connect_timeout 超时")
		}
		return l.done(Result{Did: did, Equivalent: "iptables -A INPUT -p tcp --dport " + p + " -j " + target})
	})
}

// blockedList names the blocked ports, or says there are none.
func blockedList(b map[int]blockRule, none string) string {
	if len(b) == 0 {
		return none
	}
	var ports []int
	for p := range b {
		ports = append(ports, p)
	}
	slices.Sort(ports)
	var out []string
	for _, p := range ports {
		out = append(out, strconv.Itoa(p)+" "+string(b[p].mode))
	}
	return strings.Join(out, ", ")
}

// OpenPort removes a firewall rule.
func (l *Lab) OpenPort(ctx context.Context, port int) (Result, error) {
	return l.control(func() (Result, error) {
		b, ok := l.blocked[port]
		p := strconv.Itoa(port)
		if !ok {
			return Result{}, stateError(explain.T("lab: port "+p+" is not blocked", "lab: 端口 "+p+" 没有被封锁"),
				explain.T("the firewall's rules: "+blockedList(l.blocked, "none"), "防火墙规则："+blockedList(l.blocked, "无")),
				explain.T("status lists the firewall rules", "status 会列出防火墙规则"), "")
		}
		l.points.Disarm(b.rule)
		delete(l.blocked, port)
		l.state(trace.PortOpened, p, explain.T("firewall: port "+p+" open", "防火墙：端口 "+p+" 已开放"))
		return l.done(Result{Did: explain.T("the firewall lets port "+p+" through again", "防火墙重新放行端口 "+p),
			Equivalent: "iptables -D INPUT -p tcp --dport " + p + " -j " + map[BlockMode]string{Refuse: "REJECT --reject-with tcp-reset", Drop: "DROP"}[b.mode]})
	})
}

// firewallPort checks that port is one nginx connects to: an app server's
// socket or http port. The lab's firewall stands where nginx connects to
// its upstreams (the Connect hop); browsers, curl and the stats readers
// connect from outside it. The caller holds l.mu.
func (l *Lab) firewallPort(port int) error {
	var ports []string
	for _, in := range l.instances {
		for _, a := range append(append([]string(nil), in.cfg.Sockets...), in.cfg.HTTP...) {
			i := strings.LastIndex(a, ":")
			if i < 0 {
				continue
			}
			if n, err := strconv.Atoi(a[i+1:]); err == nil {
				if n == port {
					return nil
				}
				ports = append(ports, a[i+1:])
			}
		}
	}
	p := strconv.Itoa(port)
	return stateError(explain.T("lab: port "+p+" is not one nginx connects to", "lab: 端口 "+p+" 不是 nginx 连接的端口"),
		explain.T("the lab's firewall stands between nginx and the app servers, on nginx's connections to "+strings.Join(ports, ", ")+"; browsers and curl connect from outside it",
			"实验的防火墙位于 nginx 与应用服务器之间，作用于 nginx 到 "+strings.Join(ports, ", ")+" 的连接；浏览器和 curl 从外面连接，不经过它"),
		explain.T("block one of those ports (the app servers' sockets: nginx's uwsgi_pass)", "请封锁其中一个端口（应用服务器的 socket：nginx 的 uwsgi_pass）"), "")
}

// SetLatency makes every request at an instance wait d before its app runs
// (0 removes it): a slow instance, for least_conn and for timeouts.
func (l *Lab) SetLatency(ctx context.Context, name string, d time.Duration) (Result, error) {
	return l.control(func() (Result, error) {
		in, err := l.instance(name)
		if err != nil {
			return Result{}, err
		}
		f := l.faultsOf(in.name)
		if f.latencyRule != 0 {
			l.points.Disarm(f.latencyRule)
			f.latencyRule = 0
		}
		f.latency = max(d, 0)
		did := explain.T(name+" answers at its normal speed again", name+" 恢复正常速度")
		if d > 0 {
			f.latencyRule = l.points.Arm(trace.Rule{Hop: trace.WorkerToApp, Instance: in.name, Action: trace.Delay, Delay: d})
			did = explain.T(fmt.Sprintf("every request at %s now waits %s before its app runs", name, d),
				fmt.Sprintf("%s 的每个请求在应用运行前都要等待 %s", name, d))
		}
		l.state(trace.FaultSet, name, did)
		return l.done(Result{Did: did, Equivalent: "tc qdisc add dev lo root netem delay " + d.String() + "  (or a slow query in the app)"})
	})
}

// SetErrors makes one request in every at an instance fail in its app (0
// removes it): uWSGI logs the exception and closes the connection without
// an answer, so nginx answers 502 ("upstream prematurely closed").
func (l *Lab) SetErrors(ctx context.Context, name string, every int) (Result, error) {
	return l.control(func() (Result, error) {
		in, err := l.instance(name)
		if err != nil {
			return Result{}, err
		}
		f := l.faultsOf(in.name)
		if f.errorsRule != 0 {
			l.points.Disarm(f.errorsRule)
			f.errorsRule = 0
		}
		f.every = max(every, 0)
		did := explain.T(name+"'s app no longer fails", name+" 的应用不再出错")
		if every > 0 {
			f.errorsRule = l.points.Arm(trace.Rule{Hop: trace.WorkerToApp, Instance: in.name, Action: trace.Fail, Fault: trace.Reset, Every: every})
			did = explain.T(fmt.Sprintf("one request in %d at %s now fails in its app", every, name),
				fmt.Sprintf("%s 上每 %d 个请求就有一个在应用中出错", name, every))
		}
		l.state(trace.FaultSet, name, did)
		return l.done(Result{Did: did, Equivalent: "raise an exception in the view (a bug in the code)"})
	})
}

func (l *Lab) faultsOf(name string) *instanceFaults {
	f := l.faults[name]
	if f == nil {
		f = &instanceFaults{}
		l.faults[name] = f
	}
	return f
}
