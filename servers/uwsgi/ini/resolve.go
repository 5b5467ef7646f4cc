package ini

import (
	"fmt"
	"strconv"
	"strings"

	"webflow-lab/servers/explain"
)

// Defaults uWSGI 2.0 starts from.
const (
	DefaultProcesses     = 1
	DefaultThreads       = 1
	DefaultListen        = 100
	DefaultBufferSize    = 4096
	DefaultSocketTimeout = 4
	DefaultHTTPTimeout   = 60
	DefaultCallable      = "application"
)

// resolve runs the placeholder passes and then applies the list in order,
// as uWSGI's uwsgi_configure does, into a Config.
func (ld *loader) resolve() (*Config, error) {
	if err := ld.placeholders(); err != nil {
		return nil, err
	}
	c := &Config{
		Processes: DefaultProcesses, Threads: DefaultThreads, Listen: DefaultListen,
		BufferSize: DefaultBufferSize, SocketTimeout: DefaultSocketTimeout,
		HTTPTimeout: DefaultHTTPTimeout, Callable: DefaultCallable,
	}
	c.Options = ld.optionList()
	c.Files = ld.fileNames()
	c.effects = make([]effect, len(ld.list))
	c.Notes = append(c.Notes, ld.notes...)
	last := map[string]int{} // canon of a scalar option → index of its last setting
	masterSet := -1          // index of the last master line
	for i := range ld.list {
		e := ld.list[i]
		o := e.Option
		ef := &c.effects[i]
		if e.placeholderOnly {
			ef.text = explain.T("defines "+o.Key+" for %("+o.Key+") only", "只定义 %("+o.Key+") 变量")
			continue
		}
		lo, lab := labOptions[o.Key]
		if !isUWSGIOption(o.Key) {
			if ld.strict {
				return nil, strictError(o)
			}
			if ld.referenced[o.Key] {
				ef.text = explain.T("not a uWSGI option: a variable, read by %("+o.Key+")", "不是 uWSGI 选项：一个变量，由 %("+o.Key+") 读取")
				continue
			}
			ef.note = unknownNote(o)
			ef.text = explain.T("not a uWSGI option: ignored, usable as %("+o.Key+")", "不是 uWSGI 选项：被忽略，可作 %("+o.Key+") 变量")
			continue
		}
		if !lab {
			ef.note = ignoredNote(o)
			ef.text = explain.T("a uWSGI option the lab accepts and ignores", "uWSGI 选项，本实验接受但不处理")
			continue
		}
		if err := ld.apply(c, lo, o, ef); err != nil {
			return nil, err
		}
		if ef.note == nil {
			ef.note = quotedNote(o)
		}

		switch lo.kind {
		case kBool, kBoolNeg, kInt, kUint64, kUint16, kString:
			if prev, ok := last[lo.canon]; ok {
				c.effects[prev].overridden = i
			}
			last[lo.canon] = i
			if lo.canon == "master" {
				masterSet = i
			}
		}
	}
	for i, n := range ld.phNotes {
		if c.effects[i].note == nil {
			c.effects[i].note = n
		} else {
			c.Notes = append(c.Notes, n)
		}
	}
	for i := range c.effects {
		if j := c.effects[i].overridden; j > 0 {
			n := overriddenNote(ld.list[i].Option, ld.list[j].Option)
			if c.effects[i].note == nil {
				c.effects[i].note = n
			}
			c.effects[i].text = explain.T("replaced later: "+ld.list[j].Option.Where()+" wins", "被后面的设置覆盖："+ld.list[j].Option.Where()+" 生效")
		}
	}
	// UWSGI_OPT_MASTER options turn the master on when they are read, before
	// any option is applied; an explicit master = false applied later wins.
	if ld.masterBy != "" && masterSet < 0 {
		c.Master = true
	}
	if c.Stats.Raw != "" && !c.Master {
		c.Notes = append(c.Notes, &explain.Error{
			What:  explain.T("uwsgi: the stats server will not start: the master is off", "uwsgi: 统计服务不会启动：主进程 (master) 被关闭了"),
			Where: ld.list[masterSet].Option.Where(),
			Why: explain.T("stats turns the master on, but "+ld.list[masterSet].Option.Key+" = "+ld.list[masterSet].Value+" turns it off again, and only the master runs the stats server (uWSGI says *** WARNING: you are running uWSGI without its master process manager ***)",
				"stats 会打开主进程，但 "+ld.list[masterSet].Option.Key+" = "+ld.list[masterSet].Value+" 又把它关掉了，而统计服务只由主进程运行（uWSGI 会打印 *** WARNING: you are running uWSGI without its master process manager ***）"),
			Try: explain.T("remove master = false, or write master = true", "删掉 master = false，或写成 master = true"),
		})
	}
	for i := range c.effects {
		if n := c.effects[i].note; n != nil {
			c.Notes = append(c.Notes, n)
		}
	}
	if len(c.Sockets)+len(c.HTTP)+len(c.HTTPSockets) == 0 {
		e := &explain.Error{
			What: explain.T("The -s/--socket option is missing and stdin is not a socket.", "The -s/--socket option is missing and stdin is not a socket."),
			Why: explain.T("no socket, http or http-socket line was read, so uWSGI has nothing to listen on (check that the options are under [uwsgi] and that the header line has nothing after ']')",
				"没有读到任何 socket、http 或 http-socket，uWSGI 没有可监听的地址（检查选项是否在 [uwsgi] 下面，节标题的 ']' 后面是否还有文字）"),
			Try: explain.T("add socket = 127.0.0.1:9001 (for nginx) or http = 127.0.0.1:9000 (for a browser)", "加上 socket = 127.0.0.1:9001（给 nginx 用）或 http = 127.0.0.1:9000（给浏览器用）"),
		}
		// The usual cause is a file whose section was not found: say which.
		for _, n := range ld.notes {
			e.Where = n.Where
			e.Why = explain.T(n.What.EN+"; "+n.Why.EN, n.What.ZH+"；"+n.Why.ZH)
			e.Try = n.Try
			break
		}
		return nil, e
	}
	if max := ld.h.somaxconn(); max > 0 && c.Listen > max {
		msg := fmt.Sprintf("Listen queue size is greater than the system max net.core.somaxconn (%d).", max)
		where := ""
		for _, e := range ld.list {
			if lo, ok := labOptions[e.Key]; ok && lo.canon == "listen" {
				where = e.Option.Where()
			}
		}
		return nil, &explain.Error{
			What: explain.T(msg, msg), Where: where,
			Why: explain.T(fmt.Sprintf("listen = %d asks for a longer accept queue than Linux allows (net.core.somaxconn = %d); uWSGI refuses to start rather than get a shorter one", c.Listen, max),
				fmt.Sprintf("listen = %d 要求的监听队列比 Linux 允许的还长（net.core.somaxconn = %d）；uWSGI 宁可不启动也不接受更短的队列", c.Listen, max)),
			Try: explain.T(fmt.Sprintf("use listen ≤ %d, or raise the limit: sysctl -w net.core.somaxconn=%d", max, c.Listen),
				fmt.Sprintf("把 listen 改成 ≤ %d，或提高系统上限：sysctl -w net.core.somaxconn=%d", max, c.Listen)),
		}
	}
	return c, nil
}

