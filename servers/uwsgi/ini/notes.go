package ini

import (
	"fmt"
	"strings"

	"webflow-lab/servers/explain"
)

// commentAt finds what a reader takes for an inline comment: a '#' or ';'
// after a space or TAB. uWSGI has no inline comments; the text is part of
// the value. -1 when there is none.
func commentAt(v string) int {
	for i := 1; i < len(v); i++ {
		if (v[i] == '#' || v[i] == ';') && (v[i-1] == ' ' || v[i-1] == '\t') {
			return i - 1
		}
	}
	return -1
}

// moveComment is the fix for an inline comment: the comment on its own line
// above the option.
func moveComment(o Option) explain.Text {
	i := commentAt(o.Value)
	if i < 0 {
		return explain.Text{}
	}
	before, comment := strings.TrimRight(o.Value[:i], " \t"), strings.TrimLeft(o.Value[i:], " \t")
	fix := fmt.Sprintf("%s\n         %s = %s", comment, o.Key, before)
	return explain.T("move the comment to its own line (uWSGI only knows comment lines starting with ; or #):\n         "+fix,
		"把注释移到单独一行（uWSGI 只认以 ; 或 # 开头的整行注释）：\n         "+fix)
}

// trapNote is the note for a value that carries a would-be comment.
func trapNote(o Option, en, zh string) *explain.Error {
	return &explain.Error{
		What: explain.T(fmt.Sprintf("uwsgi: %s = %s: uWSGI has no inline comments, the value is all of %q", o.Key, o.Value, o.Value),
			fmt.Sprintf("uwsgi: %s = %s：uWSGI 没有行尾注释，整段 %q 都是值", o.Key, o.Value, o.Value)),
		Where: o.Where(),
		Why:   explain.T(en, zh),
		Try:   moveComment(o),
	}
}

func boolTrap(o Option, b bool) *explain.Error {
	if b {
		return trapNote(o,
			fmt.Sprintf("%s is ON: uWSGI turns a switch off only for exactly false, off, no or 0, and %q is none of them", o.Key, o.Value),
			fmt.Sprintf("%s 是开启的：只有值恰好是 false、off、no 或 0 时 uWSGI 才关闭开关，而 %q 都不是", o.Key, o.Value))
	}
	return trapNote(o, o.Key+" is OFF", o.Key+" 是关闭的")
}

func numberNote(o Option, n int, trap bool) *explain.Error {
	en := fmt.Sprintf("uWSGI 2.0 reads the leading digits with atoi and silently uses %d (uWSGI 2.1 warns: [WARNING] non-numeric value %q for option %q - using %d !)", n, o.Value, o.Key, n)
	zh := fmt.Sprintf("uWSGI 2.0 用 atoi 只读前面的数字，默默地使用 %d（uWSGI 2.1 会警告：[WARNING] non-numeric value %q for option %q - using %d !）", n, o.Value, o.Key, n)
	if trap {
		return trapNote(o, en, zh)
	}
	return &explain.Error{
		What:  explain.T(fmt.Sprintf("uwsgi: %s = %s is not a plain number: uWSGI uses %d", o.Key, o.Value, n), fmt.Sprintf("uwsgi: %s = %s 不是纯数字：uWSGI 使用 %d", o.Key, o.Value, n)),
		Where: o.Where(),
		Why:   explain.T(en, zh),
		Try:   explain.T(fmt.Sprintf("write the number alone: %s = %d", o.Key, n), fmt.Sprintf("只写数字：%s = %d", o.Key, n)),
	}
}

func noWorkersNote(o Option) *explain.Error {
	return &explain.Error{
		What:  explain.T("uwsgi: processes = 0: no workers (*** Operational MODE: no-workers ***)", "uwsgi: processes = 0：没有工作进程（*** Operational MODE: no-workers ***）"),
		Where: o.Where(),
		Why: explain.T("uWSGI starts, binds its sockets and spawns no worker: connections wait in the listen queue and are never answered",
			"uWSGI 会启动并绑定 socket，但不创建任何工作进程：连接停在监听队列里，永远得不到响应"),
		Try: explain.T("processes = 1 or more", "processes 设为 1 或更多"),
	}
}

