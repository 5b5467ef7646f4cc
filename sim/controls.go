package sim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"webflow-lab/servers/explain"
	"webflow-lab/servers/trace"
	"webflow-lab/servers/uwsgi"
	"webflow-lab/servers/uwsgi/ini"
)

// A Result is what a control did, in both languages, and the command or
// config line that does the same on real servers: the lab teaches the real
// vocabulary as it goes.
type Result struct {
	At         time.Time
	Did        explain.Text
	Equivalent string // "uwsgi --stop uwsgi-1.pid", "service mysqld stop", "iptables -A INPUT …"
	Diff       string // a config edit, as a unified diff
	Output     string // what the real server printed, when that is the point (a refused start)
}

// maxActions is how many results the action log keeps.
const maxActions = 50

// done logs r in the action log, with a state event, and returns it. The
// caller holds l.mu.
func (l *Lab) done(r Result) (Result, error) {
	r.At = time.Now()
	l.actions = append(l.actions, r)
	if len(l.actions) > maxActions {
		l.actions = append(l.actions[:0], l.actions[len(l.actions)-maxActions:]...)
	}
	return r, nil
}

// state records a typed state event (always delivered to watchers).
func (l *Lab) state(kind trace.StateKind, subject string, why explain.Text) {
	l.rec.Record(trace.Event{Phase: trace.Info, At: trace.Now(), State: true, Kind: kind, Subject: subject,
		Instance: subject, Why: why.EN, WhyZH: why.ZH})
}

// control runs f with the lab locked, refusing once the lab has stopped.
func (l *Lab) control(f func() (Result, error)) (Result, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return Result{}, &explain.Error{What: explain.T("lab: the lab has stopped", "lab: 实验已经停止"),
			Try: explain.T("start it again: webflow-lab", "重新启动：webflow-lab")}
	}
	defer l.publish()
	return f()
}

func (l *Lab) rel(path string) string { return relTo(l.dir, path) }

func stateError(what, why, try explain.Text, where string) error {
	return &explain.Error{What: what, Why: why, Try: try, Where: where}
}

// StopInstance stops an instance gracefully, as `uwsgi --stop pidfile`
// (SIGINT) does: it stops accepting, finishes its in-flight requests, and
// vacuum removes its pidfile. The proxy's next requests for it are refused
// and go to another peer.
func (l *Lab) StopInstance(ctx context.Context, name string) (Result, error) {
	return l.control(func() (Result, error) {
		in, err := l.instance(name)
		if err != nil {
			return Result{}, err
		}
		if in.state != Running {
			return Result{}, notRunning(in)
		}
		err = in.srv.Shutdown(ctx)
		in.state = Stopped
		if err != nil {
			return Result{}, err
		}
		return l.done(Result{Did: explain.T("stopped "+name+" gracefully: it finished its requests in flight, then closed its sockets",
			"已平滑停止 "+name+"：先处理完正在进行的请求，再关闭端口"), Equivalent: "uwsgi --stop " + l.pidOrIni(in)})
	})
}

// KillInstance kills an instance as `kill -9` on uWSGI's master does: the
// requests it is serving get their connections reset, and its pidfile is
// left behind, stale.
func (l *Lab) KillInstance(ctx context.Context, name string) (Result, error) {
	return l.control(func() (Result, error) {
		in, err := l.instance(name)
		if err != nil {
			return Result{}, err
		}
		if in.state != Running {
			return Result{}, notRunning(in)
		}
		err = in.srv.Kill()
		in.state = Killed
		if err != nil {
			return Result{}, err
		}
		eq := "kill -9 <master pid>"
		if in.cfg.Pidfile != "" {
			eq = "kill -9 $(cat " + l.rel(in.cfg.Pidfile) + ")"
		}
		return l.done(Result{Did: explain.T("killed "+name+": its connections in service were reset; its pidfile is stale",
			"已强制杀死 "+name+"：正在处理的连接被重置，pid 文件残留"), Equivalent: eq})
	})
}

