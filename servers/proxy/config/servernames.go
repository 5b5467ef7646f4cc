package config

import (
	"fmt"
	"os"
	"strings"

	"webflow-lab/servers/explain"
)

// warnServerNames mirrors ngx_http_server_names: on an address shared by
// several servers, a name claimed twice goes to the first server only and
// nginx warns `conflicting server name "x" on 127.0.0.1:8080, ignored` (with
// no file or line). A server without server_name has the name "", and one
// without listen listens on *:80 (as root) or *:8000.
func (p *parser) warnServerNames() {
	type addr struct {
		text    string
		servers []*Directive
	}
	var ports []string // in order of first listen
	byPort := map[string][]*addr{}
	add := func(text string, srv *Directive) {
		port := text[strings.LastIndexByte(text, ':')+1:]
		if _, ok := byPort[port]; !ok {
			ports = append(ports, port)
		}
		for _, a := range byPort[port] {
			if a.text == text {
				for _, s := range a.servers {
					if s == srv {
						return
					}
				}
				a.servers = append(a.servers, srv)
				return
			}
		}
		byPort[port] = append(byPort[port], &addr{text: text, servers: []*Directive{srv}})
	}
	var implicit []*Directive
	for _, srv := range p.servers {
		ls := srv.FindAll("listen")
		if len(ls) == 0 {
			implicit = append(implicit, srv)
		}
		for _, l := range ls {
			if !strings.HasPrefix(l.Arg(0), "unix:") {
				add(l.ListenAddr(), srv)
			}
		}
	}
	def := "0.0.0.0:8000"
	if os.Getuid() == 0 {
		def = "0.0.0.0:80"
	}
	for _, srv := range implicit {
		add(def, srv)
	}
	for _, port := range ports {
		// nginx sorts a port's addresses with the wildcard last.
		addrs := append([]*addr{}, byPort[port]...)
		for i, a := range addrs {
			if strings.HasPrefix(a.text, "0.0.0.0:") && i != len(addrs)-1 {
				addrs = append(append(addrs[:i:i], addrs[i+1:]...), a)
				break
			}
		}
		for _, a := range addrs {
			if len(a.servers) < 2 {
				continue
			}
			seen := map[string]bool{}
			for _, srv := range a.servers {
				names := []string{""}
				if sn := srv.FindAll("server_name"); len(sn) > 0 {
					names = nil
					for _, d := range sn {
						names = append(names, d.Args...)
					}
				}
				for _, n := range names {
					n = strings.ToLower(n)
					if strings.HasPrefix(n, "~") {
						continue // regex names are tried in order, never conflict
					}
					if seen[n] {
						p.cfg.Warnings = append(p.cfg.Warnings, Warning{
							Msg: fmt.Sprintf(`conflicting server name "%s" on %s, ignored`, n, a.text),
							Text: explain.T(
								fmt.Sprintf("two server blocks on %s answer to the name %q; requests for it always go to the first one", a.text, n),
								fmt.Sprintf("%s 上有两个 server 块都使用名称 %q；该名称的请求总是交给第一个", a.text, n)),
						})
					}
					seen[n] = true
				}
			}
		}
	}
}