func addrEffect(canon string, a Addr) explain.Text {
	if a.Network == "unix" {
		return explain.T(fmt.Sprintf("%s on UNIX socket %q", canon, a.Address), fmt.Sprintf("%s 监听 UNIX socket %q", canon, a.Address))
	}
	en := fmt.Sprintf("%s on %s", canon, a.Address)
	zh := fmt.Sprintf("%s 监听 %s", canon, a.Address)
	if canon == "http" || canon == "http-socket" {
		en += fmt.Sprintf(", SERVER_PORT = %q", a.Port)
		zh += fmt.Sprintf("，SERVER_PORT = %q", a.Port)
	}
	return explain.T(en, zh)
}

// addrNote explains an address that does not do what it looks like: a
// comment in it, an unresolvable host, a port out of range.
func addrNote(o Option, canon string, a Addr) *explain.Error {
	var en, zh []string
	if a.Network == "unix" {
		if commentAt(o.Value) < 0 && !strings.ContainsAny(o.Value, " \t") {
			return nil
		}
		en = append(en, fmt.Sprintf("there is no ':' so this is a UNIX socket, literally named %q", a.Address))
		zh = append(zh, fmt.Sprintf("值里没有 ':'，所以这是一个 UNIX socket，文件名就是 %q", a.Address))
		if canon == "socket" {
			en = append(en, "nginx's uwsgi_pass to the path you meant gets: connect() failed (2: No such file or directory) → 502")
			zh = append(zh, "nginx 用你以为的路径 uwsgi_pass 会得到：connect() failed (2: No such file or directory) → 502")
		}
	} else {
		host, _ := splitLast(strings.TrimLeft(o.Value, " \t\n\v\f\r"))
		ip, port, _ := strings.Cut(a.Address, "]:")
		if !strings.HasPrefix(a.Address, "[") {
			i := strings.LastIndexByte(a.Address, ':')
			ip, port = a.Address[:i], a.Address[i+1:]
		}
		if ip == "255.255.255.255" && host != "255.255.255.255" {
			en = append(en, fmt.Sprintf("the host part is %q (before the LAST ':'), which does not resolve: uWSGI binds 255.255.255.255 without a word", host))
			zh = append(zh, fmt.Sprintf("主机部分是 %q（最后一个 ':' 之前的部分），无法解析：uWSGI 不报错，直接绑定 255.255.255.255", host))
		}
		if port == "0" && strings.TrimSpace(a.Port) != "0" {
			en = append(en, fmt.Sprintf("the port text %q reads as 0, so the kernel picks a random port", a.Port))
			zh = append(zh, fmt.Sprintf("端口文字 %q 读出来是 0，于是由内核随机分配端口", a.Port))
		} else if fmt.Sprint(atoi(a.Port)) != port {
			en = append(en, fmt.Sprintf("the port text %q reads as %d, taken mod 65536: port %s", a.Port, atoi(a.Port), port))
			zh = append(zh, fmt.Sprintf("端口文字 %q 读出来是 %d，按 65536 取模：端口 %s", a.Port, atoi(a.Port), port))
		} else if strings.TrimSpace(a.Port) != port {
			en = append(en, fmt.Sprintf("the port is %s (atoi stops at the first non-digit)", port))
			zh = append(zh, fmt.Sprintf("端口是 %s（atoi 读到第一个非数字就停）", port))
		}
		if canon == "http" && a.Port != port {
			en = append(en, fmt.Sprintf("the router logs \"uWSGI http bound on %s\" and every request gets SERVER_PORT = %q", a.Raw, a.Port))
			zh = append(zh, fmt.Sprintf("路由进程日志是 \"uWSGI http bound on %s\"，每个请求的 SERVER_PORT 都是 %q", a.Raw, a.Port))
		}
		if canon == "http-socket" && a.Port != port {
			en = append(en, fmt.Sprintf("uWSGI logs \"uwsgi socket 0 bound to TCP address %s\" and every request gets SERVER_PORT = %q", a.Raw, a.Port))
			zh = append(zh, fmt.Sprintf("uWSGI 日志是 \"uwsgi socket 0 bound to TCP address %s\"，每个请求的 SERVER_PORT 都是 %q", a.Raw, a.Port))
		}
		if len(en) == 0 {
			return nil
		}
		en = append([]string{"binds " + a.Address}, en...)
		zh = append([]string{"绑定 " + a.Address}, zh...)
	}
	if commentAt(o.Value) >= 0 {
		return trapNote(o, strings.Join(en, "; "), strings.Join(zh, "；"))
	}
	return &explain.Error{
		What:  explain.T(fmt.Sprintf("uwsgi: %s = %s does not bind what it looks like", o.Key, o.Value), fmt.Sprintf("uwsgi: %s = %s 绑定的地址和看上去不一样", o.Key, o.Value)),
		Where: o.Where(),
		Why:   explain.T(strings.Join(en, "; "), strings.Join(zh, "；")),
		Try:   explain.T("write host:port with a host this machine has (127.0.0.1, or empty for all interfaces) and a port 1–65535", "写成 主机:端口，主机用本机地址（127.0.0.1，或留空表示所有网卡），端口 1–65535"),
	}
}

