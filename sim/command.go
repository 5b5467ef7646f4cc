package sim

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"webflow-lab/servers/explain"
	"webflow-lab/servers/trace"
)

// A Command is one word of the lab's control vocabulary: what the screen's
// ':' line, a lesson step and `webflow-lab ctl` type. Each runs one control.
type Command struct {
	Name    string
	Args    string       // how to write its arguments, for help and completion
	Summary explain.Text // one line
	Values  []string     // words its first argument takes, for completion (instance names are added by Complete)
	run     func(ctx context.Context, l *Lab, args []string) (Result, error)
}

// Commands lists the vocabulary, in the order help shows it.
func Commands() []Command { return commands }

var commands = []Command{
	{Name: "status", Summary: explain.T("what runs, where, and what the lab changed", "正在运行什么、在哪里、实验改了什么"),
		run: func(_ context.Context, l *Lab, _ []string) (Result, error) {
			return Result{Did: explain.T("status", "状态"), Output: FormatSnapshot(l.Snapshot())}, nil
		}},
	{Name: "strategy", Args: "[UPSTREAM] round-robin|weight 3,1|ip_hash|least_conn|hash KEY|random",
		Summary: explain.T("switch the upstream's balancing strategy (edits the config, reloads)", "切换 upstream 的负载均衡策略（修改配置并重新加载）"),
		Values:  []string{"round-robin", "weight", "ip_hash", "least_conn", "hash", "random"},
		run: func(ctx context.Context, l *Lab, a []string) (Result, error) {
			if len(a) == 0 {
				return Result{}, usage("strategy ip_hash")
			}
			upstream := ""
			if _, _, err := strategyLines(a); err != nil && len(a) > 1 {
				upstream, a = a[0], a[1:]
			}
			return l.SetStrategy(ctx, upstream, strings.Join(a, " "))
		}},
	{Name: "reload", Args: "[proxy|INSTANCE]", Summary: explain.T("read a config again (nginx -s reload, uwsgi --reload)", "重新读取配置（nginx -s reload，uwsgi --reload）"),
		Values: []string{"proxy"},
		run: func(ctx context.Context, l *Lab, a []string) (Result, error) {
			if len(a) == 0 || a[0] == "proxy" || a[0] == "nginx" {
				return l.ReloadProxy(ctx)
			}
			return l.ReloadInstance(ctx, a[0])
		}},
	{Name: "stop", Args: "INSTANCE|proxy", Summary: explain.T("stop gracefully (uwsgi --stop, nginx -s quit)", "平滑停止（uwsgi --stop，nginx -s quit）"),
		Values: []string{"proxy"},
		run: func(ctx context.Context, l *Lab, a []string) (Result, error) {
			if len(a) != 1 {
				return Result{}, usage("stop uwsgi-1")
			}
			if a[0] == "proxy" || a[0] == "nginx" {
				return l.StopProxy(ctx)
			}
			return l.StopInstance(ctx, a[0])
		}},
	{Name: "kill", Args: "INSTANCE", Summary: explain.T("kill -9: connections in service are reset", "kill -9：正在处理的连接被重置"),
		run: func(ctx context.Context, l *Lab, a []string) (Result, error) {
			if len(a) != 1 {
				return Result{}, usage("kill uwsgi-2")
			}
			return l.KillInstance(ctx, a[0])
		}},
	{Name: "start", Args: "INSTANCE|proxy", Summary: explain.T("start from its config file", "按配置文件启动"),
		Values: []string{"proxy"},
		run: func(ctx context.Context, l *Lab, a []string) (Result, error) {
			if len(a) != 1 {
				return Result{}, usage("start uwsgi-1")
			}
			if a[0] == "proxy" || a[0] == "nginx" {
				return l.StartProxy(ctx)
			}
			return l.StartInstance(ctx, a[0])
		}},
	{Name: "db", Args: "stop|start|status", Summary: explain.T("the database service (service mysqld stop|start|status)", "数据库服务（service mysqld stop|start|status）"),
		Values: []string{"stop", "start", "status"},
		run: func(ctx context.Context, l *Lab, a []string) (Result, error) {
			switch strings.Join(a, " ") {
			case "stop":
				return l.StopDB(ctx)
			case "start":
				return l.StartDB(ctx)
			case "status":
				running, files := l.DBStatus()
				st := "stopped"
				zh := "已停止"
				if running {
					st, zh = "running", "运行中"
				}
				return Result{Did: explain.T("database: "+st, "数据库："+zh), Equivalent: "service mysqld status",
					Output: strings.Join(files, "\n")}, nil
			}
			return Result{}, usage("db stop")
		}},
	{Name: "block", Args: "PORT [refuse|drop]", Summary: explain.T("a firewall rule on one of the lab's ports", "在实验的某个端口上加防火墙规则"),
		run: func(ctx context.Context, l *Lab, a []string) (Result, error) {
			if len(a) < 1 || len(a) > 2 {
				return Result{}, usage("block 9011 drop")
			}
			port, err := strconv.Atoi(a[0])
			if err != nil {
				return Result{}, usage("block 9011 refuse")
			}
			mode := Refuse
			if len(a) == 2 {
				mode = BlockMode(a[1])
			}
			return l.BlockPort(ctx, port, mode)
		}},
	{Name: "unblock", Args: "PORT", Summary: explain.T("remove a firewall rule", "删除防火墙规则"),
		run: func(ctx context.Context, l *Lab, a []string) (Result, error) {
			if len(a) != 1 {
				return Result{}, usage("unblock 9011")
			}
			port, err := strconv.Atoi(a[0])
			if err != nil {
				return Result{}, usage("unblock 9011")
			}
			return l.OpenPort(ctx, port)
		}},
	{Name: "latency", Args: "INSTANCE DURATION|off", Summary: explain.T("make an instance slow (200ms, 2s)", "让某个实例变慢（200ms、2s）"),
		run: func(ctx context.Context, l *Lab, a []string) (Result, error) {
			if len(a) != 2 {
				return Result{}, usage("latency uwsgi-2 500ms")
			}
			d := time.Duration(0)
			if a[1] != "off" && a[1] != "0" {
				var err error
				if d, err = time.ParseDuration(a[1]); err != nil || d < 0 {
					return Result{}, usage("latency uwsgi-2 500ms")
				}
			}
			return l.SetLatency(ctx, a[0], d)
		}},
	{Name: "errors", Args: "INSTANCE N|off", Summary: explain.T("make one request in N fail in an instance's app", "让某实例每 N 个请求就有一个在应用中出错"),
		run: func(ctx context.Context, l *Lab, a []string) (Result, error) {
			if len(a) != 2 {
				return Result{}, usage("errors uwsgi-2 3")
			}
			n := 0
			if a[1] != "off" {
				var err error
				if n, err = strconv.Atoi(strings.TrimPrefix(a[1], "1/")); err != nil || n < 0 {
					return Result{}, usage("errors uwsgi-2 3")
				}
			}
			return l.SetErrors(ctx, a[0], n)
		}},
	{Name: "static", Args: "break|fix|toggle", Summary: explain.T("break or fix the static path (alias without its trailing slash); toggle does whichever undoes its state now", "弄坏或修好静态文件路径（alias 少了结尾斜杠）；toggle 按当前状态切换"),
		Values: []string{"break", "fix", "toggle"},
		run: func(ctx context.Context, l *Lab, a []string) (Result, error) {
			switch strings.Join(a, " ") {
			case "break":
				return l.BreakStatic(ctx)
			case "fix":
				return l.FixStatic(ctx)
			case "toggle":
				return l.ToggleStatic(ctx)
			}
			return Result{}, usage("static break")
		}},
	{Name: "databases", Args: "separate|shared", Summary: explain.T("one database per instance, or one shared", "每个实例一个数据库，或共用一个"),
		Values: []string{"separate", "shared"},
		run: func(ctx context.Context, l *Lab, a []string) (Result, error) {
			switch strings.Join(a, " ") {
			case "separate":
				return l.SeparateDBs(ctx, true)
			case "shared":
				return l.SeparateDBs(ctx, false)
			}
			return Result{}, usage("databases separate")
		}},
	{Name: "sessions", Args: "shared|per-instance", Summary: explain.T("sessions in the shared database, or in each instance's memory", "会话保存在共享数据库，或各实例内存中"),
		Values: []string{"shared", "per-instance"},
		run: func(ctx context.Context, l *Lab, a []string) (Result, error) {
			switch strings.Join(a, " ") {
			case "shared", "db":
				return l.SharedSessions(ctx, true)
			case "per-instance", "memory":
				return l.SharedSessions(ctx, false)
			}
			return Result{}, usage("sessions per-instance")
		}},
	{Name: "duplicate", Args: "INSTANCE", Summary: explain.T("start a second copy on the same ports (see the bind error)", "在相同端口上再启动一份（看看绑定错误）"),
		run: func(ctx context.Context, l *Lab, a []string) (Result, error) {
			if len(a) != 1 {
				return Result{}, usage("duplicate uwsgi-1")
			}
			return l.StartDuplicate(ctx, a[0])
		}},
	{Name: "config", Args: "break|restore", Summary: explain.T("load a broken proxy config, or put it back", "加载一个错误的代理配置，或恢复它"),
		Values: []string{"break", "restore"},
		run: func(ctx context.Context, l *Lab, a []string) (Result, error) {
			switch strings.Join(a, " ") {
			case "break":
				return l.BreakConfig(ctx)
			case "restore":
				return l.RestoreConfig(ctx)
			}
			return Result{}, usage("config break")
		}},
	{Name: "break", Args: "HOP [PATH] [@INSTANCE]", Summary: explain.T("hold requests at a hop (proxy, upstream, queue, app, db, response)", "在某一跳暂停请求（proxy、upstream、queue、app、db、response）"),
		Values: []string{"proxy", "upstream", "queue", "app", "db", "db-return", "app-return", "uwsgi-return", "response"},
		run: func(ctx context.Context, l *Lab, a []string) (Result, error) {
			if len(a) == 0 {
				return Result{}, usage("break app /employees")
			}
			hop, ok := trace.ParseHop(a[0])
			if !ok {
				return Result{}, usage("break app /employees")
			}
			spec := BreakSpec{Hop: hop}
			for _, w := range a[1:] {
				if inst, ok := strings.CutPrefix(w, "@"); ok {
					spec.Instance = inst
				} else {
					spec.PathPrefix = w
				}
			}
			_, r, err := l.Break(ctx, spec)
			return r, err
		}},
	{Name: "release", Args: "ID|all", Summary: explain.T("let a held request (or all) go on", "放行一个（或全部）暂停的请求"),
		Values: []string{"all"},
		run: func(ctx context.Context, l *Lab, a []string) (Result, error) {
			if len(a) == 1 && a[0] == "all" {
				return l.ReleaseAll(ctx)
			}
			if len(a) != 1 {
				return Result{}, usage("release all")
			}
			id, err := strconv.Atoi(a[0])
			if err != nil {
				return Result{}, usage("release 3")
			}
			return l.Release(ctx, id)
		}},
	{Name: "clear", Args: "ID|all", Summary: explain.T("disarm a breakpoint (or all)", "清除一个（或全部）断点"),
		Values: []string{"all"},
		run: func(ctx context.Context, l *Lab, a []string) (Result, error) {
			if len(a) == 1 && a[0] == "all" {
				return l.ClearBreak(ctx, 0)
			}
			if len(a) != 1 {
				return Result{}, usage("clear all")
			}
			id, err := strconv.Atoi(a[0])
			if err != nil || id <= 0 {
				return Result{}, usage("clear 1")
			}
			return l.ClearBreak(ctx, id)
		}},
	{Name: "held", Summary: explain.T("the requests held at breakpoints", "在断点处暂停的请求"),
		run: func(_ context.Context, l *Lab, _ []string) (Result, error) {
			var b strings.Builder
			for _, h := range l.Snapshot().Held {
				fmt.Fprintf(&b, "%d  %s %s  at %s %s  held %s, released at %s\n", h.ID, h.Method, h.Path, h.Hop, h.Instance,
					time.Since(h.Since).Round(time.Second), h.Deadline.Format("15:04:05"))
			}
			return Result{Did: explain.T("held requests", "暂停的请求"), Output: b.String()}, nil
		}},
	trafficCmd, browseCmd, loadCmd, captchaCmd, // traffic_control.go
	probeCommand,    // probe.go
	snapshotCommand, // probe.go
}

