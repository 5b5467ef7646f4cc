package proxy

import (
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	"webflow-lab/servers/proxy/config"
)

// Servers, listen, server_name and the location tree
// (ngx_http_core_server, ngx_http_core_listen, ngx_http_core_server_name,
// ngx_http_core_location).

func serverDefaults() *vserver {
	return &vserver{
		mergeSlashes:   true,
		headerBufSmall: 1024,
		headerBufLarge: 8192,
		headerBufCount: 4,
		ignoreInvalid:  true,
	}
}

// serverBlock is a server { } in http: compiled once http is complete.
func serverBlock(l *scope, d *config.Directive) error {
	if l.kind == scopeUpstream {
		return upstreamServer(l, d)
	}
	l.servers = append(l.servers, d)
	return nil
}

// compileServer compiles one server { } with http's settings as its parent.
func (cf *conf) compileServer(d *config.Directive, http *scope) error {
	v := *http.srv
	srv := &v
	srv.file, srv.line = d.File, d.Line
	srv.named = map[string]*location{}
	srv.top = &location{mod: modServerTop, file: d.File, line: d.Line}
	l := http.child(scopeServer, d)
	l.srv, l.loc = srv, srv.top
	if err := l.apply(d.Block); err != nil {
		return err
	}
	srv.top.s = l.s
	if err := cf.compileLocations(l, srv.top); err != nil {
		return err
	}
	if len(srv.listens) == 0 {
		cf.addListen(srv, "127.0.0.1:80", false)
	}
	for _, ls := range srv.listens {
		addr, err := listenAddr(ls.Args[0])
		if err != nil {
			return errAt(ls, "%v", err)
		}
		def := false
		for _, a := range ls.Args[1:] {
			if a == "default_server" || a == "default" {
				def = true
			}
		}
		if def {
			if g := cf.groups[addr]; g != nil && g.def != nil && g.def.isDefault {
				return errAt(ls, "a duplicate default server for %s", addr)
			}
		}
		cf.addListen(srv, addr, def)
		if _, ok := cf.listenAt[addr]; !ok {
			cf.listenAt[addr] = fmt.Sprintf("%s:%d", ls.File, ls.Line)
		}
	}
	cf.servers = append(cf.servers, srv)
	return nil
}

func serverListen(l *scope, d *config.Directive) error {
	if len(d.Args) == 0 {
		return errAt(d, "invalid number of arguments in \"listen\" directive")
	}
	l.srv.listens = append(l.srv.listens, d)
	return nil
}

func serverNames(l *scope, d *config.Directive) error {
	for _, a := range d.Args {
		if strings.EqualFold(a, "$hostname") {
			a = hostname
		}
		sn, err := parseServerName(d, a)
		if err != nil {
			return err
		}
		l.srv.names = append(l.srv.names, sn)
		if len(l.srv.names) == 1 {
			// $server_name and the log's "server:" are the first name
			// (ngx_http_core_merge_srv_conf): a regex as written, any other
			// name lower-cased and without a leading dot
			switch {
			case strings.HasPrefix(a, "~"):
				l.srv.firstName = a
			default:
				l.srv.firstName = strings.TrimPrefix(strings.ToLower(a), ".")
			}
		}
	}
	return nil
}

// The server-level settings (ngx_http_core_srv_conf_t): in http they are
// the defaults of every server.

func serverMergeSlashes(l *scope, d *config.Directive) (err error) {
	l.srv.mergeSlashes, err = flagArg(d)
	return err
}

func serverUnderscores(l *scope, d *config.Directive) (err error) {
	l.srv.underscores, err = flagArg(d)
	return err
}

func serverIgnoreInvalid(l *scope, d *config.Directive) (err error) {
	l.srv.ignoreInvalid, err = flagArg(d)
	return err
}

func serverHeaderBuffer(l *scope, d *config.Directive) error {
	n, err := sizeArg(d)
	l.srv.headerBufSmall = int(n)
	return err
}

// serverLargeHeaderBuffers is ngx_conf_set_bufs_slot: a number and a size.
func serverLargeHeaderBuffers(l *scope, d *config.Directive) error {
	if len(d.Args) != 2 {
		return errAt(d, "invalid number of arguments in \"%s\" directive", d.Name)
	}
	n, err := config.ParseNumber(d.Args[0])
	sz, err2 := config.ParseSize(d.Args[1])
	if err != nil || err2 != nil || n < 1 || sz < 1 {
		return errAt(d, "invalid value \"%s\"", strings.Join(d.Args, " "))
	}
	l.srv.headerBufCount, l.srv.headerBufLarge = int(n), int(sz)
	return nil
}

