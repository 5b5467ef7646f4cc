package config

import (
	"fmt"
	"strings"

	"webflow-lab/servers/explain"
)

// check runs the part of a directive's nginx "set" function that can fail:
// "is duplicate", value syntax, and the rules of the directives the lab
// supports. Messages are nginx's.
func (p *parser) check(b *block, s spec, d *Directive) error {
	bad := func(kind errKind, h hint, format string, args ...any) error {
		if h.name == "" {
			h.name = d.Name
		}
		return p.fail(d.File, d.EndLine, kind, h, format, args...)
	}
	dup := func() error {
		return bad(errDuplicate, hint{}, `"%s" directive is duplicate`, d.Name)
	}
	invalid := func() error {
		return bad(errValue, valueHint(d.Name, d.Args), `"%s" directive invalid value`, d.Name)
	}
	if s.set.once() && b.seen[d.Name] != nil {
		return dup()
	}
	arg := d.Arg(0)
	switch s.set {
	case setFlag:
		if !strings.EqualFold(arg, "on") && !strings.EqualFold(arg, "off") {
			return bad(errValue, hint{
				why: explain.T(fmt.Sprintf("%q is a switch: its value is on or off", d.Name), fmt.Sprintf("%q 是开关：取值为 on 或 off", d.Name)),
				try: explain.T(fmt.Sprintf("write %s on; or %s off;", d.Name, d.Name), fmt.Sprintf("写成 %s on; 或 %s off;", d.Name, d.Name)),
			}, `invalid value "%s" in "%s" directive, it must be "on" or "off"`, arg, d.Name)
		}
	case setNum:
		if _, ok := atoi(arg); !ok {
			return bad(errValue, valueHint(d.Name, d.Args), `"%s" directive invalid number`, d.Name)
		}
	case setSize:
		if _, err := ParseSize(arg); err != nil {
			return invalid()
		}
	case setOff:
		if _, err := ParseOffset(arg); err != nil {
			return invalid()
		}
	case setMsec:
		if _, err := parseTime(arg, false); err != nil {
			return invalid()
		}
	case setSec:
		if _, err := parseTime(arg, true); err != nil {
			return invalid()
		}
	case setEnum:
		if vals := enumValues[d.Name]; vals != nil && !contains(vals, strings.ToLower(arg)) {
			return bad(errValue, hint{
				why: explain.T(fmt.Sprintf("%q accepts only: %s", d.Name, strings.Join(vals, " ")),
					fmt.Sprintf("%q 只接受：%s", d.Name, strings.Join(vals, " "))),
				try: explain.T(fmt.Sprintf("write %s %s;", d.Name, vals[0]), fmt.Sprintf("写成 %s %s;", d.Name, vals[0])),
			}, `invalid value "%s"`, arg)
		}
	case setBitmask:
		if vals := bitmaskValues[d.Name]; vals != nil {
			seen := map[string]bool{}
			for _, a := range d.Args {
				if !contains(vals, strings.ToLower(a)) {
					h := hint{
						why: explain.T(fmt.Sprintf("%q accepts only: %s", d.Name, strings.Join(vals, " ")),
							fmt.Sprintf("%q 只接受：%s", d.Name, strings.Join(vals, " "))),
						try: explain.T("remove "+a, "删除 "+a),
					}
					if d.Name == "uwsgi_next_upstream" && (a == "http_502" || a == "http_504") {
						h.try = explain.T("unlike proxy_next_upstream, uwsgi_next_upstream has no http_502 and no http_504 in nginx: remove "+a,
							"与 proxy_next_upstream 不同，nginx 的 uwsgi_next_upstream 没有 http_502 和 http_504：删除 "+a)
					}
					return bad(errValue, h, `invalid value "%s"`, a)
				}
				if seen[a] {
					p.warn(d, fmt.Sprintf(`duplicate value "%s"`, a), explain.T("the same value is listed twice", "同一个取值写了两次"))
				}
				seen[a] = true
			}
		}
	}
	if f := checks[d.Name]; f != nil {
		if err := f(p, b, d, bad); err != nil {
			return err
		}
	}
	if handlerScripts[d.Name] || d.Name == "if" {
		scripts, _ := scriptStrings(d)
		for _, s := range scripts {
			if msg := scriptError(s); msg != "" {
				return bad(errValue, hint{
					why: explain.T("a '$' starts a variable: $name or ${name}, with letters, digits and _", "'$' 表示变量：$name 或 ${name}，由字母、数字和 _ 组成"),
					try: explain.T("complete the variable name, or close the ${…} bracket", "补全变量名，或补上 ${…} 的右括号"),
				}, "%s", msg)
			}
		}
	}
	return nil
}