// usage is a command's misuse; DoArgs turns it into the learner's error
// with the command's syntax and an example.
type usage string

func (u usage) Error() string { return "lab: for example: " + string(u) }

func usageError(c Command, example string) error {
	return &explain.Error{
		What: explain.T("lab: "+c.Name+" "+c.Args, "lab: "+c.Name+" "+c.Args),
		Why:  c.Summary,
		Try:  explain.T("for example: "+example, "例如："+example)}
}

// Do runs one command of the lab's vocabulary, written as a learner types
// it ("stop uwsgi-1", "strategy ip_hash", "break app /employees"). The real
// servers' own commands work too, as a second terminal types them:
// "nginx -s reload", "uwsgi --stop uwsgi-1.pid", "service mysqld stop".
func (l *Lab) Do(ctx context.Context, line string) (Result, error) {
	return l.DoArgs(ctx, strings.Fields(line))
}

// DoArgs is Do with the words already split.
func (l *Lab) DoArgs(ctx context.Context, words []string) (Result, error) {
	if len(words) == 0 {
		words = []string{"status"}
	}
	if r, err, ok := l.realCommand(ctx, words); ok {
		return r, err
	}
	name := strings.ToLower(words[0])
	for _, c := range commands {
		if c.Name == name {
			r, err := c.run(ctx, l, words[1:])
			if u, ok := err.(usage); ok {
				err = usageError(c, string(u))
			}
			return r, err
		}
	}
	var names []string
	for _, c := range commands {
		names = append(names, c.Name)
	}
	return Result{}, &explain.Error{
		What: explain.T("lab: unknown command "+strconv.Quote(words[0]), "lab: 未知命令 "+strconv.Quote(words[0])),
		Why:  explain.T("the lab's commands are "+strings.Join(names, ", "), "实验的命令有："+strings.Join(names, ", ")),
		Try:  explain.T("webflow-lab ctl --help lists what each does (in the screen: ?)", "webflow-lab ctl --help 会列出每条命令的作用（界面中按 ?）")}
}