// coreKeepaliveTimeout is keepalive_timeout TIME [HEADER_TIME]: how long an
// idle keep-alive connection waits for its next request after one answered
// in this location. The header timeout (Keep-Alive: timeout=) is not sent.
func coreKeepaliveTimeout(l *scope, d *config.Directive) error {
	if len(d.Args) < 1 || len(d.Args) > 2 {
		return errAt(d, "invalid number of arguments in \"%s\" directive", d.Name)
	}
	t, err := config.ParseTime(d.Args[0])
	if err != nil {
		return errAt(d, "invalid value \"%s\"", d.Args[0])
	}
	l.s.keepaliveTimeout = t
	return nil
}

func coreKeepaliveRequests(l *scope, d *config.Directive) (err error) {
	l.s.keepaliveReqs, err = numArg(d)
	return err
}

// serverLocation is a location { }: compiled once its parent is complete.
func serverLocation(l *scope, d *config.Directive) error {
	l.locations = append(l.locations, d)
	return nil
}

// locationInternal makes a location answer only internal redirects.
func locationInternal(l *scope, d *config.Directive) error {
	if l.kind != scopeLocation {
		return errAt(d, "\"internal\" directive is not allowed here")
	}
	l.loc.internal = true
	return nil
}

func (cf *conf) addListen(srv *vserver, addr string, def bool) {
	g := cf.groups[addr]
	if g == nil {
		g = &listenGroup{addr: addr}
		cf.groups[addr] = g
		cf.order = append(cf.order, addr)
	}
	for _, s := range g.servers {
		if s == srv {
			return
		}
	}
	g.servers = append(g.servers, srv)
	if def {
		srv.isDefault = true
		g.def = srv
	} else if g.def == nil {
		g.def = srv
	}
}

// listenAddr turns a listen argument into "ip:port". A bare port binds
// 127.0.0.1 (nginx binds every address; the lab stays on loopback unless the
// config names one, such as 0.0.0.0:8080 or *:8080).
func listenAddr(a string) (string, error) {
	if digits(a) {
		p, _ := strconv.Atoi(a)
		if p < 1 || p > 65535 {
			return "", fmt.Errorf("invalid port in \"%s\" of the \"listen\" directive", a)
		}
		return "127.0.0.1:" + a, nil
	}
	if strings.HasPrefix(a, "unix:") {
		return "", fmt.Errorf("listen on a UNIX socket %q is not supported by the lab", a)
	}
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		// "127.0.0.1" alone: port 80
		if net.ParseIP(a) != nil || a == "localhost" {
			return net.JoinHostPort(a, "80"), nil
		}
		return "", fmt.Errorf("invalid host in \"%s\" of the \"listen\" directive", a)
	}
	if !digits(port) {
		return "", fmt.Errorf("invalid port in \"%s\" of the \"listen\" directive", a)
	}
	if host == "*" {
		host = "0.0.0.0"
	}
	if host == "localhost" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

// parseServerName reads one server_name as ngx_http_core_server_name does:
// names are lower-cased, a regex is not, and matches without case only when
// it has an upper-case letter (the host it is matched against is lower-case).
func parseServerName(d *config.Directive, a string) (serverName, error) {
	if strings.HasPrefix(a, "~") {
		expr := a[1:]
		if strings.ToLower(expr) != expr {
			expr = "(?i)" + expr
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			return serverName{}, errAt(d, "invalid server name regex %q: %v", a, err)
		}
		return serverName{re: re}, nil
	}
	a = strings.ToLower(a)
	switch {
	case strings.HasPrefix(a, "*."):
		return serverName{suffix: a[1:]}, nil
	case strings.HasPrefix(a, "."):
		return serverName{exact: a[1:], suffix: a}, nil
	case strings.HasSuffix(a, ".*"):
		return serverName{prefix: a[:len(a)-1]}, nil
	}
	return serverName{exact: a}, nil
}