func (p *parser) warn(d *Directive, msg string, text explain.Text) {
	p.cfg.Warnings = append(p.cfg.Warnings, Warning{Msg: msg, File: d.File, Line: d.EndLine, Text: text})
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

var enumValues = map[string][]string{
	"server_tokens":      {"off", "on", "build"},
	"proxy_http_version": {"1.0", "1.1"},
}

// bitmaskValues are the ngx_conf_bitmask_t tables. ⚠ uwsgi's list has no
// http_502 and no http_504 (ngx_http_uwsgi_next_upstream_masks); proxy's has.
var bitmaskValues = map[string][]string{
	"uwsgi_next_upstream": {"error", "timeout", "invalid_header", "non_idempotent", "http_500", "http_503",
		"http_403", "http_404", "http_429", "updating", "off"},
	"proxy_next_upstream": {"error", "timeout", "invalid_header", "non_idempotent", "http_500", "http_502",
		"http_503", "http_504", "http_403", "http_404", "http_429", "updating", "off"},
}

type badFunc func(kind errKind, h hint, format string, args ...any) error

// checks are the set functions of supported directives that do more than a
// generic slot.
var checks map[string]func(p *parser, b *block, d *Directive, bad badFunc) error

func init() {
	checks = map[string]func(p *parser, b *block, d *Directive, bad badFunc) error{
		"worker_processes":   checkWorkerProcesses,
		"worker_connections": checkWorkerConnections,
		"events":             checkOnce,
		"http":               checkOnce,
		"try_files":          checkTryFiles,
		"uwsgi_pass":         checkPass,
		"proxy_pass":         checkPass,
		"root":               checkRoot,
		"alias":              checkRoot,
		"location":           checkLocation,
		"listen":             checkListen,
		"return":             checkReturn,
		"error_page":         checkErrorPage,
		"uwsgi_param":        checkParam,
		"upstream":           checkUpstream,
		"server":             checkUpstreamServer,
		"ip_hash":            checkBalancer,
		"least_conn":         checkBalancer,
		"hash":               checkBalancer,
		"random":             checkBalancer,
		"log_format":         checkLogFormat,
		"map":                checkMap,
		"set":                checkSet,
		"server_name":        checkServerName,
		"access_log":         checkAccessLog,
		"error_log":          checkErrorLog,
		"keepalive_timeout":  checkKeepalive,
		"if":                 checkIf,
	}
}

func checkOnce(p *parser, b *block, d *Directive, bad badFunc) error {
	if b.seen[d.Name] != nil {
		return bad(errDuplicate, hint{}, `"%s" directive is duplicate`, d.Name)
	}
	return nil
}

func checkTryFiles(p *parser, b *block, d *Directive, bad badFunc) error {
	if err := checkOnce(p, b, d, bad); err != nil {
		return err
	}
	last := d.Args[len(d.Args)-1]
	if strings.HasPrefix(last, "=") {
		if code, ok := atoi(last[1:]); !ok || code > 999 {
			return bad(errValue, hint{
				why: explain.T("the last try_files argument is a URI, a @name, or =code with a status code", "try_files 的最后一个参数是 URI、@名称，或 =状态码"),
				try: explain.T("write try_files $uri $uri/ =404;", "写成 try_files $uri $uri/ =404;"),
			}, `invalid code "%s"`, tryFilesCodeText(last))
		}
	}
	return nil
}

// tryFilesCodeText is the argument as nginx prints it: a word with a
// variable was compiled as a script, whose length excludes the final byte.
func tryFilesCodeText(s string) string {
	if strings.Contains(s, "$") {
		return s[:len(s)-1]
	}
	return s
}

func checkWorkerProcesses(p *parser, b *block, d *Directive, bad badFunc) error {
	if err := checkOnce(p, b, d, bad); err != nil {
		return err
	}
	if _, ok := atoi(d.Arg(0)); !ok && d.Arg(0) != "auto" {
		return bad(errValue, hint{
			why: explain.T("worker_processes is a number of processes, or auto (one per CPU)", "worker_processes 是进程数，或 auto（每个 CPU 一个）"),
			try: explain.T("write worker_processes 1; or worker_processes auto;", "写成 worker_processes 1; 或 worker_processes auto;"),
		}, `"worker_processes" directive invalid value`)
	}
	return nil
}

func checkWorkerConnections(p *parser, b *block, d *Directive, bad badFunc) error {
	if err := checkOnce(p, b, d, bad); err != nil {
		return err
	}
	if _, ok := atoi(d.Arg(0)); !ok {
		return bad(errValue, valueHint(d.Name, d.Args), `invalid number "%s"`, d.Arg(0))
	}
	return nil
}

func checkPass(p *parser, b *block, d *Directive, bad badFunc) error {
	if err := checkOnce(p, b, d, bad); err != nil {
		return err
	}
	if d.Name == "proxy_pass" {
		u := strings.ToLower(d.Arg(0))
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") && !strings.Contains(u, "$") {
			return bad(errValue, hint{
				why: explain.T("proxy_pass takes a URL starting with http:// or https://", "proxy_pass 的参数是以 http:// 或 https:// 开头的 URL"),
				try: explain.T("write proxy_pass http://"+d.Arg(0)+";", "写成 proxy_pass http://"+d.Arg(0)+";"),
			}, "invalid URL prefix")
		}
		rest := d.Arg(0)[strings.Index(d.Arg(0), "//")+2:]
		if !strings.Contains(rest, "$") {
			hostport, _, _ := strings.Cut(rest, "/")
			if hostport == "" {
				return bad(errValue, hint{
					why: explain.T("proxy_pass needs a host after http://", "proxy_pass 在 http:// 后面需要主机"),
					try: explain.T("write proxy_pass http://127.0.0.1:9000; or the name of an upstream block", "写成 proxy_pass http://127.0.0.1:9000; 或 upstream 块的名字"),
				}, `no host in upstream "%s"`, rest)
			}
			if i := strings.LastIndexByte(hostport, ':'); i >= 0 && !strings.HasSuffix(hostport, "]") && !strings.HasPrefix(hostport, "unix:") {
				if n, ok := atoi(hostport[i+1:]); !ok || n < 1 || n > 65535 {
					return bad(errValue, hint{
						why: explain.T("the port after ':' must be a number from 1 to 65535", "':' 后面的端口必须是 1 到 65535 之间的数字"),
						try: explain.T("write proxy_pass http://127.0.0.1:9000;", "写成 proxy_pass http://127.0.0.1:9000;"),
					}, `invalid port in upstream "%s"`, rest)
				}
			}
		}
		// ngx_http_proxy_pass: where the matched prefix is not a plain
		// string there is nothing to replace with the URI part.
		if !strings.Contains(rest, "$") && strings.Contains(rest, "/") {
			mod, name := "", ""
			if b.owner != nil && b.owner.Name == "location" {
				mod, name = locationParts(b.owner)
			}
			if b.ctx == LocationIf || b.ctx == LimitExcept || mod == "~" || mod == "~*" || strings.HasPrefix(name, "@") {
				return bad(errValue, hint{
					why: explain.T("proxy_pass with a URI part replaces the matched location prefix; a regex, named location, if or limit_except has no prefix to replace",
						"带 URI 部分的 proxy_pass 会替换匹配到的 location 前缀；正则、命名 location、if 或 limit_except 中没有可替换的前缀"),
					try: explain.T("drop the path after host:port (proxy_pass http://"+rest[:strings.IndexByte(rest, '/')]+";), or rewrite the URI first",
						"去掉 主机:端口 后面的路径（proxy_pass http://"+rest[:strings.IndexByte(rest, '/')]+";），或先 rewrite URI"),
				}, `"proxy_pass" cannot have URI part in location given by regular expression, or inside named location, or inside "if" statement, or inside "limit_except" block`)
			}
		}
	}
	if d.Name == "uwsgi_pass" && !strings.Contains(d.Arg(0), "$") {
		u := d.Arg(0)
		for _, scheme := range []string{"uwsgi://", "suwsgi://"} {
			if strings.HasPrefix(strings.ToLower(u), scheme) {
				u = u[len(scheme):]
			}
		}
		if i := strings.LastIndexByte(u, ':'); i >= 0 && !strings.HasPrefix(u, "unix:") && !strings.HasSuffix(u, "]") {
			if n, ok := atoi(u[i+1:]); !ok || n < 1 || n > 65535 {
				return bad(errValue, hint{
					why: explain.T("the port after ':' must be a number from 1 to 65535: the port of uWSGI's socket= line", "':' 后面的端口必须是 1 到 65535 之间的数字：即 uWSGI 的 socket= 端口"),
					try: explain.T("write uwsgi_pass 127.0.0.1:9001;", "写成 uwsgi_pass 127.0.0.1:9001;"),
				}, `invalid port in upstream "%s"`, u)
			}
		}
	}
	p.passes = append(p.passes, d)
	return nil
}

