package proxy

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"webflow-lab/servers/proxy/config"
)

// conf is one loaded configuration, compiled for serving. A reload builds a
// new conf; requests already running keep the one they started with.
type conf struct {
	prefix    string
	confFile  string
	pidFile   string
	errorLog  *errorLogger // main-level error_log
	servers   []*vserver
	groups    map[string]*listenGroup // by listen address "ip:port"
	order     []string                // listen addresses in config order
	listenAt  map[string]string       // address → "file:line" of its first listen directive
	upstreams map[string]*upstreamBlock
	formats   map[string]*logFormat
	files     *logFiles
	warnings  []Warning
}

// A Warning is something nginx accepts but a learner should know: today the
// alias missing-slash traversal. -t and start-up print them.
type Warning struct {
	File string
	Line int
	Text string // English
	ZH   string // Chinese
	Fix  string // the line as it should read
}

func (w Warning) String() string {
	s := fmt.Sprintf("webflow-lab: [warn] %s in %s:%d", w.Text, w.File, w.Line)
	if w.Fix != "" {
		s += "\n  try: " + w.Fix
	}
	return s
}

// listenGroup is one listening address and the virtual servers on it.
type listenGroup struct {
	addr    string
	servers []*vserver
	def     *vserver // default_server, else the first server with this listen
}

// vserver is one server { } block.
type vserver struct {
	names     []serverName
	firstName string
	top       *location // server-level settings; holds the locations
	named     map[string]*location
	ret       *returnSpec // server-level return (server rewrite phase)
	file      string
	line      int
	// server-level only settings
	mergeSlashes     bool
	headerBufSmall   int
	headerBufLarge   int
	headerBufCount   int
	underscores      bool
	ignoreInvalid    bool
	keepaliveTimeout time.Duration
	keepaliveReqs    int
	isDefault        bool
}

type serverName struct {
	exact  string
	suffix string // "*.example.com" → ".example.com"
	prefix string // "example.*" → "example."
	re     *regexp.Regexp
}

type modifier uint8

const (
	modPrefix    modifier = iota // location /x
	modExact                     // location = /x
	modNoRegex                   // location ^~ /x
	modRegex                     // location ~ re
	modRegexCI                   // location ~* re
	modNamed                     // location @name
	modServerTop                 // the server block itself
)

// location is one location block with its settings merged from the levels
// around it, as nginx merges loc_conf after parsing.
type location struct {
	mod      modifier
	name     string
	re       *regexp.Regexp
	parent   *location
	exact    []*location
	prefix   []*location // plain and ^~ prefixes
	regex    []*location // in config order
	s        *settings
	file     string
	line     int
	internal bool
	// handlers: not inherited
	tryFiles     []*tmpl
	ret          *returnSpec
	pass         *passSpec
	autoRedirect bool
}

func (l *location) String() string {
	switch l.mod {
	case modExact:
		return "= " + l.name
	case modNoRegex:
		return "^~ " + l.name
	case modRegex:
		return "~ " + l.name
	case modRegexCI:
		return "~* " + l.name
	case modServerTop:
		return "server"
	}
	return l.name
}

// settings are the location-level directives that inherit into nested blocks.
type settings struct {
	root           *tmpl
	alias          *tmpl
	aliasLen       int // length of the location name that alias replaces (0: regex location)
	aliasRegex     bool
	index          []*tmpl
	autoindex      bool
	autoindexExact bool
	autoindexLocal bool
	types          map[string]string
	defaultType    string
	errorPages     []errorPage
	maxBody        int64
	serverTokens   bool
	logNotFound    bool
	accessLogs     []*accessLog // nil with accessOff: access_log off
	accessOff      bool
	errorLog       *errorLogger
	uwsgiParams    []param
	proxyHeaders   []param
	passTimeouts   map[string]time.Duration // "uwsgi_read_timeout" → d
	passArgs       map[string][]string      // other uwsgi_*/proxy_* directives, for the upstream package
	etag           bool
	ifModSince     string // off | exact | before
	absRedirect    bool
	portRedirect   bool
	nameRedirect   bool
	sendTimeout    time.Duration
	bodyTimeout    time.Duration
	ignoreAbort    bool
	charset        string          // charset directive; "" = off
	charsetTypes   map[string]bool // charset_types
}