// compileLocations builds the location tree below parent, whose level pl
// is complete.
func (cf *conf) compileLocations(pl *scope, parent *location) error {
	srv := pl.srv
	for _, d := range pl.locations {
		loc, err := newLocation(d, parent)
		if err != nil {
			return err
		}
		l := pl.child(scopeLocation, d)
		l.loc = loc
		if err := l.apply(d.Block); err != nil {
			return err
		}
		loc.s = l.s
		if loc.pass != nil && loc.mod != modRegex && loc.mod != modRegexCI && loc.mod != modNamed &&
			strings.HasSuffix(loc.name, "/") {
			loc.autoRedirect = true
		}
		cf.checkAlias(loc)
		switch loc.mod {
		case modNamed:
			if parent.mod != modServerTop {
				return errAt(d, "named location \"%s\" can be on the server level only", loc.name)
			}
			srv.named[loc.name] = loc
		case modExact:
			parent.exact = append(parent.exact, loc)
		case modPrefix, modNoRegex:
			for _, p := range parent.prefix {
				if p.name == loc.name {
					return errAt(d, "duplicate location \"%s\"", loc.name)
				}
			}
			parent.prefix = append(parent.prefix, loc)
		default:
			parent.regex = append(parent.regex, loc)
		}
		if err := cf.compileLocations(l, loc); err != nil {
			return err
		}
	}
	return nil
}

func newLocation(d *config.Directive, parent *location) (*location, error) {
	loc := &location{parent: parent, file: d.File, line: d.Line}
	args := d.Args
	switch {
	case len(args) == 2:
		switch args[0] {
		case "=":
			loc.mod = modExact
		case "^~":
			loc.mod = modNoRegex
		case "~":
			loc.mod = modRegex
		case "~*":
			loc.mod = modRegexCI
		default:
			return nil, errAt(d, "invalid location modifier \"%s\"", args[0])
		}
		loc.name = args[1]
	case len(args) == 1:
		a := args[0]
		switch {
		case strings.HasPrefix(a, "="):
			loc.mod, loc.name = modExact, a[1:]
		case strings.HasPrefix(a, "^~"):
			loc.mod, loc.name = modNoRegex, a[2:]
		case strings.HasPrefix(a, "~*"):
			loc.mod, loc.name = modRegexCI, a[2:]
		case strings.HasPrefix(a, "~"):
			loc.mod, loc.name = modRegex, a[1:]
		case strings.HasPrefix(a, "@"):
			loc.mod, loc.name = modNamed, a
		default:
			loc.mod, loc.name = modPrefix, a
		}
	default:
		return nil, errAt(d, "invalid number of arguments in \"location\" directive")
	}
	if loc.mod == modRegex || loc.mod == modRegexCI {
		expr := loc.name
		if loc.mod == modRegexCI {
			expr = "(?i)" + expr
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			return nil, errAt(d, "pcre_compile() failed: %v in \"%s\"", err, loc.name)
		}
		loc.re = re
	}
	if parent.mod == modExact {
		return nil, errAt(d, "location \"%s\" cannot be inside the exact location \"%s\"", loc.name, parent.name)
	}
	if parent.mod == modNamed {
		return nil, errAt(d, "location \"%s\" cannot be inside the named location \"%s\"", loc.name, parent.name)
	}
	if loc.mod == modPrefix || loc.mod == modNoRegex || loc.mod == modExact {
		if parent.mod == modPrefix || parent.mod == modNoRegex {
			if !strings.HasPrefix(loc.name, parent.name) {
				return nil, errAt(d, "location \"%s\" is outside location \"%s\"", loc.name, parent.name)
			}
		}
	}
	return loc, nil
}

// checkAlias flags nginx's alias missing-slash traversal: a prefix location
// without a trailing '/' whose alias ends in '/' lets "/static../x" climb
// out of the alias directory. nginx serves it; the lab serves it too (that is
// the lesson) but says so at start-up and in -t.
func (cf *conf) checkAlias(loc *location) {
	if loc.s.alias == nil || loc.s.aliasLen == 0 || loc.s.aliasRegex {
		return
	}
	if loc.mod != modPrefix && loc.mod != modNoRegex {
		return
	}
	alias := loc.s.alias.raw
	if !strings.HasSuffix(loc.name, "/") && strings.HasSuffix(alias, "/") {
		cf.warnings = append(cf.warnings, Warning{
			File: loc.file, Line: loc.line,
			Text: fmt.Sprintf("location \"%s\" has no trailing \"/\" but its alias \"%s\" has: "+
				"\"%s../\" reaches outside the alias directory (path traversal)", loc.name, alias, loc.name),
			ZH: fmt.Sprintf("location \"%s\" 末尾没有 \"/\"，而 alias \"%s\" 末尾有：请求 \"%s../\" 可以访问 alias 目录之外的文件（目录穿越）",
				loc.name, alias, loc.name),
			Fix: fmt.Sprintf("location %s/ { alias %s; }", loc.name, alias),
		})
	}
}

// keepaliveDefaults are nginx's keepalive_timeout and keepalive_requests.
const (
	defaultKeepaliveTimeout  = 75 * time.Second
	defaultKeepaliveRequests = 1000
)