func checkRoot(p *parser, b *block, d *Directive, bad badFunc) error {
	other := map[string]string{"root": "alias", "alias": "root"}[d.Name]
	if b.seen[d.Name] != nil {
		return bad(errDuplicate, hint{}, `"%s" directive is duplicate`, d.Name)
	}
	if b.seen[other] != nil {
		return bad(errDuplicate, hint{
			why: explain.T("root and alias both say where files come from; a location may use only one",
				"root 和 alias 都指定文件所在位置；一个 location 只能用其中一个"),
			try: explain.T("root appends the whole URI; alias replaces the location prefix — keep the one you mean",
				"root 会拼接完整 URI；alias 会替换 location 前缀——保留你需要的那个"),
		}, `"%s" directive is duplicate, "%s" directive was specified earlier`, d.Name, other)
	}
	return nil
}

func checkLocation(p *parser, b *block, d *Directive, bad badFunc) error {
	mod, name := "", d.Arg(0)
	if len(d.Args) == 2 {
		mod, name = d.Args[0], d.Args[1]
		if mod != "=" && mod != "~" && mod != "~*" && mod != "^~" {
			return bad(errLocation, hint{
				why: explain.T("a location modifier is one of = ~ ~* ^~", "location 修饰符只能是 = ~ ~* ^~ 之一"),
				try: explain.T("write location = /x, location ~ regex, location ~* regex or location ^~ /x", "写成 location = /x、location ~ 正则、location ~* 正则 或 location ^~ /x"),
			}, `invalid location modifier "%s"`, mod)
		}
	} else if len(name) > 1 {
		// "=/x", "~regex", "^~/x" written without a space (ngx_http_core_location).
		switch {
		case name[0] == '=':
			mod, name = "=", name[1:]
		case strings.HasPrefix(name, "^~"):
			mod, name = "^~", name[2:]
		case strings.HasPrefix(name, "~*"):
			mod, name = "~*", name[2:]
		case name[0] == '~':
			mod, name = "~", name[1:]
		}
	}
	outer := b.owner
	if outer == nil || outer.Name != "location" {
		return nil
	}
	omod, oname := locationParts(outer)
	if omod == "=" {
		return bad(errLocation, hint{
			why: explain.T("an exact location (=) matches one URI only; nothing can be nested in it", "精确匹配（=）的 location 只匹配一个 URI，里面不能再嵌套 location"),
			try: explain.T("move the inner location out, next to the exact one", "把内层 location 移出来，与精确匹配的 location 并列"),
		}, `location "%s" cannot be inside the exact location "%s"`, name, oname)
	}
	moveOut := explain.T("move it out to the server level", "把它移到 server 层")
	if strings.HasPrefix(oname, "@") {
		return bad(errLocation, hint{
			why: explain.T("a named location (@name) is only a target of internal redirects; nothing can be nested in it", "命名 location（@name）只是内部跳转的目标，里面不能嵌套 location"),
			try: moveOut,
		}, `location "%s" cannot be inside the named location "%s"`, name, oname)
	}
	if strings.HasPrefix(name, "@") {
		return bad(errLocation, hint{
			why: explain.T("named locations (@name) belong directly in server { }", "命名 location（@name）必须直接写在 server { } 中"),
			try: moveOut,
		}, `named location "%s" can be on the server level only`, name)
	}
	// Only the inner location's kind matters: a prefix inside a regex
	// location must still start with the regex's text (ngx_filename_cmp).
	if mod != "~" && mod != "~*" && !strings.HasPrefix(name, oname) {
		return bad(errLocation, hint{
			why: explain.T(fmt.Sprintf("a nested prefix location must start with its parent's prefix %q", oname), fmt.Sprintf("嵌套的前缀 location 必须以外层前缀 %q 开头", oname)),
			try: explain.T("move the location out of its parent, or make its path start with the parent's", "把它移出外层 location，或让它的路径以外层路径开头"),
		}, `location "%s" is outside location "%s"`, name, oname)
	}
	return nil
}