type param struct {
	key        string
	val        *tmpl
	ifNotEmpty bool
}

type errorPage struct {
	codes     []int
	overwrite int // -1: keep; 0: "=" (the target's status); else that code
	target    *tmpl
}

type returnSpec struct {
	code int
	text *tmpl // URL for 301/302/303/307/308, body otherwise; nil: none
}

type passSpec struct {
	kind     string // "uwsgi" or "http"
	target   string // host:port, unix:/path, or an upstream name
	uri      *tmpl  // proxy_pass http://x/uri: the replacement URI ("" none)
	hasURI   bool
	upstream *upstreamBlock
	file     string
	line     int
}

// upstreamBlock is an upstream { } as written; the balancer for it is built
// per conf (so a reload starts from zero, as nginx's new workers do).
type upstreamBlock struct {
	name string
	dir  *config.Directive
	bal  *balancer
}

// confError is a config mistake with file and line, nginx's "[emerg] … in f:l".
type confError struct {
	file string
	line int
	msg  string
}

func (e *confError) Error() string {
	if e.file == "" {
		return e.msg
	}
	return fmt.Sprintf("%s in %s:%d", e.msg, e.file, e.line)
}

func errAt(d *config.Directive, format string, a ...any) *confError {
	return &confError{file: d.File, line: d.Line, msg: fmt.Sprintf(format, a...)}
}

// defaultSettings are nginx's defaults for the settings above.
func defaultSettings(prefix string) *settings {
	return &settings{
		root:           mustTmpl(filepath.Join(prefix, "html")),
		index:          []*tmpl{mustTmpl("index.html")},
		types:          defaultTypes,
		defaultType:    "text/plain",
		maxBody:        1 << 20,
		serverTokens:   true,
		logNotFound:    true,
		etag:           true,
		ifModSince:     "exact",
		absRedirect:    true,
		autoindexExact: true,
		portRedirect:   true,
		passTimeouts:   map[string]time.Duration{},
		passArgs:       map[string][]string{},
		sendTimeout:    60 * time.Second,
		charsetTypes:   defaultCharsetTypes,
		bodyTimeout:    60 * time.Second,
	}
}

// defaultCharsetTypes are charset_types' default (ngx_http_charset_filter_module.c).
var defaultCharsetTypes = map[string]bool{"text/html": true, "text/xml": true, "text/plain": true,
	"text/vnd.wap.wml": true, "application/javascript": true, "application/rss+xml": true}

// defaultTypes is nginx's built-in types { } when no types block is given
// (ngx_http_core_module.c: text/html html, image/gif gif, image/jpeg jpg).
var defaultTypes = map[string]string{"html": "text/html", "gif": "image/gif", "jpg": "image/jpeg"}

