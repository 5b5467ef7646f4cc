package sim

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"

	"webflow-lab/servers/explain"
	"webflow-lab/servers/trace"
	"webflow-lab/servers/uwsgi"
	"webflow-lab/servers/uwsgi/ini"
)

// The controls that stop, kill, start and reload the lab's servers, as the
// real commands do: uwsgi --stop/--reload/--ini, kill -9, nginx -s.

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