// StartInstance starts a stopped, killed or failed instance from its ini
// file as it is now, as `uwsgi --ini uwsgi-1.ini` does.
func (l *Lab) StartInstance(ctx context.Context, name string) (Result, error) {
	return l.control(func() (Result, error) {
		in, err := l.instance(name)
		if err != nil {
			return Result{}, err
		}
		if in.state == Running {
			return Result{}, stateError(explain.T("lab: "+name+" is already running", "lab: "+name+" 已在运行"),
				explain.T("a second copy would find its ports busy", "再启动一份会发现端口已被占用"),
				explain.T("stop it first, or use `duplicate "+name+"` to see that error on purpose",
					"先停止它；或用 `duplicate "+name+"` 故意看看这个错误"), l.rel(in.ini))
		}
		return l.startResult(in, "started "+name+" from "+l.rel(in.ini), "已从 "+l.rel(in.ini)+" 启动 "+name,
			"uwsgi --ini "+l.rel(in.ini))
	})
}

// startResult starts in and reports it, with the notes its ini produced.
// The caller holds l.mu.
func (l *Lab) startResult(in *instance, en, zh, eq string) (Result, error) {
	if err := l.startInstance(in); err != nil {
		return Result{}, err
	}
	l.renameInstances()
	var notes []string
	if c, err := ini.LoadFile(in.ini); err == nil {
		for _, n := range c.Notes {
			notes = append(notes, n.Error())
		}
	}
	return l.done(Result{Did: explain.T(en, zh), Equivalent: eq, Output: strings.Join(notes, "\n")})
}

// ReloadInstance restarts an instance from its ini file as it is now, as
// `uwsgi --reload pidfile` (SIGHUP) does after an edit: requests in flight
// finish first, and the ini's notes are printed and logged again, as a
// fresh start prints them.
func (l *Lab) ReloadInstance(ctx context.Context, name string) (Result, error) {
	return l.control(func() (Result, error) {
		in, err := l.instance(name)
		if err != nil {
			return Result{}, err
		}
		if in.state != Running {
			return Result{}, notRunning(in)
		}
		if err := in.srv.Shutdown(ctx); err != nil {
			return Result{}, err
		}
		in.state = Stopped
		return l.startResult(in, "reloaded "+name+" from "+l.rel(in.ini), "已按 "+l.rel(in.ini)+" 重新加载 "+name,
			"uwsgi --reload "+l.pidOrIni(in))
	})
}

func (l *Lab) pidOrIni(in *instance) string {
	if in.cfg.Pidfile != "" {
		return l.rel(in.cfg.Pidfile)
	}
	return l.rel(in.ini)
}

func notRunning(in *instance) error {
	return stateError(explain.T("lab: "+in.name+" is not running ("+string(in.state)+")", "lab: "+in.name+" 没有在运行（"+zhState(in.state)+"）"),
		explain.Text{}, explain.T("start it: start "+in.name, "先启动它：start "+in.name), in.ini)
}

func zhState(s RunState) string {
	switch s {
	case Running:
		return "运行中"
	case Stopped:
		return "已停止"
	case Killed:
		return "已被杀死"
	case Failed:
		return "启动失败"
	}
	return string(s)
}

// ReloadProxy reads nginx.conf again and applies it, as `nginx -s reload`
// does: a broken config is refused (nginx's [emerg] line goes to error.log
// and the error names file and line) and the old one keeps serving.
func (l *Lab) ReloadProxy(ctx context.Context) (Result, error) {
	return l.control(func() (Result, error) { return l.reloadProxy("") })
}

// reloadProxy reloads the proxy; the caller holds l.mu.
func (l *Lab) reloadProxy(diff string) (Result, error) {
	if l.proxy == nil {
		return Result{}, errors.New("lab: the proxy is not running")
	}
	if err := l.proxy.ReloadFile(l.confFile()); err != nil {
		var e *explain.Error
		if !errors.As(err, &e) {
			e = &explain.Error{What: explain.T(err.Error(), err.Error()), Err: err}
		}
		l.proxyErr = e
		return Result{}, err
	}
	l.proxyErr = nil
	return l.done(Result{Did: explain.T("reloaded nginx.conf: new requests use the new config", "已重新加载 nginx.conf：新的请求按新配置处理"),
		Equivalent: "nginx -s reload", Diff: diff})
}