// splitLast splits at the last ':'.
func splitLast(s string) (string, string) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return s, ""
	}
	return s[:i], s[i+1:]
}

func unknownNote(o Option) *explain.Error {
	why := explain.T(fmt.Sprintf("%q is not a uWSGI option, so uWSGI ignores it without a word (it still works as the variable %%(%s)); with strict = true it would stop: [strict-mode] unknown config directive: %s", o.Key, o.Key, o.Key),
		fmt.Sprintf("%q 不是 uWSGI 的选项，uWSGI 会一声不响地忽略它（它仍可作为变量 %%(%s) 使用）；如果设置了 strict = true，uWSGI 会停止：[strict-mode] unknown config directive: %s", o.Key, o.Key, o.Key))
	try := explain.T("check the spelling against `uwsgi --help`", "对照 `uwsgi --help` 检查拼写")
	if strings.ContainsAny(o.Key, " \t") && o.Value == "" {
		try = explain.T("a line without '=' is a key with an empty value: write key = value", "没有 '=' 的行是一个值为空的键：写成 键 = 值")
	}
	return &explain.Error{
		What:  explain.T(fmt.Sprintf("uwsgi: unknown option %q is ignored", o.Key), fmt.Sprintf("uwsgi: 未知选项 %q 被忽略", o.Key)),
		Where: o.Where(), Why: why, Try: try,
	}
}

func ignoredNote(o Option) *explain.Error {
	why := explain.T(fmt.Sprintf("%q is a real uWSGI option; webflow-lab accepts it and does not act on it", o.Key),
		fmt.Sprintf("%q 是真实的 uWSGI 选项；webflow-lab 接受它，但不处理", o.Key))
	if flagsOf(o.Key)&optMaster != 0 {
		why.EN += "; like uWSGI, naming it turns the master on"
		why.ZH += "；与 uWSGI 一样，写了它就会打开主进程"
	}
	return &explain.Error{
		What:  explain.T(fmt.Sprintf("uwsgi: %s is accepted but ignored by the lab", o.Key), fmt.Sprintf("uwsgi: %s 被接受，但本实验不处理", o.Key)),
		Where: o.Where(), Why: why,
	}
}

func overriddenNote(o, by Option) *explain.Error {
	return &explain.Error{
		What:  explain.T(fmt.Sprintf("uwsgi: %s = %s is replaced by %s = %s", o.Key, o.Value, by.Key, by.Value), fmt.Sprintf("uwsgi: %s = %s 被 %s = %s 覆盖", o.Key, o.Value, by.Key, by.Value)),
		Where: o.Where(),
		Why:   explain.T("for a single-valued option the last setting wins ("+by.Where()+")", "单值选项以最后一次设置为准（"+by.Where()+"）"),
		Try:   explain.T("keep one line per option", "每个选项只保留一行"),
	}
}

func envNote(o Option) *explain.Error {
	return &explain.Error{
		What:  explain.T(fmt.Sprintf("uwsgi: env = %s has no '=': it removes %s from the environment", o.Value, o.Value), fmt.Sprintf("uwsgi: env = %s 没有 '='：它会把 %s 从环境变量中删除", o.Value, o.Value)),
		Where: o.Where(),
		Why:   explain.T("uWSGI passes the value to putenv(), which removes a variable given without '='", "uWSGI 把值交给 putenv()，不带 '=' 的变量会被删除"),
		Try:   explain.T("write env = NAME=value", "写成 env = 变量名=值"),
	}
}