// locationParts splits a location's arguments into modifier and name.
func locationParts(d *Directive) (mod, name string) {
	if len(d.Args) == 2 {
		return d.Args[0], d.Args[1]
	}
	name = d.Arg(0)
	switch {
	case strings.HasPrefix(name, "="):
		return "=", name[1:]
	case strings.HasPrefix(name, "^~"):
		return "^~", name[2:]
	case strings.HasPrefix(name, "~*"):
		return "~*", name[2:]
	case strings.HasPrefix(name, "~"):
		return "~", name[1:]
	}
	return "", name
}

func checkReturn(p *parser, b *block, d *Directive, bad badFunc) error {
	code, ok := atoi(d.Arg(0))
	if ok && code <= 999 {
		return nil
	}
	a := d.Arg(0)
	if !ok && len(d.Args) == 1 && (strings.HasPrefix(a, "http://") || strings.HasPrefix(a, "https://") || strings.HasPrefix(a, "$scheme")) {
		return nil
	}
	return bad(errValue, hint{
		why: explain.T("return takes a status code, optionally followed by a URL or text; or just a URL starting with http:// or https://",
			"return 的参数是状态码，后面可跟 URL 或文本；或只写一个以 http:// 或 https:// 开头的 URL"),
		try: explain.T("write return 200 \"text\"; or return 301 https://host$request_uri;", "写成 return 200 \"文本\"; 或 return 301 https://host$request_uri;"),
	}, `invalid return code "%s"`, a)
}

