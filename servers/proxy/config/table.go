package config

import "sort"

// A Context is where a directive may appear. nginx spells these as the
// NGX_*_CONF bits of a module's ngx_command_t; the names below are the blocks
// a learner writes. (nginx gives NGX_EVENT_CONF and NGX_HTTP_MAIN_CONF the
// same bit and tells them apart by module type; here they are distinct.)
type Context uint32

const (
	Main        Context = 1 << iota // outside any block (NGX_MAIN_CONF)
	Events                          // events { } (NGX_EVENT_CONF)
	HTTP                            // http { } (NGX_HTTP_MAIN_CONF)
	Server                          // server { } in http (NGX_HTTP_SRV_CONF)
	Location                        // location { } (NGX_HTTP_LOC_CONF)
	Upstream                        // upstream { } (NGX_HTTP_UPS_CONF)
	ServerIf                        // if { } in server (NGX_HTTP_SIF_CONF)
	LocationIf                      // if { } in location (NGX_HTTP_LIF_CONF)
	LimitExcept                     // limit_except { } (NGX_HTTP_LMT_CONF)

	AnyContext Context = 1<<iota - 1 // NGX_ANY_CONF: include
)

var contextNames = []struct {
	c    Context
	name string
}{
	{Main, "main"}, {Events, "events"}, {HTTP, "http"}, {Server, "server"}, {Location, "location"},
	{Upstream, "upstream"}, {ServerIf, "if in server"}, {LocationIf, "if in location"},
	{LimitExcept, "limit_except"},
}

// String lists the contexts in c, e.g. "http, server, location".
func (c Context) String() string {
	s := ""
	for _, n := range contextNames {
		if c&n.c != 0 {
			if s != "" {
				s += ", "
			}
			s += n.name
		}
	}
	return s
}

// An Arity is nginx's rule for a directive's argument count and form
// (NGX_CONF_NOARGS … NGX_CONF_2MORE, NGX_CONF_BLOCK, NGX_CONF_FLAG).
type Arity uint32

const (
	NoArgs Arity = 1 << iota // NGX_CONF_NOARGS
	Take1
	Take2
	Take3
	Take4
	Take5
	Take6
	Take7
	Block     // written with { }
	Flag      // exactly one argument, "on" or "off"
	AnyArgs   // any number of arguments (NGX_CONF_ANY)
	OneOrMore // NGX_CONF_1MORE
	TwoOrMore // NGX_CONF_2MORE

	Take12   = Take1 | Take2
	Take13   = Take1 | Take3
	Take23   = Take2 | Take3
	Take123  = Take1 | Take2 | Take3
	Take1234 = Take1 | Take2 | Take3 | Take4
)

// maxArgs is NGX_CONF_MAX_ARGS: a TAKEn directive never takes more.
const maxArgs = 8

// accepts mirrors the argument-count test in ngx_conf_handler. n counts the
// arguments after the name.
func (a Arity) accepts(n int) bool {
	switch {
	case a&AnyArgs != 0:
		return true
	case a&Flag != 0:
		return n == 1
	case a&OneOrMore != 0:
		return n >= 1
	case a&TwoOrMore != 0:
		return n >= 2
	case n+1 > maxArgs:
		return false
	}
	return a&(NoArgs<<n) != 0
}

// setKind says which of nginx's generic setters (ngx_conf_set_*_slot) a
// directive uses: it decides the value check and whether a second copy in
// the same block is "is duplicate".
type setKind uint8

const (
	setCustom     setKind = iota // the module's own function
	setFlag                      // on | off
	setStr                       // any string, once
	setNum                       // a decimal number, once
	setSize                      // 1024, 8k, 1m; once
	setOff                       // like size, also g; once
	setMsec                      // 500ms, 60s, 1m30s; once
	setSec                       // like msec, in seconds; once
	setEnum                      // one of a fixed list; once
	setBitmask                   // any of a fixed list
	setPath                      // a path with levels; once
	setCustomOnce                // the module's own function, which refuses a second copy
)

// once reports whether nginx rejects the directive twice in one block.
func (k setKind) once() bool { return k != setCustom && k != setBitmask }

// spec is one row of nginx's directive tables.
type spec struct {
	name   string
	ctx    Context
	arity  Arity
	module string // nginx source file without .c, e.g. "ngx_http_core_module"
	set    setKind
}

// A Class says what the lab does with a directive nginx knows.
type Class uint8

const (
	Unknown   Class = iota // nginx has no such directive: "unknown directive"
	Supported              // the lab's proxy implements it
	Ignored                // real nginx accepts it; the lab warns and ignores it
)