// builtinPlugins are the plugin names a pip-built uWSGI has inside and
// distro packages ship as files; the lab has their behaviour built in.
func builtinPlugin(name string) bool {
	switch name {
	case "python", "python3", "http", "corerouter", "router_static", "logfile", "ping", "cache", "carbon", "notfound", "echo":
		return true
	}
	return strings.HasPrefix(name, "python3") || strings.HasPrefix(name, "python")
}

func pluginNote(o Option, names []string) *explain.Error {
	var odd []string
	for _, n := range names {
		if !builtinPlugin(n) {
			odd = append(odd, n)
		}
	}
	if len(odd) == 0 {
		return nil
	}
	en := fmt.Sprintf("the lab has python and http built in and cannot load %s; real uWSGI looks for %s_plugin.so and, when it is missing, stops: unable to load plugin %q", strings.Join(odd, ", "), odd[0], odd[0])
	zh := fmt.Sprintf("本实验内置 python 和 http，无法加载 %s；真实的 uWSGI 会去找 %s_plugin.so，找不到就退出：unable to load plugin %q", strings.Join(odd, ", "), odd[0], odd[0])
	if commentAt(o.Value) >= 0 {
		return trapNote(o, en, zh)
	}
	return &explain.Error{
		What:  explain.T("uwsgi: plugin "+strings.Join(odd, ", ")+" is not available in the lab", "uwsgi: 本实验没有插件 "+strings.Join(odd, ", ")),
		Where: o.Where(), Why: explain.T(en, zh),
		Try: explain.T("plugins = python3,http is all the lab needs", "本实验只需要 plugins = python3,http"),
	}
}

func virtualenvNote(o Option) *explain.Error {
	return &explain.Error{
		What:  explain.T("uwsgi: "+o.Key+" = "+o.Value+" is accepted: there is no Python here, the lab's apps are Go", "uwsgi: 接受 "+o.Key+" = "+o.Value+"：这里没有 Python，本实验的应用是 Go 写的"),
		Where: o.Where(),
		Why: explain.T("real uWSGI sets PYTHONHOME to this directory; a wrong path makes Python fail to start and uWSGI exit",
			"真实的 uWSGI 会把 PYTHONHOME 设为这个目录；路径错了 Python 就无法启动，uWSGI 随即退出"),
	}
}

// headerNote explains a section header that does not name what it seems to.
func headerNote(f *File, l Line) *explain.Error {
	if l.Kind != Header {
		return nil
	}
	name := l.Section
	clean := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(strings.SplitN(l.Text[1:], "]", 2)[0]), "]"))
	if strings.HasSuffix(l.Text, "]") && name == strings.TrimSpace(name) {
		return nil
	}
	return &explain.Error{
		What: explain.T(fmt.Sprintf("uwsgi: the header %s opens section %q, not [%s]", l.Text, name, clean),
			fmt.Sprintf("uwsgi: 节标题 %s 打开的是节 %q，而不是 [%s]", l.Text, name, clean)),
		Where: fmt.Sprintf("%s:%d", f.Path, l.N),
		Why: explain.T("uWSGI takes everything after '[' minus the last character as the section name, whatever that character is, so the lines below it are not read as ["+clean+"]",
			"uWSGI 把 '[' 之后、去掉最后一个字符的全部文字当作节名，不管最后那个字符是什么，所以下面的行不会被当作 ["+clean+"] 读取"),
		Try: explain.T("write the header alone on its line: ["+clean+"] (a comment goes on the next line)", "节标题单独一行：["+clean+"]（注释放到下一行）"),
	}
}

// quotedNote: uWSGI keeps quotes.
func quotedNote(o Option) *explain.Error {
	v := o.Value
	if len(v) < 2 || !(v[0] == '"' && v[len(v)-1] == '"' || v[0] == '\'' && v[len(v)-1] == '\'') {
		return nil
	}
	return &explain.Error{
		What:  explain.T(fmt.Sprintf("uwsgi: %s = %s keeps its quotes", o.Key, v), fmt.Sprintf("uwsgi: %s = %s 的引号会被保留", o.Key, v)),
		Where: o.Where(),
		Why:   explain.T("uWSGI's ini parser does not remove quotes: they are part of the value", "uWSGI 的 ini 解析器不去掉引号：引号是值的一部分"),
		Try:   explain.T(fmt.Sprintf("write %s = %s", o.Key, v[1:len(v)-1]), fmt.Sprintf("写成 %s = %s", o.Key, v[1:len(v)-1])),
	}
}