func checkErrorPage(p *parser, b *block, d *Directive, bad badFunc) error {
	n := len(d.Args) - 1
	if strings.HasPrefix(d.Args[n-1], "=") {
		n--
	}
	for _, a := range d.Args[:n] {
		code, ok := atoi(a)
		if !ok {
			return bad(errValue, valueHint(d.Name, d.Args), `invalid value "%s"`, a)
		}
		if code < 300 || code > 599 {
			return bad(errValue, hint{
				why: explain.T("error_page handles error and redirect codes only", "error_page 只处理错误码和重定向码"),
				try: explain.T("use codes from 300 to 599", "使用 300 到 599 之间的状态码"),
			}, `value "%s" must be between 300 and 599`, a)
		}
	}
	return nil
}

func checkParam(p *parser, b *block, d *Directive, bad badFunc) error {
	if len(d.Args) == 3 && d.Args[2] != "if_not_empty" {
		return bad(errValue, hint{
			why: explain.T("the only third argument uwsgi_param takes is if_not_empty", "uwsgi_param 的第三个参数只能是 if_not_empty"),
			try: explain.T("quote a value that contains spaces", "含空格的值要用引号括起来"),
		}, `invalid parameter "%s"`, d.Args[2])
	}
	return nil
}

func checkMap(p *parser, b *block, d *Directive, bad badFunc) error {
	if name := d.Arg(1); name == "" || name[0] != '$' {
		return bad(errValue, hint{
			why: explain.T("map's second argument is the variable it defines, written with '$'", "map 的第二个参数是它定义的变量，要以 '$' 开头"),
			try: explain.T("write map $source $result { … }", "写成 map $源变量 $结果变量 { … }"),
		}, `invalid variable name "%s"`, d.Arg(1))
	}
	return nil
}

