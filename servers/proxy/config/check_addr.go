package config

// Addresses in listen, upstream server and the *_pass directives, checked
// as ngx_parse_url does (without resolving names).

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"webflow-lab/servers/explain"
)

var listenParams = []string{"default_server", "default", "bind", "ssl", "http2", "spdy", "proxy_protocol",
	"reuseport", "deferred", "quic"}

var listenKV = []string{"backlog=", "rcvbuf=", "sndbuf=", "setfib=", "fastopen=", "accept_filter=",
	"ipv6only=", "so_keepalive="}

func checkListen(p *parser, b *block, d *Directive, bad badFunc) error {
	if err := checkAddr(d.Arg(0), true); err != "" {
		return bad(errValue, hint{
			why: explain.T("listen takes a port (8080), an address and port (127.0.0.1:8080) or unix:/path", "listen 的参数是端口（8080）、地址加端口（127.0.0.1:8080）或 unix:/路径"),
			try: explain.T("a port is a number from 1 to 65535", "端口是 1 到 65535 之间的数字"),
		}, `%s in "%s" of the "listen" directive`, err, d.Arg(0))
	}
next:
	for _, a := range d.Args[1:] {
		for _, v := range listenParams {
			if a == v {
				continue next
			}
		}
		for _, v := range listenKV {
			if strings.HasPrefix(a, v) {
				continue next
			}
		}
		return bad(errValue, hint{
			why: explain.T(fmt.Sprintf("%q is not a parameter of listen", a), fmt.Sprintf("%q 不是 listen 的参数", a)),
			try: explain.T("to listen on two ports, write two listen lines", "要监听两个端口，请写两行 listen"),
		}, `invalid parameter "%s"`, a)
	}
	// ngx_http_add_listen: the address is registered as the directive runs.
	addr := listenAddr(d.Arg(0))
	srv := b.owner
	if p.listens == nil {
		p.listens = map[string][]*Directive{}
	}
	for _, other := range p.listens[addr] {
		if other == srv {
			return bad(errValue, hint{
				why: explain.T("the same server listens twice on one address", "同一个 server 在同一地址上监听了两次"),
				try: explain.T("delete one of the two listen lines", "删除其中一行 listen"),
			}, "a duplicate listen %s", addr)
		}
	}
	p.listens[addr] = append(p.listens[addr], srv)
	if contains(d.Args[1:], "default_server") || contains(d.Args[1:], "default") {
		if p.defaults[addr] {
			return bad(errValue, hint{
				why: explain.T("only one server per address can be the default_server", "每个地址只能有一个 default_server"),
				try: explain.T("remove default_server from one of the listen lines for "+addr, "从监听 "+addr+" 的其中一行 listen 去掉 default_server"),
			}, "a duplicate default server for %s", addr)
		}
		if p.defaults == nil {
			p.defaults = map[string]bool{}
		}
		p.defaults[addr] = true
	}
	return nil
}

func validHostname(h string) bool {
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}

// inetAton reports whether a host written with digits and dots only is an
// address for glibc's inet_aton (which getaddrinfo uses): 1 to 4 parts,
// decimal or octal with a leading 0, the last part filling the remaining
// bytes ("127.1" is 127.0.0.1). Other names are not judged here.
func inetAton(h string) bool {
	for i := 0; i < len(h); i++ {
		if h[i] != '.' && (h[i] < '0' || h[i] > '9') {
			return true
		}
	}
	parts := strings.Split(h, ".")
	for _, p := range parts {
		if p == "" {
			return true // not numeric: left to DNS, which the lab does not ask
		}
	}
	if len(parts) > 4 {
		return false
	}
	for i, p := range parts {
		base := uint64(10)
		if len(p) > 1 && p[0] == '0' {
			base, p = 8, p[1:]
		}
		var v uint64
		for j := 0; j < len(p); j++ {
			d := uint64(p[j] - '0')
			if d >= base {
				return false
			}
			v = v*base + d
			if v > 1<<32 {
				return false
			}
		}
		limit := uint64(255)
		if i == len(parts)-1 {
			limit = 1<<(8*(5-len(parts))) - 1
		}
		if v > limit {
			return false
		}
	}
	return true
}

// checkAddr mirrors the errors of ngx_parse_url for host:port, port, [v6]:port
// and unix:/path. The lab does not resolve host names here.
func checkAddr(s string, listen bool) string {
	if strings.HasPrefix(s, "unix:") {
		if len(s) == len("unix:") {
			return "no path in the unix domain socket"
		}
		return ""
	}
	// ngx_parse_inet_url: a URI part is not allowed in listen or server.
	if strings.IndexByte(s, '/') >= 0 {
		return "invalid host"
	}
	host, port, colon := s, "", false
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "invalid host"
		}
		host, port = s[1:end], strings.TrimPrefix(s[end+1:], ":")
		colon = strings.HasPrefix(s[end+1:], ":")
		if net.ParseIP(host) == nil {
			return "invalid IPv6 address"
		}
	} else if i := strings.LastIndexByte(s, ':'); i >= 0 {
		host, port, colon = s[:i], s[i+1:], true
	} else if _, err := strconv.Atoi(s); err == nil && listen {
		host, port = "", s
	}
	if colon || port != "" || (listen && host == "") {
		n, ok := atoi(port)
		if !ok || n < 1 || n > 65535 {
			return "invalid port"
		}
	}
	if host == "" && !listen {
		return "no host"
	}
	// nginx resolves names here; the lab cannot, but a name with
	// characters no host name has will not resolve anywhere.
	if host != "" && host != "*" && net.ParseIP(host) == nil && (!validHostname(host) || !inetAton(host)) {
		return "host not found"
	}
	return ""
}