// compile turns the parsed directives into a conf. prefix is nginx's -p.
func compile(root []*config.Directive, prefix, confFile string, files *logFiles) (*conf, error) {
	cf := &conf{
		prefix:    prefix,
		confFile:  confFile,
		pidFile:   filepath.Join(prefix, "logs/nginx.pid"),
		groups:    map[string]*listenGroup{},
		listenAt:  map[string]string{},
		upstreams: map[string]*upstreamBlock{},
		formats:   map[string]*logFormat{"combined": combinedFormat},
		files:     files,
	}
	var httpBlock *config.Directive
	for _, d := range root {
		switch d.Name {
		case "pid":
			if len(d.Args) != 1 {
				return nil, errAt(d, "invalid number of arguments in \"pid\" directive")
			}
			cf.pidFile = cf.path(d.Args[0])
		case "error_log":
			el, err := cf.openErrorLog(d)
			if err != nil {
				return nil, err
			}
			cf.errorLog = el
		case "http":
			if httpBlock != nil {
				return nil, errAt(d, "\"http\" directive is duplicate")
			}
			httpBlock = d
		}
	}
	if cf.errorLog == nil {
		el, err := files.errorLog(filepath.Join(prefix, "logs/error.log"), levelError)
		if err != nil {
			return nil, &confError{msg: err.Error()}
		}
		cf.errorLog = el
	}
	if httpBlock == nil {
		return cf, nil
	}
	// log_format and upstream first: they are referenced by name from anywhere.
	for _, d := range httpBlock.Block {
		switch d.Name {
		case "log_format":
			if len(d.Args) < 2 {
				return nil, errAt(d, "invalid number of arguments in \"log_format\" directive")
			}
			if _, dup := cf.formats[d.Args[0]]; dup {
				return nil, errAt(d, "duplicate \"log_format\" name %q", d.Args[0])
			}
			f, err := compileFormat(d.Args[0], d.Args[1:])
			if err != nil {
				return nil, errAt(d, "%v", err)
			}
			cf.formats[d.Args[0]] = f
		case "upstream":
			if len(d.Args) != 1 {
				return nil, errAt(d, "invalid number of arguments in \"upstream\" directive")
			}
			if _, dup := cf.upstreams[d.Args[0]]; dup {
				return nil, errAt(d, "duplicate upstream %q", d.Args[0])
			}
			u := &upstreamBlock{name: d.Args[0], dir: d}
			b, err := newBalancer(u)
			if err != nil {
				return nil, err
			}
			u.bal = b
			cf.upstreams[d.Args[0]] = u
		}
	}
	base := defaultSettings(prefix)
	base.errorLog = cf.errorLog
	httpS, err := cf.applyLevel(httpBlock, base, nil)
	if err != nil {
		return nil, err
	}
	if !httpS.accessOff && httpS.accessLogs == nil {
		al, err := cf.openAccessLog(filepath.Join(prefix, "logs/access.log"), combinedFormat)
		if err != nil {
			return nil, &confError{msg: err.Error()}
		}
		httpS.accessLogs = []*accessLog{al}
	}
	httpSrv := serverDefaults()
	if err := cf.applyServerLevel(httpBlock, httpSrv); err != nil {
		return nil, err
	}
	for _, d := range httpBlock.Block {
		if d.Name != "server" {
			continue
		}
		if err := cf.compileServer(d, httpS, httpSrv); err != nil {
			return nil, err
		}
	}
	for _, d := range root {
		if d.Name == "http" {
			continue
		}
	}
	return cf, nil
}

func serverDefaults() *vserver {
	return &vserver{
		mergeSlashes:     true,
		headerBufSmall:   1024,
		headerBufLarge:   8192,
		headerBufCount:   4,
		ignoreInvalid:    true,
		keepaliveTimeout: 75 * time.Second,
		keepaliveReqs:    1000,
	}
}

// path resolves p against the prefix as nginx does for relative paths.
func (cf *conf) path(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(cf.prefix, p)
}

// applyServerLevel reads the settings nginx keeps per server (or http) block.
func (cf *conf) applyServerLevel(block *config.Directive, v *vserver) error {
	for _, d := range block.Block {
		switch d.Name {
		case "merge_slashes":
			b, err := flagArg(d)
			if err != nil {
				return err
			}
			v.mergeSlashes = b
		case "underscores_in_headers":
			b, err := flagArg(d)
			if err != nil {
				return err
			}
			v.underscores = b
		case "ignore_invalid_headers":
			b, err := flagArg(d)
			if err != nil {
				return err
			}
			v.ignoreInvalid = b
		case "client_header_buffer_size":
			n, err := sizeArg(d)
			if err != nil {
				return err
			}
			v.headerBufSmall = int(n)
		case "large_client_header_buffers":
			if len(d.Args) != 2 {
				return errAt(d, "invalid number of arguments in \"%s\" directive", d.Name)
			}
			n, err := config.ParseNumber(d.Args[0])
			sz, err2 := config.ParseSize(d.Args[1])
			if err != nil || err2 != nil || n < 1 || sz < 1 {
				return errAt(d, "invalid value \"%s\"", strings.Join(d.Args, " "))
			}
			v.headerBufCount, v.headerBufLarge = int(n), int(sz)
		case "keepalive_timeout":
			if len(d.Args) < 1 || len(d.Args) > 2 {
				return errAt(d, "invalid number of arguments in \"%s\" directive", d.Name)
			}
			t, err := config.ParseTime(d.Args[0])
			if err != nil {
				return errAt(d, "invalid value \"%s\"", d.Args[0])
			}
			v.keepaliveTimeout = t
		case "keepalive_requests":
			n, err := numArg(d)
			if err != nil {
				return err
			}
			v.keepaliveReqs = n
		}
	}
	return nil
}