func checkSet(p *parser, b *block, d *Directive, bad badFunc) error {
	if name := d.Arg(0); name == "" || name[0] != '$' {
		return bad(errValue, hint{
			why: explain.T("set's first argument is the variable it sets, written with '$'", "set 的第一个参数是要设置的变量，要以 '$' 开头"),
			try: explain.T("write set $name value;", "写成 set $变量名 值;"),
		}, `invalid variable name "%s"`, d.Arg(0))
	}
	return nil
}

// checkServerName mirrors ngx_http_core_server_name.
func checkServerName(p *parser, b *block, d *Directive, bad badFunc) error {
	for _, n := range d.Args {
		if n == "" {
			continue // nginx allows "" (requests without a Host)
		}
		if (n[0] == '*' && (len(n) < 3 || n[1] != '.')) || (n[0] == '.' && len(n) < 2) {
			return bad(errValue, hint{
				why: explain.T("a wildcard name has '*' as a whole first or last label: *.example.com or www.example.*", "通配符名称中 '*' 必须是完整的首段或末段：*.example.com 或 www.example.*"),
				try: explain.T("write server_name *.lab.local; or a plain name", "写成 server_name *.lab.local; 或普通名称"),
			}, `server name "%s" is invalid`, n)
		}
		if strings.Contains(n, "/") {
			p.warn(d, fmt.Sprintf(`server name "%s" has suspicious symbols`, n), explain.T(
				"a server name is a host name, without scheme or path", "server_name 是主机名，不带协议和路径"))
		}
		if n == "~" {
			return bad(errValue, hint{
				why: explain.T("'~' starts a regex server name, and none follows", "'~' 表示正则形式的 server_name，但后面没有正则"),
				try: explain.T(`write server_name ~^(?<sub>.+)\.lab\.local$;`, `写成 server_name ~^(?<sub>.+)\.lab\.local$;`),
			}, `empty regex in server name "%s"`, n)
		}
	}
	return nil
}

func checkKeepalive(p *parser, b *block, d *Directive, bad badFunc) error {
	if b.ctx == Upstream {
		return nil
	}
	if err := checkOnce(p, b, d, bad); err != nil {
		return err
	}
	// ngx_http_core_keepalive: the timeout in ms, then the header's seconds.
	_, err1 := parseTime(d.Arg(0), false)
	var err2 error
	if len(d.Args) == 2 {
		_, err2 = parseTime(d.Args[1], true)
	}
	if err1 != nil || err2 != nil {
		return bad(errValue, valueHint("keepalive_timeout", d.Args), `"keepalive_timeout" directive invalid value`)
	}
	return nil
}
