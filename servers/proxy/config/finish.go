package config

import (
	"fmt"
	"net"
	"strings"

	"webflow-lab/servers/explain"
)

// closeBlock runs the checks nginx makes when a block's "}" has been read.
func (p *parser) closeBlock(lx *lexer, b *block) error {
	switch {
	case b.owner.Name == "upstream":
		if b.upstreamSrvs == 0 {
			return p.fail(lx.file, lx.line, errUpstream, hint{
				why: explain.T(fmt.Sprintf("upstream %q lists no server to send requests to", b.owner.Arg(0)),
					fmt.Sprintf("upstream %q 中没有列出任何可转发请求的 server", b.owner.Arg(0))),
				try: explain.T("add a line such as server 127.0.0.1:9001; inside the block", "在块中加入一行，例如 server 127.0.0.1:9001;"),
			}, "no servers are inside upstream")
		}
	case b.owner.Name == "http":
		p.http = b.owner
		if err := p.closeHTTP(lx); err != nil {
			return err
		}
		if err := p.checkVars(b.owner); err != nil {
			return err
		}
		p.warnServerNames()
	}
	return nil
}

// closeHTTP mirrors the end of ngx_http_block: upstreams are initialised
// (an implicit upstream needs a port), then each server's locations are
// sorted (duplicates refused), then listen addresses are merged.
func (p *parser) closeHTTP(lx *lexer) error {
	for _, d := range p.passes {
		if d.Name == "upstream" {
			if err := p.checkPrimary(d); err != nil {
				return err
			}
			continue
		}
		if err := p.checkTarget(d); err != nil {
			return err
		}
	}
	// proxy_set_header and uwsgi_param values are compiled when the
	// levels are merged, after the whole http block: nginx then reports a
	// bad "$" at the position of http's closing brace.
	if err := p.mergeScripts(lx, p.http); err != nil {
		return err
	}
	for _, srv := range p.servers {
		if err := p.dupLocations(srv.Block); err != nil {
			return err
		}
	}
	return nil
}

var mergeScripted = map[string]bool{"proxy_set_header": true, "uwsgi_param": true, "fastcgi_param": true, "scgi_param": true, "grpc_set_header": true}