// apply is one option's uwsgi_opt_* setter.
func (ld *loader) apply(c *Config, lo labOpt, o Option, ef *effect) error {
	v := o.Value
	trap := commentAt(v) >= 0
	switch lo.kind {
	case kBool, kBoolNeg:
		b := truth(v)
		ef.text = onOff(lo.canon, b)
		switch lo.canon {
		case "master":
			c.Master = b
		case "stats-http":
			c.StatsHTTP = b
		case "stats-minified":
			c.StatsMinified = b
		case "vacuum":
			c.Vacuum = b
		case "die-on-term":
			c.DieOnTerm = b
		case "need-app":
			c.NeedApp = b
		case "enable-threads":
			c.EnableThreads = b
		case "lazy-apps":
			c.LazyApps = b
		case "disable-logging":
			c.DisableLogging = b
		case "memory-report":
			c.MemoryReport = b
		}
		if trap {
			ef.note = boolTrap(o, b)
		}
	case kInt:
		n := atoi(v)
		if o.NoValue {
			n = 1 // uwsgi_opt_set_int(NULL)
		}
		if n < 0 {
			return negativeError(o)
		}
		switch lo.canon {
		case "processes":
			c.Processes = n
		case "threads":
			c.Threads = n
			c.EnableThreads = true
		case "listen":
			c.Listen = n
		case "harakiri":
			c.Harakiri = n
		case "socket-timeout":
			c.SocketTimeout = n
		case "http-timeout":
			c.HTTPTimeout = n
		}
		ef.text = explain.T(fmt.Sprintf("%s = %d", lo.canon, n), fmt.Sprintf("%s = %d", lo.canon, n))
		if lo.canon == "processes" && n == 0 {
			ef.note = noWorkersNote(o)
		}
		if trap || strconv.Itoa(n) != strings.TrimSpace(v) {
			ef.note = numberNote(o, n, trap)
		}
	case kUint64, kUint16:
		n := strtoul(v)
		if o.NoValue {
			n = 1
		}
		if lo.kind == kUint16 && n > 65535 {
			n = 65535
		}
		switch lo.canon {
		case "buffer-size":
			c.BufferSize = int(n)
		case "max-requests":
			c.MaxRequests = int(min(n, 1<<31-1))
		}
		ef.text = explain.T(fmt.Sprintf("%s = %d", lo.canon, n), fmt.Sprintf("%s = %d", lo.canon, n))
		if trap || strconv.FormatUint(n, 10) != strings.TrimSpace(v) {
			ef.note = numberNote(o, int(min(n, 1<<31-1)), trap)
		}
	case kString:
		if err := ld.applyString(c, lo, o, ef); err != nil {
			return err
		}
	case kList:
		switch lo.canon {
		case "static-index":
			c.StaticIndex = append(c.StaticIndex, v)
		case "static-skip-ext":
			c.StaticSkipExt = append(c.StaticSkipExt, v)
		case "check-static":
			c.CheckStatic = append(c.CheckStatic, v)
		}
		ef.text = explain.T("adds "+quote(v), "添加 "+quote(v))
		if trap {
			ef.note = trapNote(o, "static lookups use the path "+quote(v)+" and find nothing", "静态文件查找使用路径 "+quote(v)+"，什么也找不到")
		}
	case kSocket, kRouter:
		kind := addrSocket
		if lo.kind == kRouter {
			kind = addrRouter
		}
		a, err := ld.h.parseAddr(o, kind)
		if err != nil {
			return err
		}
		switch lo.canon {
		case "socket":
			c.Sockets = append(c.Sockets, a)
		case "http-socket":
			c.HTTPSockets = append(c.HTTPSockets, a)
		case "http":
			c.HTTP = append(c.HTTP, a)
		}
		ef.text = addrEffect(lo.canon, a)
		ef.note = addrNote(o, lo.canon, a)
	case kStaticMap:
		mount, dir, ok := strings.Cut(v, "=")
		if !ok {
			return fatal(o, "invalid document root in static map, syntax mountpoint=docroot",
				explain.T("static-map needs a '=' between the URL prefix and the directory", "static-map 的 URL 前缀和目录之间必须有 '='"),
				explain.T("write static-map = /static=static (URL prefix = directory, relative to chdir)", "写成 static-map = /static=static（URL 前缀=目录，相对于 chdir）"))
		}
		c.StaticMaps = append(c.StaticMaps, StaticMap{Mount: mount, Dir: dir, Opt: o})
		ef.text = explain.T("serves "+mount+"… from "+quote(dir)+", else falls through to the app", "从 "+quote(dir)+" 提供 "+mount+"… 的文件，找不到就交给应用")
		if trap {
			ef.note = trapNote(o, "the directory is "+quote(dir)+", which does not exist: every "+mount+" request misses and falls through to the app (no CSS, no images)",
				"目录变成了 "+quote(dir)+"，并不存在：所有 "+mount+" 请求都找不到文件，转给应用处理（页面没有样式和图片）")
		}
	case kEnv:
		c.Env = append(c.Env, v)
		k, val, ok := strings.Cut(v, "=")
		if ok {
			ef.text = explain.T("sets environment variable "+k+" to "+quote(val), "设置环境变量 "+k+" 为 "+quote(val))
		} else {
			ef.text = explain.T("removes environment variable "+v+" (putenv without '=')", "删除环境变量 "+v+"（putenv 不带 '='）")
			ef.note = envNote(o)
		}
		if trap && ok {
			ef.note = trapNote(o, "the variable "+k+" is "+quote(val)+", comment included", "环境变量 "+k+" 的值是 "+quote(val)+"，连注释一起")
		}
	case kPlugins:
		var names []string
		for _, p := range strings.Split(v, ",") {
			if p != "" {
				names = append(names, p) // strtok skips empty names
			}
		}
		c.Plugins = append(c.Plugins, names...)
		ef.text = explain.T("loads plugins "+strings.Join(names, ", ")+" (the lab has python and http built in)", "加载插件 "+strings.Join(names, ", ")+"（本实验内置 python 和 http）")
		ef.note = pluginNote(o, names)
	case kPythonPath:
		c.PythonPath = append(c.PythonPath, v)
		ef.text = explain.T("adds "+quote(v)+" to sys.path", "把 "+quote(v)+" 加入 sys.path")
	case kINI, kInclude:
		ef.text = explain.T("reads "+v+" here", "在此读取 "+v)
	case kStrict:
		ef.text = onOff("strict", truth(v))
	case kSet:
		ef.text = explain.T("sets the option before '='", "设置 '=' 前面的选项")
	case kSignal:
		ef.text = explain.T(o.Key+"s the instance whose pid is in "+v, "向 "+v+" 里记录的进程发送 "+o.Key)
	}
	return nil
}

