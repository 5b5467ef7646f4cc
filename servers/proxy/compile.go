package proxy

import (
	"fmt"
	"path/filepath"

	"webflow-lab/servers/proxy/config"
)

// The compile step turns the parsed directives into the running server's
// settings (a conf). What each directive means is in one place: the
// directives table below, one small function per directive, grouped by
// concern in the compile_*.go files. A directive nginx knows that is not in
// the table is accepted with a warning ("has no effect in webflow-lab"):
// config's list of supported directives and this table are kept equal by
// TestDirectiveTable.
//
// Levels are compiled as nginx merges them: each block starts from a copy of
// its parent's settings and its own directives overwrite them; a list
// directive (index, error_page, uwsgi_param, proxy_set_header, access_log …)
// replaces on its first line everything inherited. Blocks inside a block
// (server, location, upstream) are compiled after their parent is complete,
// so a location inherits a root written below it, as in nginx.

// A scopeKind is the block a directive sits in.
type scopeKind uint8

const (
	scopeMain scopeKind = iota
	scopeEvents
	scopeHTTP
	scopeServer
	scopeLocation
	scopeUpstream
)

// scope is one block being compiled.
type scope struct {
	cf    *conf
	kind  scopeKind
	block *config.Directive // nil for the main level
	s     *settings         // http, server, location: the settings being built
	srv   *vserver          // http: the defaults for servers; server, location: the server
	loc   *location         // server: the server's top location; location: the location
	up    *upstreamBuild    // upstream: the block being read
	seen  map[string]bool   // directives met at this level
	// blocks met at this level, compiled once the level is complete
	https, servers, locations []*config.Directive
}

// first reports whether d is the first of its name at this level: a list
// directive then drops what it inherited.
func (l *scope) first(d *config.Directive) bool {
	if l.seen[d.Name] {
		return false
	}
	if l.seen == nil {
		l.seen = map[string]bool{}
	}
	l.seen[d.Name] = true
	return true
}

// A directiveFunc applies one directive to the scope being compiled.
type directiveFunc func(l *scope, d *config.Directive) error

// directives is what every directive the lab implements means. (Set in
// init: some functions compile nested blocks through the table.)
var directives map[string]directiveFunc

func init() {
	directives = map[string]directiveFunc{
		// main and events (compile.go)
		"pid": mainPid, "error_log": logErrorLog, "worker_processes": mainWorkerProcesses,
		"events": mainEvents, "worker_connections": mainWorkerConnections, "http": mainHTTP,

		// servers and locations (compile_server.go)
		"server": serverBlock, "listen": serverListen, "server_name": serverNames, "location": serverLocation,
		"merge_slashes": serverMergeSlashes, "underscores_in_headers": serverUnderscores,
		"ignore_invalid_headers": serverIgnoreInvalid, "client_header_buffer_size": serverHeaderBuffer,
		"large_client_header_buffers": serverLargeHeaderBuffers, "keepalive_timeout": coreKeepaliveTimeout,
		"keepalive_requests": coreKeepaliveRequests, "internal": locationInternal,

		// files (compile_static.go)
		"root": staticRoot, "alias": staticRoot, "index": staticIndex, "autoindex": staticAutoindex,
		"autoindex_exact_size": staticAutoindexExact, "autoindex_localtime": staticAutoindexLocal,
		"types": staticTypes, "default_type": staticDefaultType, "charset": staticCharset,
		"charset_types": staticCharsetTypes, "etag": staticEtag, "if_modified_since": staticIfModifiedSince,
		"try_files": staticTryFiles, "log_not_found": staticLogNotFound, "sendfile": staticSendfile,
		"server_tokens": coreServerTokens, "absolute_redirect": coreAbsoluteRedirect,
		"port_in_redirect": corePortInRedirect, "server_name_in_redirect": coreNameInRedirect,
		"client_max_body_size": coreMaxBodySize, "send_timeout": coreSendTimeout,
		"client_body_timeout": coreBodyTimeout,

		// allow and deny (access.go)
		"allow": accessDirective, "deny": accessDirective,

		// add_header and expires (headers.go)
		"add_header": headersAdd, "expires": headersExpires,

		// gzip (gzip.go)
		"gzip": gzipOn, "gzip_types": gzipTypes, "gzip_min_length": gzipMinLength,
		"gzip_comp_level": gzipCompLevel, "gzip_vary": gzipVary, "gzip_http_version": gzipHTTPVersion,
		"gzip_proxied": gzipProxied,

		// logs (compile_logs.go)
		"access_log": logAccessLog, "log_format": logFormatDirective,

		// return and error pages (compile_rewrite.go)
		"return": rewriteReturn, "error_page": rewriteErrorPage,
		"rewrite": rewriteRewrite, "break": rewriteBreak,

		// passing on (compile_pass.go)
		"uwsgi_pass": passPass, "proxy_pass": passPass,
		"uwsgi_param": passParam, "proxy_set_header": passParam,
		"uwsgi_pass_request_body": passRequestBody, "proxy_pass_request_body": passRequestBody,
		"proxy_pass_request_headers": passRequestHeaders, "proxy_http_version": proxyHTTPVersion,
		"uwsgi_intercept_errors": passIntercept, "proxy_intercept_errors": passIntercept,
		"uwsgi_connect_timeout": passTimeout, "uwsgi_send_timeout": passTimeout, "uwsgi_read_timeout": passTimeout,
		"proxy_connect_timeout": passTimeout, "proxy_send_timeout": passTimeout, "proxy_read_timeout": passTimeout,
		"uwsgi_next_upstream_timeout": passTimeout, "proxy_next_upstream_timeout": passTimeout,
		"uwsgi_next_upstream": passNextUpstream, "proxy_next_upstream": passNextUpstream,
		"uwsgi_next_upstream_tries": passTries, "proxy_next_upstream_tries": passTries,
		"uwsgi_buffer_size": passBufferSize, "proxy_buffer_size": passBufferSize,
		"uwsgi_ignore_client_abort": passIgnoreAbort, "proxy_ignore_client_abort": passIgnoreAbort,
		"uwsgi_modifier1": passModifier, "uwsgi_modifier2": passModifier,
		"uwsgi_pass_request_headers": passRequestHeaders,

		// upstream blocks (compile_pass.go)
		"upstream": passUpstream, "ip_hash": upstreamMethod, "least_conn": upstreamMethod,
		"hash": upstreamMethod, "random": upstreamMethod,
	}
}