func (p *parser) mergeScripts(lx *lexer, d *Directive) error {
	if d == nil {
		return nil
	}
	for _, c := range d.Block {
		if mergeScripted[c.Name] {
			if msg := scriptError(c.Arg(1)); msg != "" {
				err := p.fail(lx.file, lx.line, errValue, hint{
					why: explain.T("a '$' starts a variable: $name or ${name}, with letters, digits and _", "'$' 表示变量：$name 或 ${name}，由字母、数字和 _ 组成"),
					try: explain.T(fmt.Sprintf("fix the value of %s at %s:%d (nginx reports it where http { } ends)", c.Name, c.File, c.Line),
						fmt.Sprintf("修改 %s:%d 处 %s 的值（nginx 在 http { } 结束处报告它）", c.File, c.Line, c.Name)),
				}, "%s", msg)
				return err
			}
		}
		if c.IsBlock() && !rawBlocks[c.Name] {
			if err := p.mergeScripts(lx, c); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkPrimary is ngx_http_upstream_init_round_robin for an upstream block:
// backup servers alone cannot serve.
func (p *parser) checkPrimary(up *Directive) error {
	for _, s := range up.FindAll("server") {
		if !s.HasParam("backup") {
			return nil
		}
	}
	return p.fail(up.File, up.EndLine, errUpstream, hint{
		why: explain.T(fmt.Sprintf("every server of upstream %q is a backup; backups only stand in when a primary server fails", up.Arg(0)),
			fmt.Sprintf("upstream %q 中的 server 全是 backup；backup 只在主服务器失败时才顶替", up.Arg(0))),
		try: explain.T("remove backup from at least one server line", "至少从一行 server 中去掉 backup"),
	}, `no servers in upstream "%s"`, up.Arg(0))
}

// listenAddr is nginx's addr_text for a listen argument.
func listenAddr(a string) string {
	if strings.HasPrefix(a, "unix:") {
		return a
	}
	if _, ok := atoi(a); ok {
		return "0.0.0.0:" + a
	}
	if strings.HasPrefix(a, "*:") {
		return "0.0.0.0" + a[1:]
	}
	if !strings.Contains(a, ":") {
		return a + ":80"
	}
	return a
}

// checkTarget is ngx_http_upstream_init_round_robin for an implicit
// upstream: a uwsgi_pass to a name that is no upstream block needs a port.
func (p *parser) checkTarget(d *Directive) error {
	t := d.Arg(0)
	if strings.Contains(t, "$") {
		return nil // resolved per request
	}
	lower := strings.ToLower(t)
	for _, scheme := range []string{"uwsgi://", "suwsgi://", "http://", "https://"} {
		if strings.HasPrefix(lower, scheme) {
			t = t[len(scheme):]
			break
		}
	}
	if strings.HasPrefix(t, "unix:") {
		return nil
	}
	host := t
	if i := strings.IndexByte(host, '/'); i >= 0 {
		host = host[:i]
	}
	if p.upstreams[strings.ToLower(host)] != nil {
		return nil
	}
	// ngx_http_upstream_init_round_robin resolves an implicit upstream's
	// host; the lab judges only what cannot be a host at all.
	name := host
	if i := strings.LastIndexByte(name, ':'); i >= 0 && !strings.HasSuffix(name, "]") {
		name = name[:i]
	}
	noPort := d.Name == "uwsgi_pass" && name == host
	if !noPort && name != "" && net.ParseIP(strings.Trim(name, "[]")) == nil && (!validHostname(name) || !inetAton(name)) {
		return p.fail(d.File, d.EndLine, errUpstream, hint{
			why: explain.T(fmt.Sprintf("%q is neither an address nor a host name", name), fmt.Sprintf("%q 既不是地址也不是主机名", name)),
			try: explain.T("write an address like 127.0.0.1:9001, or the name of an upstream block", "写成 127.0.0.1:9001 这样的地址，或 upstream 块的名字"),
		}, `host not found in upstream "%s"`, name)
	}
	if d.Name == "proxy_pass" {
		return nil // http:// has a default port (80); host names are not resolved here
	}
	if checkAddr(host, false) == "" && strings.Contains(host, ":") && !strings.HasSuffix(host, "]") {
		return nil
	}
	why := explain.T(fmt.Sprintf("no upstream block is named %q, so nginx reads it as a host, and a host needs a port", host),
		fmt.Sprintf("没有名为 %q 的 upstream 块，nginx 把它当作主机名，而主机需要端口", host))
	if net.ParseIP(strings.Trim(host, "[]")) != nil {
		return p.fail(d.File, d.EndLine, errUpstream, hint{
			why: explain.T(fmt.Sprintf("%s gives the app server's address but not the port of its uwsgi socket", d.Name),
				fmt.Sprintf("%s 给出了应用服务器的地址，但没有给出其 uwsgi socket 的端口", d.Name)),
			try: explain.T(fmt.Sprintf("add the port of uWSGI's socket= line: %s %s:9001; (the lab's instances use 9001 and 9011)", d.Name, host),
				fmt.Sprintf("加上 uWSGI 的 socket= 端口：%s %s:9001;（实验中的实例使用 9001 和 9011）", d.Name, host)),
		}, `no port in upstream "%s"`, host)
	}
	for name, up := range p.upstreams {
		if editDistance(strings.ToLower(host), name) <= 2 {
			return p.fail(d.File, d.EndLine, errUpstream, hint{why: why,
				try: explain.T(fmt.Sprintf("did you mean the upstream %q defined at %s:%d?", up.Arg(0), up.File, up.Line),
					fmt.Sprintf("是不是想写 %s:%d 定义的 upstream %q？", up.File, up.Line, up.Arg(0))),
			}, `no port in upstream "%s"`, host)
		}
	}
	return p.fail(d.File, d.EndLine, errUpstream, hint{
		why: why,
		try: explain.T(fmt.Sprintf("define upstream %s { server 127.0.0.1:9001; } in http { }, or write %s 127.0.0.1:9001;", host, d.Name),
			fmt.Sprintf("在 http { } 中定义 upstream %s { server 127.0.0.1:9001; }，或写成 %s 127.0.0.1:9001;", host, d.Name)),
	}, `no port in upstream "%s"`, host)
}

// dupLocations mirrors ngx_http_join_exact_locations: two exact locations,
// or two prefix locations (plain or ^~), with the same path.
func (p *parser) dupLocations(list []*Directive) error {
	seen := map[string]bool{}
	for _, l := range All(list, "location") {
		mod, name := locationParts(l)
		key := ""
		switch mod {
		case "=":
			key = "=" + name
		case "", "^~":
			if strings.HasPrefix(name, "@") {
				break
			}
			key = "/" + name
		}
		if key != "" && seen[key] {
			return p.fail(l.File, l.EndLine, errLocation, hint{
				why: explain.T(fmt.Sprintf("two locations in the same block match the same prefix %q, so one could never be chosen", name),
					fmt.Sprintf("同一块中有两个 location 匹配相同的前缀 %q，其中一个永远不会被选中", name)),
				try: explain.T("merge the two blocks into one", "把这两个块合并成一个"),
			}, `duplicate location "%s"`, name)
		}
		seen[key] = true
	}
	for _, l := range All(list, "location") {
		if err := p.dupLocations(l.Block); err != nil {
			return err
		}
	}
	return nil
}

// finish runs the checks nginx makes after parsing, when the core modules
// initialise their configuration (ngx_init_cycle).
func (p *parser) finish() error {
	if First(p.cfg.Directives, "events") == nil {
		ne := &NginxError{Level: "emerg", Msg: `no "events" section in configuration`, AfterParse: true}
		return &explain.Error{What: explain.T(ne.Msg, ne.Msg), Where: p.cfg.Path,
			Why: explain.T("nginx needs an events { } block at the top level, even an empty one",
				"nginx 需要在最外层有一个 events { } 块，哪怕是空的"),
			Try: explain.T("add events { worker_connections 1024; } before http { }",
				"在 http { } 前面加上 events { worker_connections 1024; }"),
			Err: ne}
	}
	return nil
}
