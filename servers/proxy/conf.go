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
			b, err := onOff(d)
			if err != nil {
				return err
			}
			v.mergeSlashes = b
		case "underscores_in_headers":
			b, err := onOff(d)
			if err != nil {
				return err
			}
			v.underscores = b
		case "ignore_invalid_headers":
			b, err := onOff(d)
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
			n, err := strconv.Atoi(d.Args[0])
			sz, err2 := parseSize(d.Args[1])
			if err != nil || err2 != nil || n < 1 || sz < 1 {
				return errAt(d, "invalid value \"%s\"", strings.Join(d.Args, " "))
			}
			v.headerBufCount, v.headerBufLarge = n, int(sz)
		case "keepalive_timeout":
			if len(d.Args) < 1 || len(d.Args) > 2 {
				return errAt(d, "invalid number of arguments in \"%s\" directive", d.Name)
			}
			t, err := parseTime(d.Args[0])
			if err != nil {
				return errAt(d, "invalid value \"%s\"", d.Args[0])
			}
			v.keepaliveTimeout = t
		case "keepalive_requests":
			n, err := intArg(d)
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
			s.autoindex, err = onOff(d)
		case "autoindex_exact_size":
			s.autoindexExact, err = onOff(d)
		case "autoindex_localtime":
			s.autoindexLocal, err = onOff(d)
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
			s.maxBody, err = sizeArg(d)
		case "server_tokens":
			s.serverTokens, err = onOff(d)
		case "log_not_found":
			s.logNotFound, err = onOff(d)
		case "etag":
			s.etag, err = onOff(d)
		case "if_modified_since":
			if len(d.Args) != 1 {
				return nil, errAt(d, "invalid number of arguments in \"if_modified_since\" directive")
			}
			s.ifModSince = d.Args[0]
		case "absolute_redirect":
			s.absRedirect, err = onOff(d)
		case "port_in_redirect":
			s.portRedirect, err = onOff(d)
		case "server_name_in_redirect":
			s.nameRedirect, err = onOff(d)
		case "send_timeout":
			s.sendTimeout, err = timeArg(d)
		case "client_body_timeout":
			s.bodyTimeout, err = timeArg(d)
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
			t, err = timeArg(d)
			s.passTimeouts[d.Name] = t
		case "uwsgi_ignore_client_abort", "proxy_ignore_client_abort":
			s.ignoreAbort, err = onOff(d)
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

func onOff(d *config.Directive) (bool, error) {
	if len(d.Args) != 1 {
		return false, errAt(d, "invalid number of arguments in \"%s\" directive", d.Name)
	}
	switch d.Args[0] {
	case "on":
		return true, nil
	case "off":
		return false, nil
	}
	return false, errAt(d, "invalid value \"%s\" in \"%s\" directive, it must be \"on\" or \"off\"", d.Args[0], d.Name)
}

func sizeArg(d *config.Directive) (int64, error) {
	if len(d.Args) != 1 {
		return 0, errAt(d, "invalid number of arguments in \"%s\" directive", d.Name)
	}
	n, err := parseSize(d.Args[0])
	if err != nil {
		return 0, errAt(d, "\"%s\" directive invalid value", d.Name)
	}
	return n, nil
}

func timeArg(d *config.Directive) (time.Duration, error) {
	if len(d.Args) != 1 {
		return 0, errAt(d, "invalid number of arguments in \"%s\" directive", d.Name)
	}
	t, err := parseTime(d.Args[0])
	if err != nil {
		return 0, errAt(d, "\"%s\" directive invalid value", d.Name)
	}
	return t, nil
}

func intArg(d *config.Directive) (int, error) {
	if len(d.Args) != 1 {
		return 0, errAt(d, "invalid number of arguments in \"%s\" directive", d.Name)
	}
	n, err := strconv.Atoi(d.Args[0])
	if err != nil || n < 0 {
		return 0, errAt(d, "invalid value \"%s\"", d.Args[0])
	}
	return n, nil
}

// parseSize reads nginx sizes: 1024, 8k, 1m, 1g (ngx_parse_size, case-insensitive).
func parseSize(s string) (int64, error) {
	mult := int64(1)
	if s != "" {
		switch s[len(s)-1] | 0x20 {
		case 'k':
			mult, s = 1<<10, s[:len(s)-1]
		case 'm':
			mult, s = 1<<20, s[:len(s)-1]
		case 'g':
			mult, s = 1<<30, s[:len(s)-1]
		}
	}
	if !digits(s) {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n > (1<<62)/mult {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	return n * mult, nil
}

// parseTime reads nginx times: "60", "60s", "1m30s", "500ms", "1h", "1d" (ngx_parse_time).
func parseTime(s string) (time.Duration, error) {
	if digits(s) {
		n, _ := strconv.Atoi(s)
		return time.Duration(n) * time.Second, nil
	}
	var total time.Duration
	for s != "" {
		i := 0
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("invalid time %q", s)
		}
		n, _ := strconv.Atoi(s[:i])
		s = s[i:]
		unit := time.Second
		switch {
		case strings.HasPrefix(s, "ms"):
			unit, s = time.Millisecond, s[2:]
		case strings.HasPrefix(s, "s"):
			s = s[1:]
		case strings.HasPrefix(s, "m"):
			unit, s = time.Minute, s[1:]
		case strings.HasPrefix(s, "h"):
			unit, s = time.Hour, s[1:]
		case strings.HasPrefix(s, "d"):
			unit, s = 24*time.Hour, s[1:]
		case strings.HasPrefix(s, "w"):
			unit, s = 7*24*time.Hour, s[1:]
		case s == "":
		default:
			return 0, fmt.Errorf("invalid time %q", s)
		}
		total += time.Duration(n) * unit
	}
	return total, nil
}

var (
	pid         = os.Getpid()
	hostname, _ = os.Hostname()
)