// realCommand runs the real servers' commands: nginx's -s, uWSGI's
// --stop/--reload with a pidfile, and service's database commands. Each
// acts on the one component it names.
func (l *Lab) realCommand(ctx context.Context, w []string) (Result, error, bool) {
	switch {
	case (w[0] == "nginx" || w[0] == "proxy") && len(w) >= 3 && w[len(w)-2] == "-s":
		switch w[len(w)-1] {
		case "reload":
			r, err := l.ReloadProxy(ctx)
			return r, err, true
		case "stop", "quit":
			r, err := l.StopProxy(ctx)
			return r, err, true
		case "reopen":
			r, err := l.ReopenLogs(ctx)
			return r, err, true
		}
	case w[0] == "uwsgi" && len(w) == 3 && (w[1] == "--stop" || w[1] == "--reload"):
		r, err := l.byPidfile(ctx, w[1], w[2])
		return r, err, true
	case w[0] == "uwsgi" && len(w) == 3 && w[1] == "--ini":
		r, err := l.byIni(ctx, w[2])
		return r, err, true
	case w[0] == "service" && len(w) == 3 && (w[1] == "mysqld" || w[1] == "mysql" || w[1] == "db"):
		r, err := l.DoArgs(ctx, []string{"db", w[2]})
		return r, err, true
	}
	return Result{}, nil, false
}