// editAndReload writes edits, reloads the proxy and, when the reload
// refuses them, puts the files back: a control changes nothing when it
// fails. The caller holds l.mu.
func (l *Lab) editAndReload(did explain.Text, eq string, edits ...fileEdit) (Result, error) {
	var diff strings.Builder
	for _, e := range edits {
		if e.old == e.new {
			continue
		}
		diff.WriteString(e.diff(l.dir))
		if err := e.write(); err != nil {
			return Result{}, err
		}
	}
	if diff.Len() == 0 {
		return l.done(Result{Did: explain.T("nothing to change: "+did.EN, "无需修改："+did.ZH), Equivalent: eq})
	}
	if _, err := l.reloadProxy(diff.String()); err != nil {
		for _, e := range edits {
			e.undo()
		}
		l.reloadProxy("")
		return Result{}, err
	}
	l.actions = l.actions[:len(l.actions)-1] // the reload is part of this action
	return l.done(Result{Did: did, Equivalent: eq, Diff: diff.String()})
}

// SetStrategy switches an upstream block's balancing strategy by editing
// the learner's config file ("" names the only upstream block) and
// reloading. strategy is what a learner says: "round-robin", "ip_hash",
// "least_conn", "random", "hash $request_uri consistent", "weight 3,1".
func (l *Lab) SetStrategy(ctx context.Context, upstream, strategy string) (Result, error) {
	return l.control(func() (Result, error) {
		method, weights, err := strategyLines(strings.Fields(strategy))
		if err != nil {
			return Result{}, err
		}
		u, err := findUpstream(l.confFile(), upstream)
		if err != nil {
			return Result{}, err
		}
		edit, err := setStrategy(u, method, weights)
		if err != nil {
			return Result{}, err
		}
		line := strings.TrimSuffix(method, ";")
		if line == "" {
			line = "round robin (no method line)"
			if weights != nil {
				line = "weight=" + strings.Join(weights, ",")
			}
		}
		return l.editAndReload(explain.T("upstream "+u.Args[0]+" now balances by "+line,
			"upstream "+u.Args[0]+" 现在的负载均衡方式："+line),
			fmt.Sprintf("edit %s:%d, then nginx -s reload", l.rel(u.File), u.Line), edit)
	})
}

// BreakStatic breaks the static path the way the course's trap does:
// `alias static/` loses its trailing slash, so /static/ems/css/style.css is
// looked for at static + "ems/css/style.css" = staticems/…: a 404 with
// nginx's open() line in error.log, and pages without their CSS.
func (l *Lab) BreakStatic(ctx context.Context) (Result, error) {
	return l.control(func() (Result, error) { return l.static(true) })
}

// FixStatic puts the trailing slash back.
func (l *Lab) FixStatic(ctx context.Context) (Result, error) {
	return l.control(func() (Result, error) { return l.static(false) })
}

func (l *Lab) static(breakIt bool) (Result, error) {
	d, err := findStaticAlias(l.confFile())
	if err != nil {
		return Result{}, err
	}
	path := d.Args[0]
	var edit fileEdit
	switch {
	case breakIt && strings.HasSuffix(path, "/"):
		edit, err = replaceArg(d, path, strings.TrimSuffix(path, "/"))
	case !breakIt && !strings.HasSuffix(path, "/") && d.Name == "alias":
		edit, err = replaceArg(d, path, path+"/")
	default:
		return l.done(Result{Did: explain.T("the static path is already "+map[bool]string{true: "broken", false: "fixed"}[breakIt],
			"静态路径已经是"+map[bool]string{true: "坏的", false: "好的"}[breakIt]+"状态")})
	}
	if err != nil {
		return Result{}, err
	}
	did := explain.T("`alias "+path+"` lost its trailing slash: /static/x.css is looked for at "+strings.TrimSuffix(path, "/")+"x.css",
		"`alias "+path+"` 去掉了结尾的斜杠：/static/x.css 会去找 "+strings.TrimSuffix(path, "/")+"x.css")
	if !breakIt {
		did = explain.T("`alias "+path+"/` has its trailing slash again, like its location", "`alias "+path+"/` 恢复了结尾的斜杠，与 location 一致")
	}
	return l.editAndReload(did, fmt.Sprintf("edit %s:%d, then nginx -s reload", l.rel(d.File), d.Line), edit)
}

