package proxy

import (
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"webflow-lab/servers/proxy/config"
)

// applyLevel copies parent's settings and applies this block's directives.
// loc receives the non-inherited handlers (try_files, return, *_pass).
func (cf *conf) applyLevel(block *config.Directive, parent *settings, loc *location) (*settings, error) {
	s := *parent
	var (
		errorPagesSet, indexSet, uwsgiParamsSet, proxyHeadersSet, accessSet bool
	)
	s.passTimeouts = copyMap(parent.passTimeouts)
	s.passArgs = copyMapSlice(parent.passArgs)
	rootSet := false
	for _, d := range block.Block {
		var err error
		switch d.Name {
		case "root", "alias":
			if len(d.Args) != 1 {
				return nil, errAt(d, "invalid number of arguments in \"%s\" directive", d.Name)
			}
			if rootSet {
				prev := "root"
				if s.alias != nil {
					prev = "alias"
				}
				if prev == d.Name {
					return nil, errAt(d, "\"%s\" directive is duplicate", d.Name)
				}
				return nil, errAt(d, "\"%s\" directive is duplicate, \"%s\" directive was specified earlier", d.Name, prev)
			}
			rootSet = true
			if d.Name == "alias" && (loc == nil || loc.mod == modServerTop) {
				return nil, errAt(d, "\"alias\" directive is not allowed here")
			}
			if d.Name == "alias" && loc.mod == modNamed {
				return nil, errAt(d, "\"alias\" directive cannot be used inside the named location")
			}
			p := d.Args[0]
			if d.Name == "root" {
				p = strings.TrimSuffix(p, "/")
			}
			if !filepath.IsAbs(p) && !strings.HasPrefix(p, "$") {
				p = filepath.Join(cf.prefix, p)
				if d.Name == "alias" && strings.HasSuffix(d.Args[0], "/") {
					p += "/"
				}
			}
			t, err := compileTmpl(p)
			if err != nil {
				return nil, errAt(d, "%v", err)
			}
			if d.Name == "root" {
				s.root, s.alias = t, nil
			} else {
				s.alias, s.root = t, nil
				s.aliasRegex = loc.mod == modRegex || loc.mod == modRegexCI
				if !s.aliasRegex {
					s.aliasLen = len(loc.name)
				}
			}
		case "index":
			if len(d.Args) == 0 {
				return nil, errAt(d, "invalid number of arguments in \"index\" directive")
			}
			if !indexSet {
				s.index = nil
				indexSet = true
			}
			for _, a := range d.Args {
				t, err := compileTmpl(a)
				if err != nil {
					return nil, errAt(d, "%v", err)
				}
				s.index = append(s.index, t)
			}
		case "autoindex":
			s.autoindex, err = flagArg(d)
		case "autoindex_exact_size":
			s.autoindexExact, err = flagArg(d)
		case "autoindex_localtime":
			s.autoindexLocal, err = flagArg(d)
		case "types":
			s.types = map[string]string{}
			for _, t := range d.Block {
				for _, ext := range t.Args {
					s.types[strings.ToLower(ext)] = t.Name
				}
			}
		case "charset":
			if len(d.Args) != 1 {
				return nil, errAt(d, "invalid number of arguments in \"charset\" directive")
			}
			s.charset = d.Args[0]
			if s.charset == "off" {
				s.charset = ""
			}
		case "charset_types":
			s.charsetTypes = map[string]bool{}
			for _, a := range d.Args {
				s.charsetTypes[strings.ToLower(a)] = true
			}
		case "default_type":
			if len(d.Args) != 1 {
				return nil, errAt(d, "invalid number of arguments in \"default_type\" directive")
			}
			s.defaultType = d.Args[0]
		case "error_page":
			if !errorPagesSet {
				s.errorPages = nil
				errorPagesSet = true
			}
			ep, err := parseErrorPage(d)
			if err != nil {
				return nil, err
			}
			s.errorPages = append(s.errorPages, ep)
		case "client_max_body_size":
			s.maxBody, err = offsetArg(d)
		case "server_tokens":
			s.serverTokens, err = flagArg(d)
		case "log_not_found":
			s.logNotFound, err = flagArg(d)
		case "etag":
			s.etag, err = flagArg(d)
		case "if_modified_since":
			if len(d.Args) != 1 {
				return nil, errAt(d, "invalid number of arguments in \"if_modified_since\" directive")
			}
			s.ifModSince = d.Args[0]
		case "absolute_redirect":
			s.absRedirect, err = flagArg(d)
		case "port_in_redirect":
			s.portRedirect, err = flagArg(d)
		case "server_name_in_redirect":
			s.nameRedirect, err = flagArg(d)
		case "send_timeout":
			s.sendTimeout, err = msecArg(d)
		case "client_body_timeout":
			s.bodyTimeout, err = msecArg(d)
		case "access_log":
			if !accessSet {
				s.accessLogs, s.accessOff = nil, false
				accessSet = true
			}
			if len(d.Args) == 1 && d.Args[0] == "off" {
				s.accessOff, s.accessLogs = true, nil
				continue
			}
			if len(d.Args) < 1 {
				return nil, errAt(d, "invalid number of arguments in \"access_log\" directive")
			}
			f := combinedFormat
			if len(d.Args) >= 2 && !strings.Contains(d.Args[1], "=") {
				ff, ok := cf.formats[d.Args[1]]
				if !ok {
					return nil, errAt(d, "unknown log format \"%s\"", d.Args[1])
				}
				f = ff
			}
			al, err := cf.openAccessLog(cf.path(d.Args[0]), f)
			if err != nil {
				return nil, errAt(d, "%v", err)
			}
			s.accessLogs = append(s.accessLogs, al)
		case "error_log":
			if block.Name != "http" && block.Name != "server" && block.Name != "location" {
				continue
			}
			el, err := cf.openErrorLog(d)
			if err != nil {
				return nil, err
			}
			s.errorLog = el
		case "uwsgi_param", "proxy_set_header":
			if len(d.Args) < 2 || len(d.Args) > 3 {
				return nil, errAt(d, "invalid number of arguments in \"%s\" directive", d.Name)
			}
			t, err := compileTmpl(d.Args[1])
			if err != nil {
				return nil, errAt(d, "%v", err)
			}
			p := param{key: d.Args[0], val: t}
			if len(d.Args) == 3 {
				if d.Args[2] != "if_not_empty" {
					return nil, errAt(d, "invalid parameter \"%s\"", d.Args[2])
				}
				p.ifNotEmpty = true
			}
			// nginx: params set at a level replace all the inherited ones.
			if d.Name == "uwsgi_param" {
				if !uwsgiParamsSet {
					s.uwsgiParams, uwsgiParamsSet = nil, true
				}
				s.uwsgiParams = append(s.uwsgiParams, p)
			} else {
				if !proxyHeadersSet {
					s.proxyHeaders, proxyHeadersSet = nil, true
				}
				s.proxyHeaders = append(s.proxyHeaders, p)
			}
		case "uwsgi_connect_timeout", "uwsgi_send_timeout", "uwsgi_read_timeout",
			"proxy_connect_timeout", "proxy_send_timeout", "proxy_read_timeout",
			"uwsgi_next_upstream_timeout", "proxy_next_upstream_timeout":
			var t time.Duration
			t, err = msecArg(d)
			s.passTimeouts[d.Name] = t
		case "uwsgi_ignore_client_abort", "proxy_ignore_client_abort":
			s.ignoreAbort, err = flagArg(d)
		case "uwsgi_next_upstream", "proxy_next_upstream", "uwsgi_next_upstream_tries", "proxy_next_upstream_tries",
			"uwsgi_buffer_size", "proxy_buffer_size", "uwsgi_modifier1", "uwsgi_modifier2",
			"uwsgi_pass_request_headers", "proxy_pass_request_headers", "uwsgi_pass_request_body",
			"proxy_pass_request_body", "proxy_http_version", "uwsgi_buffering", "proxy_buffering",
			"uwsgi_request_buffering", "proxy_request_buffering", "uwsgi_intercept_errors",
			"proxy_intercept_errors", "uwsgi_hide_header", "proxy_hide_header":
			s.passArgs[d.Name] = d.Args
		case "try_files":
			if loc == nil || loc.mod == modServerTop && block.Name == "http" {
				continue
			}
			if len(d.Args) < 2 {
				return nil, errAt(d, "invalid number of arguments in \"try_files\" directive")
			}
			if loc.tryFiles != nil {
				return nil, errAt(d, "\"try_files\" directive is duplicate")
			}
			for _, a := range d.Args {
				t, err := compileTmpl(a)
				if err != nil {
					return nil, errAt(d, "%v", err)
				}
				loc.tryFiles = append(loc.tryFiles, t)
			}
		case "return":
			if loc == nil || loc.mod == modServerTop {
				continue // server-level return is read by compileServer
			}
			if loc.ret == nil {
				loc.ret, err = parseReturn(d)
			}
		case "uwsgi_pass", "proxy_pass":
			if loc == nil || loc.mod == modServerTop {
				return nil, errAt(d, "\"%s\" directive is not allowed here", d.Name)
			}
			if loc.pass != nil {
				return nil, errAt(d, "\"%s\" directive is duplicate", d.Name)
			}
			loc.pass, err = cf.parsePass(d, loc)
		case "internal":
			if loc == nil || loc.mod == modServerTop {
				return nil, errAt(d, "\"internal\" directive is not allowed here")
			}
			loc.internal = true
		}
		if err != nil {
			if ce, ok := err.(*confError); ok {
				return nil, ce
			}
			return nil, errAt(d, "%v", err)
		}
	}
	return &s, nil
}

