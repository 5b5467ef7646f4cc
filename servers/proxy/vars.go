package proxy

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A varFunc returns a variable's value for one request; ok false is nginx's
// "not found" (the access log prints "-", if_not_empty skips the param).
type varFunc func(r *request) (v string, ok bool)

// tmpl is a compiled nginx "complex value": literal text with $name, ${name}
// and $1…$9 captures, evaluated per request.
type tmpl struct {
	raw   string
	parts []tmplPart
}

type tmplPart struct {
	lit string
	v   varFunc // nil for a literal part
}

func (t *tmpl) eval(r *request) string {
	if len(t.parts) == 1 {
		// a literal, or one variable (every uwsgi_param of uwsgi_params):
		// no copy
		if p := t.parts[0]; p.v != nil {
			v, _ := p.v(r)
			return v
		}
		return t.parts[0].lit
	}
	var b strings.Builder
	for _, p := range t.parts {
		if p.v == nil {
			b.WriteString(p.lit)
			continue
		}
		v, _ := p.v(r)
		b.WriteString(v)
	}
	return b.String()
}

// compileTmpl parses s as nginx does in ngx_http_script_compile: '$' then a
// name of letters, digits and '_' (or "{name}"), or a digit for a capture.
// Unknown names are the error nginx gives at start-up: unknown "x" variable.
func compileTmpl(s string) (*tmpl, error) {
	t := &tmpl{raw: s}
	lit := strings.Builder{}
	flush := func() {
		if lit.Len() > 0 {
			t.parts = append(t.parts, tmplPart{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '$' {
			lit.WriteByte(s[i])
			continue
		}
		i++
		if i >= len(s) {
			return nil, fmt.Errorf("invalid variable name in %q", s)
		}
		var name string
		if s[i] == '{' {
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return nil, fmt.Errorf("the closing bracket in %q variable is missing", s[i+1:])
			}
			name = s[i+1 : i+end]
			i += end
		} else if isDigit(s[i]) {
			name = s[i : i+1]
		} else {
			j := i
			for j < len(s) && (isAlpha(s[j]) || isDigit(s[j]) || s[j] == '_') {
				j++
			}
			name = s[i:j]
			i = j - 1
		}
		if name == "" {
			return nil, fmt.Errorf("invalid variable name in %q", s)
		}
		fn, err := lookupVar(name)
		if err != nil {
			return nil, err
		}
		flush()
		t.parts = append(t.parts, tmplPart{lit: "$" + name, v: fn})
	}
	flush()
	if len(t.parts) == 0 {
		t.parts = []tmplPart{{lit: ""}}
	}
	return t, nil
}

func mustTmpl(s string) *tmpl {
	t, err := compileTmpl(s)
	if err != nil {
		panic(err)
	}
	return t
}

func found(s string) (string, bool) { return s, true }

// variables is the table of nginx variables the lab knows (ngx_http_variables.c,
// ngx_http_log_module.c, ngx_http_upstream.c). Prefixed families ($http_,
// $arg_, $cookie_, $sent_http_) are handled in lookupVar.
var variables = map[string]varFunc{
	"uri":            func(r *request) (string, bool) { return found(r.uri) },
	"document_uri":   func(r *request) (string, bool) { return found(r.uri) },
	"request_uri":    func(r *request) (string, bool) { return found(r.target) },
	"args":           func(r *request) (string, bool) { return found(r.args) },
	"query_string":   func(r *request) (string, bool) { return found(r.args) },
	"is_args":        func(r *request) (string, bool) { return map[bool]string{true: "?", false: ""}[r.args != ""], true },
	"request_method": func(r *request) (string, bool) { return found(r.method) },
	"request":        func(r *request) (string, bool) { return found(r.line) },
	"content_type":   func(r *request) (string, bool) { return r.header("Content-Type") },
	"content_length": func(r *request) (string, bool) {
		if r.contentLength >= 0 {
			return strconv.FormatInt(r.contentLength, 10), true
		}
		return "", false
	},
	"document_root": func(r *request) (string, bool) {
		if r.loc == nil {
			return "", false
		}
		return found(r.documentRoot())
	},
	"request_filename": func(r *request) (string, bool) {
		if r.loc == nil {
			return "", false
		}
		p, _ := r.mapURIToPath(r.uri)
		return found(p)
	},
	"server_protocol": func(r *request) (string, bool) { return found(r.proto) },
	"scheme":          func(r *request) (string, bool) { return found("http") },
	"https":           func(r *request) (string, bool) { return found("") },
	"remote_addr":     func(r *request) (string, bool) { return found(r.c.remoteIP) },
	"remote_port":     func(r *request) (string, bool) { return found(r.c.remotePort) },
	"remote_user":     func(r *request) (string, bool) { return "", false },
	"server_addr":     func(r *request) (string, bool) { return found(r.c.localIP) },
	"server_port":     func(r *request) (string, bool) { return found(r.c.localPort) },
	"server_name": func(r *request) (string, bool) {
		if r.srv == nil {
			return found("")
		}
		return found(r.srv.firstName)
	},
	"host":                   func(r *request) (string, bool) { return found(r.hostVar()) },
	"hostname":               func(r *request) (string, bool) { return found(hostname) },
	"request_id":             func(r *request) (string, bool) { return found(r.id) },
	"status":                 func(r *request) (string, bool) { return found(fmt.Sprintf("%03d", r.status)) },
	"body_bytes_sent":        func(r *request) (string, bool) { return found(strconv.FormatInt(r.bodySent, 10)) },
	"bytes_sent":             func(r *request) (string, bool) { return found(strconv.FormatInt(r.bytesSent, 10)) },
	"request_length":         func(r *request) (string, bool) { return found(strconv.FormatInt(r.reqLen, 10)) },
	"connection":             func(r *request) (string, bool) { return found(strconv.FormatUint(r.c.id, 10)) },
	"connection_requests":    func(r *request) (string, bool) { return found(strconv.Itoa(r.c.requests)) },
	"pid":                    func(r *request) (string, bool) { return found(strconv.Itoa(pid)) },
	"msec":                   func(r *request) (string, bool) { return found(msec(r.c.s.now())) },
	"time_local":             func(r *request) (string, bool) { return found(timeLocalString(r.c.s.now())) },
	"time_iso8601":           func(r *request) (string, bool) { return found(r.c.s.now().Format(time.RFC3339)) },
	"request_time":           func(r *request) (string, bool) { return found(seconds(r.c.s.now().Sub(r.start))) },
	"upstream_addr":          func(r *request) (string, bool) { return r.upstreamAddr, r.upstreamAddr != "" },
	"upstream_status":        func(r *request) (string, bool) { return r.upstreamStatus, r.upstreamStatus != "" },
	"upstream_response_time": func(r *request) (string, bool) { return r.upstreamTime, r.upstreamTime != "" },
	"upstream_connect_time":  func(r *request) (string, bool) { return r.upstreamConnect, r.upstreamConnect != "" },
	"upstream_header_time":   func(r *request) (string, bool) { return r.upstreamHeader, r.upstreamHeader != "" },

	// ngx_http_proxy_module's: found once the request is passed by proxy_pass
	"proxy_host": func(r *request) (string, bool) {
		if p := r.proxyPass(); p != nil {
			return found(p.hostHeader)
		}
		return "", false
	},
	"proxy_port": func(r *request) (string, bool) {
		if p := r.proxyPass(); p != nil {
			return found(p.port)
		}
		return "", false
	},
	"proxy_add_x_forwarded_for": func(r *request) (string, bool) {
		// every X-Forwarded-For the client sent, joined with ", ", then the
		// client's address
		var b strings.Builder
		for _, h := range r.headers {
			if strings.EqualFold(h.Name, "X-Forwarded-For") {
				b.WriteString(h.Value)
				b.WriteString(", ")
			}
		}
		b.WriteString(r.c.remoteIP)
		return found(b.String())
	},
	"proxy_internal_body_length": func(r *request) (string, bool) {
		if r.proxyPass() == nil || r.proxyBodyLen < 0 {
			return "", false
		}
		return found(strconv.FormatInt(r.proxyBodyLen, 10))
	},
	// the body is read whole before it is passed on (request buffering):
	// it never goes on chunked
	"proxy_internal_chunked": func(r *request) (string, bool) { return "", false },
}

// proxyPass is the proxy_pass of the request's location once the proxy
// module has it (nginx's module context), else nil.
func (r *request) proxyPass() *passSpec {
	if !r.passing || r.curPass == nil || r.curPass.kind != "http" {
		return nil
	}
	return r.curPass
}

const timeLocal = "02/Jan/2006:15:04:05 -0700"

func msec(t time.Time) string {
	ms := t.UnixMilli()
	return strconv.FormatInt(ms/1000, 10) + "." + fmt.Sprintf("%03d", ms%1000)
}

// seconds formats d as nginx's $request_time: seconds with millisecond resolution.
func seconds(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	ms := d.Milliseconds()
	return strconv.FormatInt(ms/1000, 10) + "." + fmt.Sprintf("%03d", ms%1000)
}

func lookupVar(name string) (varFunc, error) {
	if fn, ok := variables[name]; ok {
		return fn, nil
	}
	if len(name) == 1 && isDigit(name[0]) {
		n := int(name[0] - '0')
		return func(r *request) (string, bool) {
			if n < len(r.captures) {
				return r.captures[n], true
			}
			return "", false
		}, nil
	}
	lname := strings.ToLower(name)
	switch {
	case strings.HasPrefix(lname, "http_"):
		h := strings.ReplaceAll(lname[5:], "_", "-")
		return func(r *request) (string, bool) { return r.header(h) }, nil
	case strings.HasPrefix(lname, "arg_"):
		a := name[4:]
		return func(r *request) (string, bool) { return argValue(r.args, a) }, nil
	case strings.HasPrefix(lname, "cookie_"):
		c := name[7:]
		return func(r *request) (string, bool) { return cookieValue(r, c) }, nil
	case strings.HasPrefix(lname, "sent_http_"):
		h := strings.ReplaceAll(lname[10:], "_", "-")
		return func(r *request) (string, bool) { return r.sentHeader(h) }, nil
	}
	// Any other name is a named capture of a location or server_name regex
	// (the config package has checked that one defines it, as nginx does
	// at start): its value is the last match's.
	if validVarName(name) {
		key := strings.ToLower(name)
		return func(r *request) (string, bool) {
			v, ok := r.named[key]
			return v, ok
		}, nil
	}
	return nil, fmt.Errorf("unknown %q variable", name)
}

func validVarName(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlpha(c) && !isDigit(c) && c != '_' {
			return false
		}
	}
	return s != ""
}

// argValue finds name in an args string as ngx_http_arg does: case-insensitive, raw.
func argValue(args, name string) (string, bool) {
	for args != "" {
		var kv string
		kv, args, _ = strings.Cut(args, "&")
		k, v, _ := strings.Cut(kv, "=")
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

func cookieValue(r *request, name string) (string, bool) {
	for _, h := range r.headers {
		if !strings.EqualFold(h.Name, "Cookie") {
			continue
		}
		for _, c := range strings.Split(h.Value, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(c), "=")
			if k == name {
				return v, true
			}
		}
	}
	return "", false
}