// applyString handles last-wins text options.
func (ld *loader) applyString(c *Config, lo labOpt, o Option, ef *effect) error {
	v := o.Value
	trap := commentAt(v) >= 0
	ef.text = explain.T(lo.canon+" = "+quote(v), lo.canon+" = "+quote(v))
	var en, zh string // what the trap does, when trap
	switch lo.canon {
	case "stats":
		a, err := ld.h.parseAddr(o, addrStats)
		if err != nil {
			return err
		}
		c.Stats = a
		ef.text = explain.T("stats server on "+a.Address+" ("+a.Network+"); turns the master on", "统计服务监听 "+a.Address+"（"+a.Network+"）；会打开主进程")
		ef.note = addrNote(o, "stats", a)
		return nil
	case "chdir":
		c.Chdir = v
		ef.text = explain.T("changes directory to "+quote(v)+" before binding sockets and loading the app", "在绑定 socket、加载应用之前切换到目录 "+quote(v))
		en = "uWSGI tries to change into the directory " + quote(v) + ", which does not exist, and stops at start: chdir() to " + v + " / chdir(): No such file or directory [core/uwsgi.c line N]"
		zh = "uWSGI 会切换到目录 " + quote(v) + "，它并不存在，启动即失败：chdir() to " + v + " / chdir(): No such file or directory [core/uwsgi.c line N]"
	case "wsgi-file":
		c.WSGIFile = v
		ef.text = explain.T("loads the app from "+quote(v)+" (relative to chdir)", "从 "+quote(v)+" 加载应用（相对于 chdir）")
		en = "uWSGI looks for a file literally named " + quote(v) + ": failed to open python file " + v + ", then *** no app loaded. going in full dynamic mode *** and every request gets 500"
		zh = "uWSGI 会去找名字就是 " + quote(v) + " 的文件：failed to open python file " + v + "，然后 *** no app loaded. going in full dynamic mode ***，每个请求都返回 500"
	case "module":
		c.Module = v
		ef.text = explain.T("imports the app from module "+quote(v), "从模块 "+quote(v)+" 导入应用")
		en, zh = "the module name is "+quote(v)+": the import fails and no app is loaded (every request gets 500)", "模块名变成了 "+quote(v)+"：导入失败，没有加载应用（每个请求都返回 500）"
	case "callable":
		c.Callable = v
		en, zh = "the callable is named "+quote(v)+": not found, no app is loaded", "可调用对象名变成了 "+quote(v)+"：找不到，没有加载应用"
	case "virtualenv":
		c.Virtualenv = v
		ef.text = explain.T("accepted: there is no Python here, the lab's apps are Go", "接受但不使用：这里没有 Python，本实验的应用是 Go 写的")
		ef.note = virtualenvNote(o)
		en, zh = "PYTHONHOME becomes "+quote(v)+": Python cannot start and uWSGI exits", "PYTHONHOME 变成 "+quote(v)+"：Python 无法启动，uWSGI 退出"
	case "pidfile":
		c.Pidfile = v
		ef.text = explain.T("writes the master's pid to "+quote(v), "把主进程 pid 写到 "+quote(v))
		en, zh = "the pid is written to a file literally named "+quote(v)+", so `uwsgi --stop` with the name you meant fails: open(...): No such file or directory", "pid 被写进名字就是 "+quote(v)+" 的文件，用你以为的文件名执行 `uwsgi --stop` 会失败：open(...): No such file or directory"
	case "pidfile2":
		c.Pidfile2 = v
		en, zh = "the pid file is literally named "+quote(v), "pid 文件的名字就是 "+quote(v)
	case "daemonize":
		c.Daemonize = v
		ef.text = explain.T("detaches and logs to "+quote(v), "转入后台运行，日志写到 "+quote(v))
		en = "uWSGI detaches at once and `uwsgi --ini` returns with no error on screen; everything it logs after that, startup errors included, goes to a file literally named " + quote(v) + " (if its directory does not exist, it stops: open(...): No such file or directory)"
		zh = "uWSGI 立即转入后台，`uwsgi --ini` 在屏幕上不报任何错误就返回；之后的所有日志（包括启动错误）都写进名字就是 " + quote(v) + " 的文件（所在目录不存在时直接退出：open(...): No such file or directory）"
	case "logto":
		c.Logto = v
		en, zh = "the log goes to a file literally named "+quote(v), "日志写进名字就是 "+quote(v)+" 的文件"
	}
	if trap && en != "" {
		ef.note = trapNote(o, en, zh) // more urgent than any other note on the line
	}
	return nil
}

// strtoul is C's strtoul(s, NULL, 10): like strtoll, but a '-' negates
// modulo 2^64 and overflow saturates.
func strtoul(s string) uint64 {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	var n uint64
	for i := 0; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		d := uint64(s[i] - '0')
		if n > (1<<64-1-d)/10 {
			return 1<<64 - 1
		}
		n = n*10 + d
	}
	if neg {
		return -n
	}
	return n
}

func quote(s string) string { return strconv.Quote(s) }

func onOff(name string, b bool) explain.Text {
	if b {
		return explain.T(name+" ON", name+" 开启")
	}
	return explain.T(name+" OFF", name+" 关闭")
}