func copyMap(m map[string]time.Duration) map[string]time.Duration {
	out := make(map[string]time.Duration, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func copyMapSlice(m map[string][]string) map[string][]string {
	out := make(map[string][]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (cf *conf) parsePass(d *config.Directive, loc *location) (*passSpec, error) {
	if len(d.Args) != 1 {
		return nil, errAt(d, "invalid number of arguments in \"%s\" directive", d.Name)
	}
	p := &passSpec{file: d.File, line: d.Line}
	a := d.Args[0]
	if d.Name == "uwsgi_pass" {
		p.kind = "uwsgi"
		a = strings.TrimPrefix(a, "uwsgi://")
		if strings.HasPrefix(a, "suwsgi://") {
			return nil, errAt(d, "suwsgi:// (TLS) is not supported by the lab")
		}
	} else {
		p.kind = "http"
		switch {
		case strings.HasPrefix(a, "http://"):
			a = a[len("http://"):]
		case strings.HasPrefix(a, "https://"):
			return nil, errAt(d, "https upstreams are not supported by the lab")
		default:
			return nil, errAt(d, "invalid URL prefix in \"%s\"", d.Args[0])
		}
		if strings.HasPrefix(a, "unix:") {
			if i := strings.Index(a, ":/"); i >= 0 {
				if j := strings.IndexByte(a[5:], ':'); j >= 0 {
					p.uri, _ = compileTmpl(a[5+j+1:])
					p.hasURI = true
					a = a[:5+j]
				}
			}
		} else if i := strings.IndexByte(a, '/'); i >= 0 {
			t, err := compileTmpl(a[i:])
			if err != nil {
				return nil, err
			}
			p.uri, p.hasURI, a = t, true, a[:i]
			if loc.mod == modRegex || loc.mod == modRegexCI || loc.mod == modNamed {
				return nil, errAt(d, "\"proxy_pass\" cannot have URI part in location given by regular expression, "+
					"or inside named location, or inside \"if\" statement, or inside \"limit_except\" block")
			}
		}
	}
	if strings.Contains(a, "$") {
		return nil, errAt(d, "variables in \"%s\" are not supported by the lab", d.Name)
	}
	p.target = a
	if u, ok := cf.upstreams[a]; ok {
		p.upstream = u
		return p, nil
	}
	if strings.HasPrefix(a, "unix:") {
		return p, nil
	}
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		if d.Name == "proxy_pass" {
			host, port = a, "80"
		} else {
			return nil, errAt(d, "no port in upstream \"%s\"", a)
		}
	}
	if _, err := strconv.Atoi(port); err != nil {
		return nil, errAt(d, "invalid port in upstream \"%s\"", a)
	}
	if net.ParseIP(host) == nil && host != "localhost" {
		return nil, errAt(d, "host not found in upstream \"%s\"", a)
	}
	if host == "localhost" {
		host = "127.0.0.1"
	}
	p.target = net.JoinHostPort(host, port)
	return p, nil
}

func parseReturn(d *config.Directive) (*returnSpec, error) {
	if len(d.Args) < 1 || len(d.Args) > 2 {
		return nil, errAt(d, "invalid number of arguments in \"return\" directive")
	}
	r := &returnSpec{}
	code, err := strconv.Atoi(d.Args[0])
	if err != nil {
		if len(d.Args) != 1 || !(strings.HasPrefix(d.Args[0], "http://") || strings.HasPrefix(d.Args[0], "https://") ||
			strings.HasPrefix(d.Args[0], "$scheme")) {
			return nil, errAt(d, "invalid return code \"%s\"", d.Args[0])
		}
		r.code = 302
		r.text, err = compileTmpl(d.Args[0])
		return r, err
	}
	if code < 0 || code > 999 {
		return nil, errAt(d, "invalid return code \"%s\"", d.Args[0])
	}
	r.code = code
	if len(d.Args) == 2 {
		r.text, err = compileTmpl(d.Args[1])
	}
	return r, err
}

func parseErrorPage(d *config.Directive) (errorPage, error) {
	ep := errorPage{overwrite: -1}
	args := d.Args
	if len(args) < 2 {
		return ep, errAt(d, "invalid number of arguments in \"error_page\" directive")
	}
	target := args[len(args)-1]
	args = args[:len(args)-1]
	if last := args[len(args)-1]; strings.HasPrefix(last, "=") {
		args = args[:len(args)-1]
		if last == "=" {
			ep.overwrite = 0
		} else {
			n, err := strconv.Atoi(last[1:])
			if err != nil {
				return ep, errAt(d, "invalid value \"%s\"", last)
			}
			ep.overwrite = n
		}
	}
	if len(args) == 0 {
		return ep, errAt(d, "invalid number of arguments in \"error_page\" directive")
	}
	for _, a := range args {
		n, err := strconv.Atoi(a)
		if err != nil || n < 300 || n > 599 {
			return ep, errAt(d, "value \"%s\" must be between 300 and 599", a)
		}
		ep.codes = append(ep.codes, n)
	}
	t, err := compileTmpl(target)
	if err != nil {
		return ep, errAt(d, "%v", err)
	}
	ep.target = t
	return ep, nil
}
