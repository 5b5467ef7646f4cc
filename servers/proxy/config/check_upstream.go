package config

// upstream { } and its server lines (ngx_http_upstream, ngx_http_upstream_server
// and the balancers' directives).

import (
	"errors"
	"strings"

	"webflow-lab/servers/explain"
)

func checkUpstream(p *parser, b *block, d *Directive, bad badFunc) error {
	name := strings.ToLower(d.Arg(0))
	if p.upstreams == nil {
		p.upstreams = map[string]*Directive{}
	}
	if p.upstreams[name] != nil {
		return bad(errUpstream, hint{
			why: explain.T("two upstream blocks have the same name", "两个 upstream 块同名"),
			try: explain.T("rename one, or merge their server lines", "给其中一个改名，或合并它们的 server 行"),
		}, `duplicate upstream "%s"`, d.Arg(0))
	}
	p.upstreams[name] = d
	p.passes = append(p.passes, d) // initialised in creation order, with the implicit ones
	return nil
}

func checkUpstreamServer(p *parser, b *block, d *Directive, bad badFunc) error {
	if b.ctx != Upstream {
		p.servers = append(p.servers, d)
		return nil
	}
	b.upstreamSrvs++
	invalid := func(a string) error {
		return bad(errValue, hint{
			why: explain.T("a server line in upstream takes an address and weight=N max_fails=N fail_timeout=T max_conns=N backup down",
				"upstream 中的 server 行取一个地址，以及 weight=N max_fails=N fail_timeout=T max_conns=N backup down"),
			try: explain.T("check the spelling of the parameter and its value (weight must be at least 1)", "检查参数拼写及取值（weight 至少为 1）"),
		}, `invalid parameter "%s"`, a)
	}
	backupOK := b.balancer != "ip_hash" && b.balancer != "hash" && b.balancer != "random"
	if _, err := ParseServer(d.Args, backupOK); err != nil {
		var pe *ServerParamError
		if errors.As(err, &pe) && pe.NotSupported {
			return bad(errUpstream, hint{
				why: explain.T(b.balancer+" picks a peer from the key alone, so it cannot hold servers in reserve", b.balancer+" 只按键选择节点，无法保留备用服务器"),
				try: explain.T("remove backup, or use round robin or least_conn", "去掉 backup，或改用轮询或 least_conn"),
			}, "%s", err)
		}
		return invalid(pe.Param)
	}
	if err := checkAddr(d.Arg(0), false); err != "" {
		return bad(errUpstream, hint{
			why: explain.T("a server address is host:port or unix:/path", "server 地址的格式是 主机:端口 或 unix:/路径"),
			try: explain.T("a port is a number from 1 to 65535", "端口是 1 到 65535 之间的数字"),
		}, `%s in upstream "%s"`, err, d.Arg(0))
	}
	return nil
}

func checkBalancer(p *parser, b *block, d *Directive, bad badFunc) error {
	if b.balancer != "" {
		p.warn(d, "load balancing method redefined", explain.T(
			"an upstream has one balancing method; this line replaces the earlier one",
			"一个 upstream 只有一种负载均衡方式；这一行替换了前面的设置"))
	}
	b.balancer = d.Name
	switch d.Name {
	case "hash":
		if len(d.Args) == 2 && d.Args[1] != "consistent" {
			return bad(errValue, hint{
				why: explain.T("hash takes a key and, optionally, the word consistent", "hash 的参数是一个键，可选再加 consistent"),
				try: explain.T("write hash $request_uri; or hash $request_uri consistent;", "写成 hash $request_uri; 或 hash $request_uri consistent;"),
			}, `invalid parameter "%s"`, d.Args[1])
		}
	case "random":
		h := hint{
			why: explain.T("random takes nothing, or two, or two least_conn", "random 不带参数，或带 two，或带 two least_conn"),
			try: explain.T("write random; or random two least_conn;", "写成 random; 或 random two least_conn;"),
		}
		if len(d.Args) > 0 && d.Args[0] != "two" {
			return bad(errValue, h, `invalid parameter "%s"`, d.Args[0])
		}
		if len(d.Args) > 1 && d.Args[1] != "least_conn" {
			return bad(errValue, h, `invalid parameter "%s"`, d.Args[1])
		}
	}
	return nil
}