// byPidfile finds the instance whose pidfile is path and stops or reloads it.
func (l *Lab) byPidfile(ctx context.Context, action, path string) (Result, error) {
	abs := path
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(l.dir, path)
	}
	name := ""
	for _, in := range l.current().instances {
		if in.cfg.Pidfile != "" && sameFile(in.cfg.Pidfile, abs) {
			name = in.name
		}
	}
	if name == "" {
		return Result{}, &explain.Error{
			What:  explain.T("uwsgi: no running instance writes "+path, "uwsgi: 没有正在运行的实例使用 pid 文件 "+path),
			Where: path,
			Why:   explain.T("no instance of this lab names that pidfile in its ini", "本实验中没有实例在 ini 里指定这个 pid 文件"),
			Try:   explain.T("use the pidfile named by `pidfile =` in the instance's ini", "请使用实例 ini 中 `pidfile =` 指定的文件")}
	}
	if action == "--stop" {
		return l.StopInstance(ctx, name)
	}
	return l.ReloadInstance(ctx, name)
}

// byIni is `uwsgi --ini uwsgi-N.ini` typed while the lab runs: a stopped
// instance starts, as the real command starts it; a running one gets a
// second copy that finds its ports busy and fails with uWSGI's own lines,
// as the real command does.
func (l *Lab) byIni(ctx context.Context, path string) (Result, error) {
	name := strings.TrimSuffix(filepath.Base(path), ".ini")
	var state RunState
	l.mu.Lock()
	in, err := l.instance(name)
	if err == nil {
		state = in.state
	}
	l.mu.Unlock()
	if err != nil {
		return Result{}, err
	}
	if state != Running {
		return l.StartInstance(ctx, name)
	}
	r, err := l.StartDuplicate(ctx, name)
	if err == nil && strings.Contains(r.Did.EN, "could not start") {
		return Result{}, &explain.Error{What: r.Did, Where: path,
			Why: explain.T(name+" is already running: its ports are taken by the first copy",
				name+" 已经在运行：端口被第一份占用"),
			Try: explain.T("stop it first (uwsgi --stop "+name+".pid), or reload it (uwsgi --reload "+name+".pid)",
				"先停止它（uwsgi --stop "+name+".pid），或重新加载（uwsgi --reload "+name+".pid）")}
	}
	return r, err
}