// apply runs the directive functions of list at l.
func (l *scope) apply(list []*config.Directive) error {
	for _, d := range list {
		f := directives[d.Name]
		if f == nil {
			continue // accepted without effect: config warned about it
		}
		if err := f(l, d); err != nil {
			if _, ok := err.(*confError); ok {
				return err
			}
			return errAt(d, "%v", err)
		}
	}
	return nil
}

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
		// nginx's default worker_connections
		workerConnections: 512,
	}
	main := &scope{cf: cf, kind: scopeMain}
	if err := main.apply(root); err != nil {
		return nil, err
	}
	if cf.errorLog == nil {
		el, err := files.errorLog(filepath.Join(prefix, "logs/error.log"), levelError)
		if err != nil {
			return nil, &confError{msg: err.Error()}
		}
		cf.errorLog = el
	}
	switch len(main.https) {
	case 0:
		return cf, nil
	case 1:
	default:
		return nil, errAt(main.https[1], "\"http\" directive is duplicate")
	}
	return cf, cf.compileHTTP(main.https[0])
}

// compileHTTP compiles http { }: its own settings (the defaults of every
// server), then its upstreams and servers.
func (cf *conf) compileHTTP(block *config.Directive) error {
	// log_format and upstream first: they are referenced by name from
	// anywhere in http { }.
	top := &scope{cf: cf, kind: scopeHTTP, block: block}
	for _, d := range block.Block {
		if d.Name == "log_format" || d.Name == "upstream" {
			if err := top.apply([]*config.Directive{d}); err != nil {
				return err
			}
		}
	}
	base := defaultSettings(cf.prefix)
	base.errorLog = cf.errorLog
	http := &scope{cf: cf, kind: scopeHTTP, block: block, s: base, srv: serverDefaults()}
	var rest []*config.Directive
	for _, d := range block.Block {
		if d.Name != "log_format" && d.Name != "upstream" {
			rest = append(rest, d)
		}
	}
	if err := http.apply(rest); err != nil {
		return err
	}
	if !http.s.accessOff && http.s.accessLogs == nil {
		al, err := cf.openAccessLog(filepath.Join(cf.prefix, "logs/access.log"), combinedFormat)
		if err != nil {
			return &confError{msg: err.Error()}
		}
		http.s.accessLogs = []*accessLog{al}
	}
	for _, d := range http.servers {
		if err := cf.compileServer(d, http); err != nil {
			return err
		}
	}
	return nil
}

// path resolves p against the prefix as nginx does for relative paths.
func (cf *conf) path(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(cf.prefix, p)
}

// child starts the scope of a block inside l: a copy of l's settings.
func (l *scope) child(kind scopeKind, block *config.Directive) *scope {
	s := *l.s
	return &scope{cf: l.cf, kind: kind, block: block, s: &s, srv: l.srv}
}

// Main and events directives.

func mainPid(l *scope, d *config.Directive) error {
	p, err := oneArg(d)
	if err != nil {
		return err
	}
	l.cf.pidFile = l.cf.path(p)
	return nil
}

// mainWorkerProcesses records worker_processes; the lab runs one worker,
// and says so when the config asks for more.
func mainWorkerProcesses(l *scope, d *config.Directive) error {
	a, err := oneArg(d)
	if err != nil {
		return err
	}
	if a != "1" {
		l.cf.warnings = append(l.cf.warnings, Warning{File: d.File, Line: d.Line,
			Text: fmt.Sprintf("worker_processes %s: the lab runs one worker, so every request sees one balancer state "+
				"(nginx gives each of its workers its own)", a),
			ZH: fmt.Sprintf("worker_processes %s：实验室只运行一个 worker，所有请求共用一份负载均衡状态（nginx 的每个 worker 各有一份）", a),
		})
	}
	return nil
}

func mainEvents(l *scope, d *config.Directive) error {
	ev := &scope{cf: l.cf, kind: scopeEvents, block: d}
	return ev.apply(d.Block)
}

// mainWorkerConnections is the most connections the worker holds at once.
func mainWorkerConnections(l *scope, d *config.Directive) error {
	n, err := numArg(d)
	if err != nil {
		return err
	}
	l.cf.workerConnections = n
	return nil
}

func mainHTTP(l *scope, d *config.Directive) error {
	l.https = append(l.https, d)
	return nil
}