func (cf *conf) compileServer(d *config.Directive, httpS *settings, httpSrv *vserver) error {
	v := *httpSrv
	srv := &v
	srv.file, srv.line = d.File, d.Line
	srv.named = map[string]*location{}
	if err := cf.applyServerLevel(d, srv); err != nil {
		return err
	}
	var listens []*config.Directive
	for _, c := range d.Block {
		switch c.Name {
		case "listen":
			listens = append(listens, c)
		case "server_name":
			for _, a := range c.Args {
				sn, err := parseServerName(c, a)
				if err != nil {
					return err
				}
				srv.names = append(srv.names, sn)
				if srv.firstName == "" {
					srv.firstName = strings.ToLower(a)
				}
			}
		case "return":
			r, err := parseReturn(c)
			if err != nil {
				return err
			}
			srv.ret = r
		}
	}
	top := &location{mod: modServerTop, file: d.File, line: d.Line}
	srv.top = top
	s, err := cf.applyLevel(d, httpS, top)
	if err != nil {
		return err
	}
	top.s = s
	if err := cf.compileLocations(d, top, srv); err != nil {
		return err
	}
	if len(listens) == 0 {
		cf.addListen(srv, "127.0.0.1:80", false)
	}
	for _, l := range listens {
		if len(l.Args) == 0 {
			return errAt(l, "invalid number of arguments in \"listen\" directive")
		}
		addr, err := listenAddr(l.Args[0])
		if err != nil {
			return errAt(l, "%v", err)
		}
		def := false
		for _, a := range l.Args[1:] {
			if a == "default_server" || a == "default" {
				def = true
			}
		}
		if def {
			if g := cf.groups[addr]; g != nil && g.def != nil && g.def.explicitDefault() {
				return errAt(l, "a duplicate default server for %s", addr)
			}
		}
		cf.addListen(srv, addr, def)
		if _, ok := cf.listenAt[addr]; !ok {
			cf.listenAt[addr] = fmt.Sprintf("%s:%d", l.File, l.Line)
		}
	}
	cf.servers = append(cf.servers, srv)
	return nil
}

func (v *vserver) explicitDefault() bool { return v.isDefault }

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

func parseServerName(d *config.Directive, a string) (serverName, error) {
	a = strings.ToLower(a)
	switch {
	case strings.HasPrefix(a, "~"):
		re, err := regexp.Compile(a[1:])
		if err != nil {
			return serverName{}, errAt(d, "invalid server name regex %q: %v", a, err)
		}
		return serverName{re: re}, nil
	case strings.HasPrefix(a, "*."):
		return serverName{suffix: a[1:]}, nil
	case strings.HasPrefix(a, "."):
		return serverName{exact: a[1:], suffix: a}, nil
	case strings.HasSuffix(a, ".*"):
		return serverName{prefix: a[:len(a)-1]}, nil
	}
	return serverName{exact: a}, nil
}

// compileLocations builds the location tree below parent.
func (cf *conf) compileLocations(block *config.Directive, parent *location, srv *vserver) error {
	for _, d := range block.Block {
		if d.Name != "location" {
			continue
		}
		loc, err := newLocation(d, parent)
		if err != nil {
			return err
		}
		s, err := cf.applyLevel(d, parent.s, loc)
		if err != nil {
			return err
		}
		loc.s = s
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
		if err := cf.compileLocations(d, loc, srv); err != nil {
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

var (
	pid         = os.Getpid()
	hostname, _ = os.Hostname()
)
