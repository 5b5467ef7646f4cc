package proxy

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
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
	warnings  []Warning // the lab's notes
	// nginx's own warnings and the unimplemented directives, from the parser
	cfgWarnings []Warning
	// worker_connections: the most connections open at once (listening
	// sockets and clients; nginx counts upstream connections too)
	workerConnections int
}

// A Warning is something the configuration makes worth saying without
// refusing it. The lab's notes (the alias missing-slash traversal, one worker
// where worker_processes asks for more) print as "webflow-lab: [warn] …";
// the warnings nginx prints itself, and the lab's "directive has no effect"
// for what it accepts without implementing, print as nginx's "[warn]" lines.
type Warning struct {
	File string
	Line int
	Text string // English
	ZH   string // Chinese
	Fix  string // the line as it should read
	// Nginx is set for a line in nginx's form: nginx's own warnings
	// (config's) and the lab's unimplemented directives.
	Nginx bool
	// Unimplemented is a directive the lab accepts and ignores.
	Unimplemented bool
}

func (w Warning) String() string {
	if w.Nginx {
		return "nginx: [warn] " + w.logText()
	}
	s := "webflow-lab: [warn] " + w.logText()
	if w.Fix != "" {
		s += "\n  try: " + w.Fix
	}
	return s
}

// logText is the warning as an error-log message: with its position, and
// marked as the lab's when nginx would not write it.
func (w Warning) logText() string {
	s := w.Text
	if w.File != "" {
		s = fmt.Sprintf("%s in %s:%d", w.Text, w.File, w.Line)
	}
	return s
}

// fromConfig turns the parser's warnings into the server's.
func fromConfig(ws []config.Warning) []Warning {
	out := make([]Warning, 0, len(ws))
	for _, w := range ws {
		out = append(out, Warning{File: w.File, Line: w.Line, Text: w.Msg, ZH: w.Text.ZH, Nginx: true, Unimplemented: w.Unimplemented})
	}
	return out
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
	script    []scriptOp // rewrite, return, break of the server rewrite phase
	file      string
	line      int
	listens   []*config.Directive
	// server-level only settings
	mergeSlashes   bool
	headerBufSmall int
	headerBufLarge int
	headerBufCount int
	underscores    bool
	ignoreInvalid  bool
	isDefault      bool
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
	tryFiles     []tryArg
	script       []scriptOp // rewrite, return, break (not inherited)
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
	root             *tmpl
	alias            *tmpl
	aliasLen         int // length of the location name that alias replaces (0: regex location)
	aliasRegex       bool
	index            []*tmpl
	autoindex        bool
	autoindexExact   bool
	autoindexLocal   bool
	types            map[string]string
	defaultType      string
	errorPages       []errorPage
	maxBody          int64
	serverTokens     bool
	logNotFound      bool
	accessLogs       []*accessLog // nil with accessOff: access_log off
	accessOff        bool
	errorLog         *errorLogger
	uwsgi            passConf // uwsgi_*
	proxy            passConf // proxy_*
	etag             bool
	ifModSince       string // off | exact | before
	absRedirect      bool
	portRedirect     bool
	nameRedirect     bool
	sendTimeout      time.Duration
	bodyTimeout      time.Duration
	charset          string          // charset directive; "" = off
	charsetTypes     map[string]bool // charset_types
	sendfile         bool
	keepaliveTimeout time.Duration
	keepaliveReqs    int
	access           []accessRule // allow, deny
	addHeaders       []addHeader  // add_header
	expires          expiresConf  // expires
	gzip             gzipConf
}

// tryArg is one argument of try_files. testDir is decided by the argument
// as written: "$uri/" tests for a directory (ngx_http_core_try_files
// strips the slash and remembers it), whatever $uri holds.
type tryArg struct {
	t       *tmpl
	testDir bool
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
	// $proxy_host and $proxy_port (ngx_http_proxy_set_vars): the host as
	// written, with the port unless it is 80; "localhost" and no port for
	// a UNIX socket
	hostHeader, port string
	// proxy_redirect default: an upstream Location starting with
	// redirectFrom (the proxy_pass URL) gets redirectTo (the location's
	// name) instead
	redirectFrom, redirectTo string
	// url is set when the argument has variables: the address (and the
	// URI) are evaluated per request (resolvePass)
	url *tmpl
	// a pass resolved for one request: the URI evaluated from url ("" none)
	dynURI string
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
		root:             mustTmpl(filepath.Join(prefix, "html")),
		index:            []*tmpl{mustTmpl("index.html")},
		types:            defaultTypes,
		defaultType:      "text/plain",
		maxBody:          1 << 20,
		serverTokens:     true,
		logNotFound:      true,
		etag:             true,
		ifModSince:       "exact",
		absRedirect:      true,
		autoindexExact:   true,
		portRedirect:     true,
		uwsgi:            defaultPassConf("uwsgi"),
		proxy:            defaultPassConf("http"),
		sendTimeout:      60 * time.Second,
		charsetTypes:     defaultCharsetTypes,
		bodyTimeout:      60 * time.Second,
		gzip:             defaultGzipConf(),
		keepaliveTimeout: defaultKeepaliveTimeout,
		keepaliveReqs:    defaultKeepaliveRequests,
	}
}

// defaultCharsetTypes are charset_types' default (ngx_http_charset_filter_module.c).
var defaultCharsetTypes = map[string]bool{"text/html": true, "text/xml": true, "text/plain": true,
	"text/vnd.wap.wml": true, "application/javascript": true, "application/rss+xml": true}

// defaultTypes is nginx's built-in types { } when no types block is given
// (ngx_http_core_module.c: text/html html, image/gif gif, image/jpeg jpg).
var defaultTypes = map[string]string{"html": "text/html", "gif": "image/gif", "jpg": "image/jpeg"}

var (
	pid         = os.Getpid()
	hostname, _ = os.Hostname()
)
