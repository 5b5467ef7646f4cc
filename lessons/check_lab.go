package lessons

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"webflow-lab/servers/explain"
	"webflow-lab/sim"
)

// labCheck reads the lab's snapshot: what runs, the balancer, the faults
// in force, what the controls did.
type labCheck struct {
	what_ string // db, proxy, instance, strategy, weights, sessions, databases, port, faults, breakpoints, did, healthy
	name  string // the instance, port or upstream
	want  string
	n     int // slots>=N
}

var labWhats = []string{"db", "proxy", "instance", "strategy", "weights", "sessions", "databases", "port", "faults", "breakpoints", "did", "healthy"}

func parseLabCheck(args []word) (checker, error) {
	usage := func(ex string) error {
		return errTry("lab checks "+strings.Join(labWhats, ", ")+"; e.g. "+ex, "lab 可以检查："+strings.Join(labWhats, "、")+"；例如 "+ex,
			"see the README's list of lab checks", "请参考 README 中 lab 检查的写法")
	}
	if len(args) == 0 {
		return nil, usage("lab db running")
	}
	c := &labCheck{what_: args[0].Text}
	rest := args[1:]
	one := func(allowed ...string) error {
		if len(rest) != 1 || len(allowed) > 0 && !contains(allowed, rest[0].Text) {
			return usage("lab " + c.what_ + " " + strings.Join(allowed, "|"))
		}
		c.want = rest[0].Text
		return nil
	}
	var err error
	switch c.what_ {
	case "db":
		err = one("running", "stopped")
	case "proxy":
		err = one("running", "stopped", "ok")
	case "instance":
		if len(rest) != 2 {
			return nil, usage("lab instance uwsgi-2 running")
		}
		c.name, c.want = rest[0].Text, rest[1].Text
		if v, ok := strings.CutPrefix(c.want, "slots>="); ok {
			if c.n, err = strconv.Atoi(v); err != nil || c.n < 1 {
				return nil, usage("lab instance uwsgi-1 slots>=4")
			}
			c.want = "slots"
		} else if !contains([]string{"running", "stopped", "killed", "failed"}, c.want) {
			return nil, usage("lab instance uwsgi-2 running|stopped|killed|failed|slots>=N")
		}
	case "strategy":
		var up []word
		for _, w := range rest {
			if w.Key == "upstream" {
				c.name = w.Text
			} else {
				up = append(up, w)
			}
		}
		rest = up
		err = one()
	case "weights":
		err = one()
	case "sessions":
		err = one("db", "memory")
	case "databases":
		err = one("shared", "separate")
	case "port":
		if len(rest) != 2 || !contains([]string{"open", "blocked"}, rest[1].Text) {
			return nil, usage("lab port {uwsgi-2.socket.port} open")
		}
		c.name, c.want = rest[0].Text, rest[1].Text
	case "faults", "breakpoints":
		err = one("none")
	case "did":
		err = one()
	case "healthy":
		if len(rest) != 0 {
			return nil, usage("lab healthy")
		}
	default:
		return nil, usage("lab db running")
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}

var zhStates = map[string]string{"running": "运行中", "stopped": "已停止", "killed": "已被杀死", "failed": "启动失败", "blocked": "被封锁", "open": "开放",
	"db": "共享数据库", "memory": "各实例内存", "shared": "共用一个", "separate": "各用各的", "up": "可用", "down": "不可用", "failing": "失败中", "backup": "备用"}

func zh(s string) string {
	if z, ok := zhStates[s]; ok {
		return z
	}
	return s
}

func (c *labCheck) what() Text {
	switch c.what_ {
	case "db":
		return explain.T(fmt.Sprintf("the database is %s", c.want), fmt.Sprintf("数据库%s", zh(c.want)))
	case "proxy":
		if c.want == "ok" {
			return tf("nginx runs its config as written (the last reload took)", "nginx 按现在的配置运行（最近一次重新加载成功）")
		}
		return explain.T(fmt.Sprintf("nginx is %s", c.want), fmt.Sprintf("nginx %s", zh(c.want)))
	case "instance":
		if c.want == "slots" {
			return tf("%s has at least %d worker slots (processes × threads)", "%s 至少有 %d 个工作槽（进程数 × 线程数）", c.name, c.n)
		}
		return explain.T(fmt.Sprintf("%s is %s", c.name, c.want), fmt.Sprintf("%s %s", c.name, zh(c.want)))
	case "strategy":
		return tf("the upstream balances by %s", "upstream 的负载均衡方式是 %s", c.want)
	case "weights":
		return tf("the upstream's weights are %s", "upstream 的权重是 %s", c.want)
	case "sessions":
		return explain.T(fmt.Sprintf("sessions: %s", c.want), fmt.Sprintf("会话：%s", zh(c.want)))
	case "databases":
		return explain.T(fmt.Sprintf("the instances' databases: %s", c.want), fmt.Sprintf("各实例的数据库：%s", zh(c.want)))
	case "port":
		return explain.T(fmt.Sprintf("port %s is %s", c.name, c.want), fmt.Sprintf("端口 %s %s", c.name, zh(c.want)))
	case "faults":
		return tf("no latency or errors added to an instance", "没有给任何实例添加延迟或错误")
	case "breakpoints":
		return tf("no breakpoint armed", "没有设置断点")
	case "did":
		return tf("you ran “%s”", "你执行了 “%s”", c.want)
	}
	return tf("the whole lab is healthy", "整个实验环境正常")
}

func (c *labCheck) run(ctx context.Context, e *env) (bool, Text) {
	s, err := e.lab.Snapshot(ctx)
	if err != nil {
		return false, tf("cannot read the lab's state: %v", "无法读取实验状态：%v", err)
	}
	want := e.expand(c.want)
	name := e.expand(c.name)
	switch c.what_ {
	case "db":
		got := string(s.DB.State)
		return got == want, explain.T(fmt.Sprintf("the database is %s", got), fmt.Sprintf("数据库%s", zh(got)))
	case "proxy":
		got := string(s.Proxy.State)
		if want == "ok" {
			if got != "running" {
				return false, explain.T(fmt.Sprintf("nginx is %s", got), fmt.Sprintf("nginx %s", zh(got)))
			}
			if s.Proxy.LastError != nil {
				return false, explain.T(fmt.Sprintf("the last reload was refused: %s (%s); the old config is still serving", s.Proxy.LastError.What.EN, e.rel(s.Proxy.LastError.Where)), fmt.Sprintf("最近一次重新加载被拒绝：%s（%s）；仍在使用旧配置", s.Proxy.LastError.What.In("zh"), e.rel(s.Proxy.LastError.Where)))
			}
			return true, tf("nginx runs the config as it is now", "nginx 正在按现在的配置运行")
		}
		return got == want, explain.T(fmt.Sprintf("nginx is %s", got), fmt.Sprintf("nginx %s", zh(got)))
	case "instance":
		for _, in := range s.Instances {
			if in.Name != name {
				continue
			}
			if want == "slots" {
				n := in.Processes * in.Threads
				return n >= c.n && in.State == sim.Running, explain.T(fmt.Sprintf("%s: %d processes × %d threads = %d slots (%s)", name, in.Processes, in.Threads, n, in.State), fmt.Sprintf("%s：%d 个进程 × %d 个线程 = %d 个工作槽（%s）", name, in.Processes, in.Threads, n, zh(string(in.State))))
			}
			got := string(in.State)
			saw := explain.T(fmt.Sprintf("%s is %s", name, got), fmt.Sprintf("%s %s", name, zh(got)))
			if in.LastError != nil && got != want {
				saw = explain.T(fmt.Sprintf("%s is %s: %s", name, got, in.LastError.What.EN), fmt.Sprintf("%s %s：%s", name, zh(got), in.LastError.What.In("zh")))
			}
			return got == want, saw
		}
		return false, tf("the lab has no instance %s", "实验中没有实例 %s", name)
	case "strategy", "weights":
		u, saw := upstreamOf(s, name)
		if u == nil {
			return false, saw
		}
		if c.what_ == "strategy" {
			got := u.Strategy
			return strings.HasPrefix(got, want) || want == "round-robin" && got == "round robin",
				tf("upstream %s balances by %s (%s)", "upstream %s 的负载均衡方式是 %s（%s）", u.Name, got, u.Where)
		}
		var ws []string
		for _, p := range u.Peers {
			ws = append(ws, strconv.Itoa(p.Weight))
		}
		got := strings.Join(ws, ",")
		return got == want, tf("upstream %s's weights are %s (%s)", "upstream %s 的权重是 %s（%s）", u.Name, got, u.Where)
	case "sessions":
		return s.Sessions == want, explain.T(fmt.Sprintf("sessions: %s", s.Sessions), fmt.Sprintf("会话：%s", zh(s.Sessions)))
	case "databases":
		dbs := map[string][]string{}
		for _, in := range s.Instances {
			dbs[in.Database] = append(dbs[in.Database], in.Name)
		}
		got := "shared"
		if len(dbs) > 1 {
			got = "separate"
		}
		var parts []string
		for db, ins := range dbs {
			parts = append(parts, strings.Join(ins, "+")+" → "+e.rel(db))
		}
		return got == want, tf("databases: %s", "数据库：%s", strings.Join(parts, "; "))
	case "port":
		port, _ := strconv.Atoi(name)
		for _, b := range s.Blocked {
			if b.Port == port {
				return want == "blocked", tf("the firewall blocks port %d (%s)", "防火墙封锁了端口 %d（%s）", port, b.Mode)
			}
		}
		return want == "open", tf("no firewall rule on port %d", "端口 %d 上没有防火墙规则", port)
	case "faults":
		if len(s.Faults) > 0 {
			f := s.Faults[0]
			return false, tf("%s has %s", "%s 有 %s", f.Instance, faultText(f))
		}
		return true, tf("no fault in force", "没有故障")
	case "breakpoints":
		if len(s.Breakpoints) > 0 {
			b := s.Breakpoints[0]
			return false, tf("breakpoint %d is armed at %s (%d held)", "断点 %d 设在 %s（暂停了 %d 个请求）", b.ID, b.Hop, len(s.Held))
		}
		return true, tf("no breakpoint", "没有断点")
	case "did":
		for _, a := range s.Actions {
			if a.At.Before(e.state.Began) {
				continue
			}
			if strings.Contains(a.Equivalent, want) || strings.Contains(a.Did.EN, want) || strings.Contains(a.Did.ZH, want) {
				return true, explain.T(fmt.Sprintf("the lab did: %s", a.Did.EN), fmt.Sprintf("实验执行了：%s", a.Did.In("zh")))
			}
		}
		return false, tf("nothing like “%s” was run since the step began", "本步骤开始后没有执行过类似 “%s” 的命令", want)
	}
	return e.healthy(ctx, s)
}

func faultText(f sim.Fault) string {
	var parts []string
	if f.Latency > 0 {
		parts = append(parts, "latency "+f.Latency.String())
	}
	if f.Every > 0 {
		parts = append(parts, fmt.Sprintf("errors 1/%d", f.Every))
	}
	return strings.Join(parts, ", ")
}

func upstreamOf(s sim.Snapshot, name string) (*sim.Upstream, Text) {
	if s.Proxy.State != sim.Running {
		return nil, tf("nginx is not running", "nginx 没有在运行")
	}
	for i := range s.Upstreams {
		if name == "" || s.Upstreams[i].Name == name {
			return &s.Upstreams[i], Text{}
		}
	}
	return nil, tf("nginx has no upstream %s", "nginx 中没有 upstream %s", name)
}

// healthy is `lab healthy`: everything a fresh lab has, in the order a
// troubleshooter looks — and the first thing that is not so.
func (e *env) healthy(ctx context.Context, s sim.Snapshot) (bool, Text) {
	bad := func(t Text) (bool, Text) { return false, t }
	if s.Proxy.State != sim.Running {
		return bad(tf("nginx is not running", "nginx 没有在运行"))
	}
	if ok, saw := (&configCheck{file: "nginx.conf", op: "ok"}).run(ctx, e); !ok {
		return bad(saw)
	}
	if s.Proxy.LastError != nil {
		return bad(explain.T(fmt.Sprintf("nginx refused its last reload: %s", s.Proxy.LastError.What.EN), fmt.Sprintf("nginx 拒绝了最近一次重新加载：%s", s.Proxy.LastError.What.In("zh"))))
	}
	if s.DB.State != sim.Running {
		return bad(tf("the database is stopped", "数据库已停止"))
	}
	for _, in := range s.Instances {
		if in.State != sim.Running {
			return bad(explain.T(fmt.Sprintf("%s is %s", in.Name, in.State), fmt.Sprintf("%s %s", in.Name, zh(string(in.State)))))
		}
	}
	for _, b := range s.Blocked {
		return bad(tf("the firewall blocks port %d", "防火墙封锁了端口 %d", b.Port))
	}
	for _, f := range s.Faults {
		return bad(tf("%s has %s", "%s 有 %s", f.Instance, faultText(f)))
	}
	if len(s.Breakpoints) > 0 {
		return bad(tf("a breakpoint is armed at %s", "在 %s 设有断点", s.Breakpoints[0].Hop))
	}
	if u, _ := upstreamOf(s, ""); s.Sessions != "db" && len(s.Instances) > 1 && u != nil && !strings.Contains(u.Strategy, "hash") {
		return bad(tf("sessions are kept in each instance's memory (%s) behind %s: a captcha drawn by one instance is unknown to the other",
			"会话保存在各实例的内存中（%s），前面是 %s：一个实例生成的验证码，另一个实例不知道", s.Sessions, u.Strategy))
	}
	for _, p := range []*httpCheck{
		{req: request{Path: "/login/"}, repeat: len(s.Instances), status: []int{200}, servedBy: []servedRule{{who: "each"}}},
		{req: request{Path: "/static/ems/css/style.css"}, repeat: 1, status: []int{200}},
	} {
		if ok, saw := p.run(ctx, e); !ok {
			return bad(saw)
		}
	}
	return true, tf("nginx, %d instances and the database all answer", "nginx、%d 个实例和数据库都正常应答", len(s.Instances))
}

// instances are the lab's instance names, from the variables taken when the
// step began.
func (e *env) instances() []string {
	var out []string
	for i := 1; ; i++ {
		name := "uwsgi-" + strconv.Itoa(i)
		if _, ok := e.vars[name+".socket"]; !ok {
			return out
		}
		out = append(out, name)
	}
}

var _ = filepath.Join