// StopDB stops the database service: every query fails until StartDB, and
// the EMS answers 500 with its log line — what a stopped MySQL does to a
// Django site (`service mysqld stop`).
func (l *Lab) StopDB(ctx context.Context) (Result, error) {
	return l.control(func() (Result, error) {
		l.dbMu.Lock()
		was := l.dbStopped
		l.dbStopped = true
		var errs []error
		for _, db := range l.dbs {
			errs = append(errs, db.Stop())
		}
		l.dbMu.Unlock()
		if was {
			return Result{}, stateError(explain.T("lab: the database is already stopped", "lab: 数据库已经停止"), explain.Text{},
				explain.T("start it: db start", "启动它：db start"), "")
		}
		if err := errors.Join(errs...); err != nil {
			return Result{}, err
		}
		l.state(trace.DBStopped, "db", explain.T("database service stopped: queries fail", "数据库服务已停止：查询会失败"))
		return l.done(Result{Did: explain.T("stopped the database service: the EMS's queries fail (500) until it starts",
			"已停止数据库服务：在重新启动前，EMS 的查询都会失败（500）"), Equivalent: "service mysqld stop"})
	})
}

// StartDB starts the database service again.
func (l *Lab) StartDB(ctx context.Context) (Result, error) {
	return l.control(func() (Result, error) {
		l.dbMu.Lock()
		was := l.dbStopped
		l.dbStopped = false
		var errs []error
		for _, db := range l.dbs {
			errs = append(errs, db.Start())
		}
		l.dbMu.Unlock()
		if !was {
			return Result{}, stateError(explain.T("lab: the database is already running", "lab: 数据库已在运行"), explain.Text{},
				explain.T("stop it first: db stop", "先停止它：db stop"), "")
		}
		if err := errors.Join(errs...); err != nil {
			return Result{}, err
		}
		l.state(trace.DBStarted, "db", explain.T("database service started", "数据库服务已启动"))
		return l.done(Result{Did: explain.T("started the database service", "已启动数据库服务"), Equivalent: "service mysqld start"})
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
		if err := l.labPort(port); err != nil {
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
		did := explain.T("the firewall refuses connections to port "+p, "防火墙拒绝连接端口 "+p)
		if mode == Drop {
			did = explain.T("the firewall silently drops packets to port "+p+": clients wait until they time out", "防火墙静默丢弃发往端口 "+p+" 的数据包：客户端会一直等到超时")
		}
		return l.done(Result{Did: did, Equivalent: "iptables -A INPUT -p tcp --dport " + p + " -j " + target})
	})
}

// OpenPort removes a firewall rule.
func (l *Lab) OpenPort(ctx context.Context, port int) (Result, error) {
	return l.control(func() (Result, error) {
		b, ok := l.blocked[port]
		p := strconv.Itoa(port)
		if !ok {
			return Result{}, stateError(explain.T("lab: port "+p+" is not blocked", "lab: 端口 "+p+" 没有被封锁"), explain.Text{}, explain.Text{}, "")
		}
		l.points.Disarm(b.rule)
		delete(l.blocked, port)
		l.state(trace.PortOpened, p, explain.T("firewall: port "+p+" open", "防火墙：端口 "+p+" 已开放"))
		return l.done(Result{Did: explain.T("the firewall lets port "+p+" through again", "防火墙重新放行端口 "+p),
			Equivalent: "iptables -D INPUT -p tcp --dport " + p + " -j " + map[BlockMode]string{Refuse: "REJECT --reject-with tcp-reset", Drop: "DROP"}[b.mode]})
	})
}

// labPort checks that port is one the lab's servers use. The caller holds l.mu.
func (l *Lab) labPort(port int) error {
	var ports []string
	for _, u := range l.portList() {
		if u == port {
			return nil
		}
		ports = append(ports, strconv.Itoa(u))
	}
	p := strconv.Itoa(port)
	return stateError(explain.T("lab: port "+p+" is not one of the lab's", "lab: 端口 "+p+" 不属于本实验"),
		explain.T("the lab's servers use "+strings.Join(ports, ", "), "实验的服务器使用端口 "+strings.Join(ports, ", ")),
		explain.T("block one of those ports", "请封锁其中一个端口"), "")
}

func (l *Lab) portList() []int {
	var out []int
	add := func(addr string) {
		if i := strings.LastIndex(addr, ":"); i >= 0 {
			if n, err := strconv.Atoi(addr[i+1:]); err == nil {
				out = append(out, n)
			}
		}
	}
	if l.proxy != nil {
		for _, a := range l.proxy.Addrs() {
			add(a.String())
		}
	}
	for _, in := range l.instances {
		for _, a := range in.cfg.Sockets {
			add(a)
		}
		for _, a := range in.cfg.HTTP {
			add(a)
		}
		if in.cfg.Stats != "" {
			add(in.cfg.Stats)
		}
	}
	return out
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

// SeparateDBs gives each instance its own database file (db-2.sqlite3, …)
// or puts them all back on the first instance's, by editing each ini's
// `env = EMS_DATABASE=` and restarting the instance: the course's
// "register on one instance, log in on the other" failure.
func (l *Lab) SeparateDBs(ctx context.Context, separate bool) (Result, error) {
	return l.control(func() (Result, error) {
		if len(l.instances) == 0 {
			return Result{}, errors.New("lab: no instances")
		}
		shared := iniEnv(l.instances[0], "EMS_DATABASE")
		if shared == "" {
			shared = filepath.Join(l.dir, "db.sqlite3")
		}
		var edits []fileEdit
		for i, in := range l.instances[1:] {
			want := shared
			if separate {
				ext := filepath.Ext(shared)
				want = strings.TrimSuffix(shared, ext) + "-" + strconv.Itoa(i+2) + ext
			}
			e, err := setIniEnv(in.ini, "EMS_DATABASE", want)
			if err != nil {
				return Result{}, err
			}
			edits = append(edits, e)
		}
		did := explain.T("every instance uses "+l.rel(shared)+" again", "所有实例重新使用同一个数据库 "+l.rel(shared))
		if separate {
			did = explain.T("each instance has its own database file: a user registered on one is unknown to the others",
				"每个实例使用自己的数据库文件：在一个实例上注册的用户，其他实例不认识")
		}
		return l.editAndRestart(ctx, did, "edit env = EMS_DATABASE in each ini, then uwsgi --reload", edits, l.instances[1:])
	})
}

// SharedSessions puts the EMS's sessions in the shared database
// (EMS_SESSIONS=db, Django's database backend) or in each instance's memory
// (EMS_SESSIONS=memory): then a captcha drawn by one instance is unknown to
// the other, and round robin makes logins fail.
func (l *Lab) SharedSessions(ctx context.Context, shared bool) (Result, error) {
	return l.control(func() (Result, error) {
		v := "memory"
		did := explain.T("each instance keeps its own sessions in memory: a captcha drawn by one is unknown to the others",
			"每个实例在自己的内存中保存会话：一个实例生成的验证码，其他实例不知道")
		if shared {
			v = "db"
			did = explain.T("sessions live in the shared database: every instance sees every session", "会话保存在共享数据库中：每个实例都能看到所有会话")
		}
		var edits []fileEdit
		for _, in := range l.instances {
			e, err := setIniEnv(in.ini, "EMS_SESSIONS", v)
			if err != nil {
				return Result{}, err
			}
			edits = append(edits, e)
		}
		return l.editAndRestart(ctx, did, "edit env = EMS_SESSIONS="+v+" in each ini (Django: SESSION_ENGINE), then uwsgi --reload", edits, l.instances)
	})
}

// editAndRestart writes edits to ini files and restarts the instances that
// run, putting the files back when a restart fails. The caller holds l.mu.
func (l *Lab) editAndRestart(ctx context.Context, did explain.Text, eq string, edits []fileEdit, ins []*instance) (Result, error) {
	var diff strings.Builder
	for _, e := range edits {
		if e.old != e.new {
			diff.WriteString(e.diff(l.dir))
			if err := e.write(); err != nil {
				return Result{}, err
			}
		}
	}
	for _, in := range ins {
		if in.state != Running {
			continue
		}
		if err := in.srv.Shutdown(ctx); err != nil {
			return Result{}, err
		}
		in.state = Stopped
		if err := l.startInstance(in); err != nil {
			for _, e := range edits {
				e.undo()
			}
			l.startInstance(in)
			return Result{}, err
		}
	}
	l.renameInstances()
	return l.done(Result{Did: did, Equivalent: eq, Diff: diff.String()})
}

func iniEnv(in *instance, key string) string {
	for _, e := range in.cfg.Env {
		if k, v, ok := strings.Cut(e, "="); ok && k == key {
			return v
		}
	}
	return ""
}

// StartDuplicate starts a second copy of an instance from the same ini
// file, as a learner who runs `uwsgi --ini uwsgi-1.ini` twice does. The
// copy finds its ports busy and stops with uWSGI's own lines, which the
// result's Output carries; the running instance is not touched.
func (l *Lab) StartDuplicate(ctx context.Context, name string) (Result, error) {
	return l.control(func() (Result, error) {
		in, err := l.instance(name)
		if err != nil {
			return Result{}, err
		}
		c, err := ini.LoadFile(in.ini)
		if err != nil {
			return Result{}, err
		}
		var out bytes.Buffer
		cfg := uwsgi.FromINI(c)
		cfg.Pidfile = "" // the copy must not overwrite the running one's pidfile before it fails
		cfg.Daemonize = ""
		dup := uwsgi.New(cfg, uwsgi.Options{Logger: &out, Loader: l.loader, Name: name + "-copy"})
		if err := dup.Start(); err != nil {
			return l.done(Result{Did: explain.T("a second "+name+" could not start: "+firstLine(err.Error()),
				"第二个 "+name+" 无法启动："+firstLine(err.Error())), Equivalent: "uwsgi --ini " + l.rel(in.ini) + "  (run twice)",
				Output: out.String()})
		}
		// Its ports were free (the first copy is stopped): it runs; stop it
		// again so the lab keeps one server per ini file.
		dup.Shutdown(ctx)
		return l.done(Result{Did: explain.T("a second "+name+" started, because the first was not running; the lab stopped it again",
			"第二个 "+name+" 启动成功，因为第一个没有在运行；实验已把它停止"), Equivalent: "uwsgi --ini " + l.rel(in.ini), Output: out.String()})
	})
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// BreakConfig writes a mistake into the proxy's config and reloads: the
// reload is refused with nginx's [emerg] line, and the old config keeps
// serving. RestoreConfig undoes it. The file as it was is kept under
// .webflow-lab/backup.
func (l *Lab) BreakConfig(ctx context.Context) (Result, error) {
	return l.control(func() (Result, error) {
		d, err := findStaticAlias(l.confFile())
		if err != nil {
			return Result{}, err
		}
		b, err := os.ReadFile(d.File)
		if err != nil {
			return Result{}, err
		}
		if err := os.MkdirAll(backupDir(l.dir), 0o755); err != nil {
			return Result{}, err
		}
		backup := filepath.Join(backupDir(l.dir), filepath.Base(d.File)+".before-break")
		if err := os.WriteFile(backup, b, 0o644); err != nil {
			return Result{}, err
		}
		edit, err := editLines(d.File, func(lines []string) ([]string, error) {
			i := d.Line - 1
			lines[i] = strings.Replace(lines[i], ";", "", 1) // the classic: a missing semicolon
			return lines, nil
		})
		if err != nil {
			return Result{}, err
		}
		if err := edit.write(); err != nil {
			return Result{}, err
		}
		_, rerr := l.reloadProxy("")
		if rerr == nil {
			edit.undo()
			return Result{}, errors.New("lab: the broken config was accepted; the lab put the file back")
		}
		return l.done(Result{Did: explain.T("wrote a missing semicolon into "+l.rel(d.File)+" and reloaded: refused, the old config keeps serving",
			"在 "+l.rel(d.File)+" 中删掉了一个分号并重新加载：被拒绝，旧配置继续服务"),
			Equivalent: "nginx -s reload  (then read error.log, or nginx -t)", Diff: edit.diff(l.dir), Output: rerr.Error()})
	})
}

// RestoreConfig puts back the file BreakConfig changed and reloads.
func (l *Lab) RestoreConfig(ctx context.Context) (Result, error) {
	return l.control(func() (Result, error) {
		matches, _ := filepath.Glob(filepath.Join(backupDir(l.dir), "*.before-break"))
		if len(matches) == 0 {
			return Result{}, stateError(explain.T("lab: no broken config to restore", "lab: 没有需要恢复的配置"), explain.Text{}, explain.Text{}, "")
		}
		var edits []fileEdit
		for _, m := range matches {
			name := strings.TrimSuffix(filepath.Base(m), ".before-break")
			var target string
			for _, cand := range []string{filepath.Join(l.dir, name), filepath.Join(l.dir, "conf.d", name)} {
				if _, err := os.Stat(cand); err == nil {
					target = cand
					break
				}
			}
			if target == "" {
				continue
			}
			old, _ := os.ReadFile(target)
			b, err := os.ReadFile(m)
			if err != nil {
				return Result{}, err
			}
			edits = append(edits, fileEdit{path: target, old: string(old), new: string(b)})
			os.Remove(m)
		}
		return l.editAndReload(explain.T("restored the config as it was and reloaded", "已恢复原来的配置并重新加载"), "nginx -s reload", edits...)
	})
}

// A BreakSpec says where a breakpoint holds requests.
type BreakSpec struct {
	Hop        trace.Hop
	PathPrefix string        // only requests whose path starts with it
	Instance   string        // only at this instance ("uwsgi-1")
	Timeout    time.Duration // 0: trace.DefaultHoldTimeout
}

// Break arms a breakpoint: requests that reach the hop are held for real —
// their client has no answer — until released, their client leaves, or the
// timeout passes. It returns the breakpoint's id.
func (l *Lab) Break(ctx context.Context, b BreakSpec) (int, Result, error) {
	var id int
	r, err := l.control(func() (Result, error) {
		if b.Hop == trace.NoHop || b.Hop == trace.Connect {
			return Result{}, stateError(explain.T("lab: no such hop for a breakpoint", "lab: 不能在这里设置断点"), explain.Text{},
				explain.T("one of: proxy, upstream, queue, app, db, db-return, app-return, uwsgi-return, response",
					"可选：proxy、upstream、queue、app、db、db-return、app-return、uwsgi-return、response"), "")
		}
		inst := b.Instance
		if inst != "" {
			in, err := l.instance(inst)
			if err != nil {
				return Result{}, err
			}
			if b.Hop == trace.ProxyToUwsgi && len(in.cfg.Sockets) > 0 {
				inst = normalizeAddr(in.cfg.Sockets[0]) // the proxy knows its peers by address
			}
		}
		id = l.points.Arm(trace.Rule{Hop: b.Hop, PathPrefix: b.PathPrefix, Instance: inst, Action: trace.Hold, Timeout: b.Timeout})
		where := b.Hop.String()
		if b.PathPrefix != "" {
			where += " for " + b.PathPrefix + "…"
		}
		if b.Instance != "" {
			where += " at " + b.Instance
		}
		return l.done(Result{Did: explain.T(fmt.Sprintf("breakpoint %d armed at %s: requests stop there, their browsers wait", id, where),
			fmt.Sprintf("断点 %d 已设在 %s：请求会停在那里，浏览器一直等待", id, where)),
			Equivalent: "a debugger's breakpoint (pdb.set_trace() in the view) — real servers have no such switch"})
	})
	return id, r, err
}

// Release lets one held request go on.
func (l *Lab) Release(ctx context.Context, heldID int) (Result, error) {
	return l.control(func() (Result, error) {
		if !l.points.Release(heldID) {
			return Result{}, stateError(explain.T(fmt.Sprintf("lab: no held request %d", heldID), fmt.Sprintf("lab: 没有编号为 %d 的暂停请求", heldID)),
				explain.Text{}, explain.T("see the held requests: held", "查看暂停的请求：held"), "")
		}
		return l.done(Result{Did: explain.T(fmt.Sprintf("released held request %d", heldID), fmt.Sprintf("已放行暂停的请求 %d", heldID))})
	})
}

// ReleaseAll lets every held request go on.
func (l *Lab) ReleaseAll(ctx context.Context) (Result, error) {
	return l.control(func() (Result, error) {
		n := l.points.ReleaseAll()
		return l.done(Result{Did: explain.T(fmt.Sprintf("released %d held request(s)", n), fmt.Sprintf("已放行 %d 个暂停的请求", n))})
	})
}

// ClearBreak disarms breakpoint id (0: every breakpoint), releasing what it
// holds.
func (l *Lab) ClearBreak(ctx context.Context, id int) (Result, error) {
	return l.control(func() (Result, error) {
		n := 0
		for _, r := range l.points.Rules() {
			if r.Action == trace.Hold && (id == 0 || r.ID == id) {
				l.points.Disarm(r.ID)
				n++
			}
		}
		if n == 0 {
			return Result{}, stateError(explain.T(fmt.Sprintf("lab: no breakpoint %d", id), fmt.Sprintf("lab: 没有编号为 %d 的断点", id)),
				explain.Text{}, explain.T("see the breakpoints: status", "查看断点：status"), "")
		}
		return l.done(Result{Did: explain.T(fmt.Sprintf("cleared %d breakpoint(s); what they held goes on", n), fmt.Sprintf("已清除 %d 个断点；被暂停的请求继续", n))})
	})
}

// StopProxy stops the proxy gracefully, as `nginx -s quit` does: requests
// in flight finish; the app servers keep running (a browser can still
// reach them on their http ports).
func (l *Lab) StopProxy(ctx context.Context) (Result, error) {
	return l.control(func() (Result, error) {
		if l.proxy == nil {
			return Result{}, stateError(explain.T("lab: the proxy is not running", "lab: 代理没有在运行"), explain.Text{},
				explain.T("start it: start proxy", "启动它：start proxy"), "")
		}
		err := l.proxy.Shutdown(ctx)
		if pf := l.proxy.PidFile(); pf != "" {
			os.Remove(pf)
		}
		l.proxy = nil
		if err != nil {
			return Result{}, err
		}
		l.state(trace.InstanceStopped, "proxy", explain.T("proxy stopped", "代理已停止"))
		return l.done(Result{Did: explain.T("stopped the proxy: browsers get \"connection refused\" on its port", "已停止代理：浏览器访问其端口会被拒绝连接"),
			Equivalent: "nginx -s quit"})
	})
}

// StartProxy starts the proxy from nginx.conf as it is now.
func (l *Lab) StartProxy(ctx context.Context) (Result, error) {
	return l.control(func() (Result, error) {
		if l.proxy != nil {
			return Result{}, stateError(explain.T("lab: the proxy is already running", "lab: 代理已在运行"), explain.Text{},
				explain.T("reload it instead: reload proxy", "请改为重新加载：reload proxy"), "")
		}
		if err := l.startProxy(); err != nil {
			return Result{}, err
		}
		l.state(trace.InstanceStarted, "proxy", explain.T("proxy started", "代理已启动"))
		return l.done(Result{Did: explain.T("started the proxy from nginx.conf", "已按 nginx.conf 启动代理"), Equivalent: "nginx"})
	})
}

// ReopenLogs reopens the proxy's log files, as `nginx -s reopen` does
// after logrotate moved them.
func (l *Lab) ReopenLogs(ctx context.Context) (Result, error) {
	return l.control(func() (Result, error) {
		if l.proxy == nil {
			return Result{}, errors.New("lab: the proxy is not running")
		}
		l.proxy.ReopenLogs()
		return l.done(Result{Did: explain.T("the proxy reopened its log files", "代理重新打开了日志文件"), Equivalent: "nginx -s reopen"})
	})
}

// Reload is what a reload signal sent to the lab's process does: every
// server of the lab is this one process, so a bare SIGHUP (kill -HUP on
// nginx.pid or a uwsgi pidfile alike) reaches them all. The proxy reads
// nginx.conf again and each running instance restarts from its ini file.
// The commands that name one component (`proxy -s reload`, `uwsgi --reload
// uwsgi-1.pid`) reach only it, through the control endpoint.
func (l *Lab) Reload(ctx context.Context) error {
	var errs []error
	_, err := l.ReloadProxy(ctx)
	errs = append(errs, err)
	for _, in := range l.Snapshot().Instances {
		if in.State == Running {
			if _, err := l.ReloadInstance(ctx, in.Name); err != nil {
				errs = append(errs, fmt.Errorf("%s.ini: %w", in.Name, err))
			}
		}
	}
	return errors.Join(errs...)
}