func sameFile(a, b string) bool {
	a, b = filepath.Clean(a), filepath.Clean(b)
	if a == b {
		return true
	}
	ra, err1 := filepath.EvalSymlinks(a)
	rb, err2 := filepath.EvalSymlinks(b)
	return err1 == nil && err2 == nil && ra == rb
}

// Complete returns the completions of a partly typed command line: command
// names, then the first argument's known words and instance names.
func (l *Lab) Complete(line string) []string {
	words := strings.Fields(line)
	trailing := strings.HasSuffix(line, " ")
	if len(words) == 0 || len(words) == 1 && !trailing {
		prefix := ""
		if len(words) == 1 {
			prefix = words[0]
		}
		var out []string
		for _, c := range commands {
			if strings.HasPrefix(c.Name, prefix) {
				out = append(out, c.Name)
			}
		}
		return out
	}
	var cmd *Command
	for i := range commands {
		if commands[i].Name == words[0] {
			cmd = &commands[i]
		}
	}
	if cmd == nil || len(words) > 2 || len(words) == 2 && trailing {
		return nil
	}
	prefix := ""
	if len(words) == 2 {
		prefix = words[1]
	}
	cands := append([]string(nil), cmd.Values...)
	if strings.Contains(cmd.Args, "INSTANCE") {
		for _, in := range l.Snapshot().Instances {
			cands = append(cands, in.Name)
		}
	}
	var out []string
	for _, c := range cands {
		if strings.HasPrefix(c, prefix) {
			out = append(out, words[0]+" "+c)
		}
	}
	return out
}