// supported is every directive the lab's proxy implements: the keys of the
// proxy's compile table (servers/proxy/compile.go), which
// TestDirectiveTable keeps equal to this list, and include, which Parse
// itself carries out. Everything else in nginxDirectives is accepted with a
// warning that it has no effect in the lab.
var supported = map[string]bool{
	// main and events
	"include": true, "pid": true, "worker_processes": true, "error_log": true,
	"events": true, "worker_connections": true, "http": true,
	// servers and locations
	"server": true, "listen": true, "server_name": true, "location": true, "internal": true,
	"merge_slashes": true, "underscores_in_headers": true, "ignore_invalid_headers": true,
	"client_header_buffer_size": true, "large_client_header_buffers": true,
	"keepalive_timeout": true, "keepalive_requests": true,
	// files
	"root": true, "alias": true, "index": true, "try_files": true, "autoindex": true,
	"autoindex_exact_size": true, "autoindex_localtime": true, "types": true, "default_type": true,
	"charset": true, "charset_types": true, "etag": true, "if_modified_since": true,
	"log_not_found": true, "sendfile": true, "server_tokens": true, "absolute_redirect": true,
	"port_in_redirect": true, "server_name_in_redirect": true, "client_max_body_size": true,
	"send_timeout": true, "client_body_timeout": true,
	// gzip
	"gzip": true, "gzip_types": true, "gzip_min_length": true, "gzip_comp_level": true,
	"gzip_vary": true, "gzip_http_version": true, "gzip_proxied": true,
	// headers, access
	"add_header": true, "expires": true, "allow": true, "deny": true,
	// logs, return, error pages
	"access_log": true, "log_format": true, "return": true, "error_page": true, "rewrite": true, "break": true,
	// uwsgi
	"uwsgi_pass": true, "uwsgi_param": true, "uwsgi_read_timeout": true,
	"uwsgi_connect_timeout": true, "uwsgi_send_timeout": true,
	"uwsgi_ignore_client_abort": true, "uwsgi_next_upstream": true,
	"uwsgi_next_upstream_tries": true, "uwsgi_next_upstream_timeout": true,
	"uwsgi_buffer_size": true, "uwsgi_modifier1": true, "uwsgi_modifier2": true,
	"uwsgi_pass_request_headers": true,
	// proxy
	"proxy_pass": true, "proxy_set_header": true, "proxy_read_timeout": true, "proxy_ignore_client_abort": true,
	"proxy_pass_request_headers": true, "proxy_pass_request_body": true, "proxy_http_version": true,
	"uwsgi_pass_request_body": true, "uwsgi_intercept_errors": true, "proxy_intercept_errors": true,
	"proxy_connect_timeout": true, "proxy_send_timeout": true,
	"proxy_next_upstream": true, "proxy_next_upstream_tries": true,
	"proxy_next_upstream_timeout": true, "proxy_buffer_size": true,
	// upstream
	"upstream": true, "ip_hash": true, "least_conn": true, "hash": true, "random": true,
}

// IsSupported reports whether the lab implements the directive name.
func IsSupported(name string) bool { return supported[name] }

// byName indexes nginxDirectives.
var byName = func() map[string][]spec {
	m := make(map[string][]spec)
	for _, s := range nginxDirectives {
		m[s.name] = append(m[s.name], s)
	}
	return m
}()

// DirectiveInfo describes one directive for documentation and the TUI.
type DirectiveInfo struct {
	Name     string
	Contexts Context // every context any of nginx's definitions allows
	Arity    Arity   // the rule of the first definition
	Module   string  // nginx module that defines it
	Class    Class
}

// Lookup returns what the lab knows about the directive name; Class is
// Unknown when nginx 1.22.1 (as built by Debian) has no such directive.
func Lookup(name string) DirectiveInfo {
	specs := byName[name]
	if len(specs) == 0 {
		return DirectiveInfo{Name: name, Class: Unknown}
	}
	info := DirectiveInfo{Name: name, Arity: specs[0].arity, Module: specs[0].module, Class: Ignored}
	for _, s := range specs {
		info.Contexts |= s.ctx
	}
	if supported[name] {
		info.Class = Supported
	}
	return info
}

// Directives lists every directive nginx knows, sorted by name.
func Directives() []DirectiveInfo {
	out := make([]DirectiveInfo, 0, len(byName))
	for name := range byName {
		out = append(out, Lookup(name))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// rawBlocks are the blocks whose body nginx hands to a custom handler
// (cf->handler) instead of the directive table: each line is a free-form
// list of words, and a "{" inside is `unexpected "{"`.
var rawBlocks = map[string]bool{
	"types": true, "map": true, "geo": true, "split_clients": true, "charset_map": true,
}

// childContext is the context of a block directive's body.
func childContext(name string, parent Context) Context {
	switch name {
	case "events":
		return Events
	case "http":
		return HTTP
	case "server":
		return Server
	case "location":
		return Location
	case "upstream":
		return Upstream
	case "limit_except":
		return LimitExcept
	case "if":
		if parent == Server {
			return ServerIf
		}
		return LocationIf
	}
	return 0 // raw block
}
