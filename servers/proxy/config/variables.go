package config

import (
	"fmt"
	"regexp"
	"strings"

	"webflow-lab/servers/explain"
)

// knownVars are the variables of the modules built into Debian's nginx
// 1.22.1 (the ngx_http_variable_t tables and ngx_http_add_variable calls).
var knownVars = map[string]bool{
	"ancient_browser": true, "args": true, "binary_remote_addr": true, "body_bytes_sent": true,
	"bytes_sent": true, "connection": true, "connection_requests": true, "connection_time": true,
	"connections_active": true, "connections_reading": true, "connections_waiting": true,
	"connections_writing": true, "content_length": true, "content_type": true, "date_gmt": true,
	"date_local": true, "document_root": true, "document_uri": true, "fastcgi_path_info": true,
	"fastcgi_script_name": true, "grpc_internal_trailers": true, "gzip_ratio": true, "host": true,
	"hostname": true, "http2": true, "http_cookie": true, "http_host": true, "http_referer": true,
	"http_user_agent": true, "http_via": true, "http_x_forwarded_for": true, "https": true,
	"invalid_referer": true, "is_args": true, "limit_conn_status": true, "limit_rate": true,
	"limit_req_status": true, "modern_browser": true, "msec": true, "msie": true, "nginx_version": true,
	"pid": true, "pipe": true, "proxy_add_via": true, "proxy_add_x_forwarded_for": true, "proxy_host": true,
	"proxy_internal_body_length": true, "proxy_internal_chunked": true, "proxy_port": true,
	"proxy_protocol_addr": true, "proxy_protocol_port": true, "proxy_protocol_server_addr": true,
	"proxy_protocol_server_port": true, "query_string": true, "realip_remote_addr": true,
	"realip_remote_port": true, "realpath_root": true, "remote_addr": true, "remote_port": true,
	"remote_user": true, "request": true, "request_body": true, "request_body_file": true,
	"request_completion": true, "request_filename": true, "request_id": true, "request_length": true,
	"request_method": true, "request_time": true, "request_uri": true, "scheme": true, "secure_link": true,
	"secure_link_expires": true, "sent_http_cache_control": true, "sent_http_connection": true,
	"sent_http_content_length": true, "sent_http_content_type": true, "sent_http_keep_alive": true,
	"sent_http_last_modified": true, "sent_http_link": true, "sent_http_location": true,
	"sent_http_transfer_encoding": true, "server_addr": true, "server_name": true, "server_port": true,
	"server_protocol": true, "slice_range": true, "ssl_alpn_protocol": true, "ssl_cipher": true,
	"ssl_ciphers": true, "ssl_client_cert": true, "ssl_client_escaped_cert": true,
	"ssl_client_fingerprint": true, "ssl_client_i_dn": true, "ssl_client_i_dn_legacy": true,
	"ssl_client_raw_cert": true, "ssl_client_s_dn": true, "ssl_client_s_dn_legacy": true,
	"ssl_client_serial": true, "ssl_client_v_end": true, "ssl_client_v_remain": true,
	"ssl_client_v_start": true, "ssl_client_verify": true, "ssl_curve": true, "ssl_curves": true,
	"ssl_early_data": true, "ssl_protocol": true, "ssl_server_name": true, "ssl_session_id": true,
	"ssl_session_reused": true, "status": true, "tcpinfo_rcv_space": true, "tcpinfo_rtt": true,
	"tcpinfo_rttvar": true, "tcpinfo_snd_cwnd": true, "time_iso8601": true, "time_local": true, "uid_got": true,
	"uid_reset": true, "uid_set": true, "upstream_addr": true, "upstream_bytes_received": true,
	"upstream_bytes_sent": true, "upstream_cache_etag": true, "upstream_cache_last_modified": true,
	"upstream_cache_status": true, "upstream_connect_time": true, "upstream_header_time": true,
	"upstream_response_length": true, "upstream_response_time": true, "upstream_status": true, "uri": true,
}

// varPrefixes name families of variables: $http_x_real_ip, $arg_page, …
var varPrefixes = []string{"arg_", "cookie_", "http_", "sent_http_", "sent_trailer_", "upstream_cookie_",
	"upstream_http_", "upstream_trailer_"}

// scriptArgs says which arguments of a directive nginx compiles as a script
// with variables: -1 means all of them, otherwise the first index used.
var scriptArgs = map[string]int{
	"return": 0, "try_files": -1, "root": 0, "alias": 0, "index": -1,
	"uwsgi_param": 1, "proxy_set_header": 1, "fastcgi_param": 1, "scgi_param": 1, "add_header": 1,
	"proxy_pass": 0, "uwsgi_pass": 0, "log_format": 1, "access_log": 0, "error_page": -1,
	"set": 1, "if": -1, "rewrite": 1, "hash": 0, "map": 0,
	"limit_req_zone": 0, "limit_conn_zone": 0, "proxy_redirect": -1,
}

// varRefs lists the variable names referenced in s, as ngx_http_script_compile
// reads them: $name or ${name}; $1…$9 are regex captures, not variables.
func varRefs(s string) []string {
	var out []string
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			continue
		}
		i++
		if s[i] >= '1' && s[i] <= '9' {
			continue
		}
		if s[i] == '{' {
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return out
			}
			out = append(out, s[i+1:i+end])
			i += end
			continue
		}
		j := i
		for j < len(s) && (s[j] == '_' || s[j] >= '0' && s[j] <= '9' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z') {
			j++
		}
		if j > i {
			out = append(out, s[i:j])
		}
		i = j - 1
	}
	return out
}

// scriptError is the error ngx_http_script_compile reports for s, or "".
func scriptError(s string) string {
	for i := 0; i < len(s); {
		if s[i] != '$' {
			i++
			continue
		}
		i++
		if i == len(s) {
			return "invalid variable name"
		}
		if s[i] >= '1' && s[i] <= '9' {
			i++ // a regex capture
			continue
		}
		bracket := s[i] == '{'
		if bracket {
			i++
			if i == len(s) {
				return "invalid variable name"
			}
		}
		start, n := i, 0
		for i < len(s) {
			c := s[i]
			if c == '}' && bracket {
				i++
				bracket = false
				break
			}
			if c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
				i++
				n++
				continue
			}
			break
		}
		if bracket {
			return fmt.Sprintf(`the closing bracket in "%s" variable is missing`, s[start:start+n])
		}
		if n == 0 {
			return "invalid variable name"
		}
	}
	return ""
}

// handlerScripts are the arguments a directive compiles as it is read (so a
// bad "$" fails right there): the same as scriptArgs for these directives.
var handlerScripts = map[string]bool{
	"return": true, "try_files": true, "root": true, "alias": true, "index": true,
	"set": true, "rewrite": true, "error_page": true, "uwsgi_pass": true, "proxy_pass": true, "map": true,
}

// scriptStrings are the arguments of d that nginx compiles as scripts, and
// the whole-word variable names it looks up (if's first operand, set's name).
func scriptStrings(d *Directive) (scripts, names []string) {
	switch d.Name {
	case "set":
		return []string{d.Arg(1)}, nil
	case "if":
		ops := ifOperands(d.Args)
		if len(ops) == 0 {
			return nil, nil
		}
		if len(ops[0]) > 1 && ops[0][0] == '$' {
			names = []string{ops[0][1:]}
			if len(ops) == 3 && (ops[1] == "=" || ops[1] == "!=") {
				scripts = []string{ops[2]}
			}
			return scripts, names
		}
		if len(ops) == 2 {
			return []string{ops[1]}, nil // -f path
		}
		return nil, nil
	case "charset", "source_charset":
		// ngx_http_set_charset_slot: a whole word starting with '$'.
		if strings.HasPrefix(d.Arg(0), "$") {
			return nil, []string{d.Arg(0)[1:]}
		}
		return nil, nil
	case "map", "split_clients":
		// The source is a script; the second word names the new variable.
		return d.Args[:1], nil
	case "return":
		if _, ok := atoi(d.Arg(0)); ok {
			return d.Args[1:], nil
		}
		return d.Args, nil
	}
	from, ok := scriptArgs[d.Name]
	if !ok {
		return nil, nil
	}
	if from < 0 {
		from = 0
	}
	if from < len(d.Args) {
		return d.Args[from:], nil
	}
	return nil, nil
}

// ifOperands strips the parentheses of an if condition as
// ngx_http_rewrite_if_condition does.
func ifOperands(args []string) []string {
	ops := append([]string{}, args...)
	if len(ops) == 0 || !strings.HasPrefix(ops[0], "(") || !strings.HasSuffix(ops[len(ops)-1], ")") {
		return nil
	}
	if ops[0] == "(" {
		ops = ops[1:]
	} else {
		ops[0] = ops[0][1:]
	}
	if len(ops) == 0 {
		return nil
	}
	last := len(ops) - 1
	if ops[last] == ")" {
		ops = ops[:last]
	} else {
		ops[last] = ops[last][:len(ops[last])-1]
	}
	return ops
}

var namedCapture = regexp.MustCompile(`\(\?(?:P?<([A-Za-z0-9_]+)>|'([A-Za-z0-9_]+)')`)

// defineVars adds the variables list defines: set, map, geo, split_clients,
// and the named captures of regex locations, server names, if and rewrite.
func defineVars(list []*Directive, defined map[string]bool) {
	captures := func(s string) {
		for _, m := range namedCapture.FindAllStringSubmatch(s, -1) {
			defined[strings.ToLower(m[1]+m[2])] = true
		}
	}
	for _, d := range list {
		switch d.Name {
		case "set", "geo":
			defined[strings.ToLower(strings.TrimPrefix(d.Arg(len(d.Args)-1-boolInt(d.Name == "set")), "$"))] = true
		case "map", "split_clients":
			defined[strings.ToLower(strings.TrimPrefix(d.Arg(1), "$"))] = true
			for _, e := range d.Block {
				if strings.HasPrefix(e.Name, "~") {
					captures(e.Name)
				}
			}
		case "location":
			if mod, path := d.LocationMatch(); mod == "~" || mod == "~*" {
				captures(path)
			}
		case "server_name":
			for _, a := range d.Args {
				if strings.HasPrefix(a, "~") {
					captures(a)
				}
			}
		case "if":
			if ops := ifOperands(d.Args); len(ops) == 3 && strings.Contains(ops[1], "~") {
				captures(ops[2])
			}
		case "rewrite":
			captures(d.Arg(0))
		}
		if d.IsBlock() && !rawBlocks[d.Name] {
			defineVars(d.Block, defined)
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// checkVars mirrors ngx_http_variables_init_vars at the end of http { }: a
// variable used anywhere must exist. nginx names no file or line for this
// error; the explanation points at the first use.
func (p *parser) checkVars(http *Directive) error {
	defined := map[string]bool{}
	defineVars(http.Block, defined)
	var walk func(list []*Directive) error
	walk = func(list []*Directive) error {
		for _, d := range list {
			scripts, names := scriptStrings(d)
			for _, v := range names {
				if !p.knownVar(v, defined) {
					return p.unknownVar(v, d)
				}
			}
			for _, a := range scripts {
				for _, v := range varRefs(a) {
					if !p.knownVar(v, defined) {
						return p.unknownVar(v, d)
					}
				}
			}
			if d.Name == "map" {
				// Each result of a map is a script too.
				for _, e := range d.Block {
					for _, v := range varRefs(e.Arg(0)) {
						if !p.knownVar(v, defined) {
							return p.unknownVar(v, e)
						}
					}
				}
			}
			if d.IsBlock() && !rawBlocks[d.Name] {
				if err := walk(d.Block); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk(http.Block)
}

func (p *parser) knownVar(v string, defined map[string]bool) bool {
	v = strings.ToLower(v)
	if knownVars[v] || defined[v] {
		return true
	}
	for _, pre := range varPrefixes {
		if strings.HasPrefix(v, pre) {
			return true
		}
	}
	return false
}

func (p *parser) unknownVar(v string, d *Directive) error {
	ne := &NginxError{Level: "emerg", Msg: fmt.Sprintf(`unknown "%s" variable`, strings.ToLower(v))}
	why := explain.T(fmt.Sprintf("nginx has no variable $%s, and no set, map or regex capture defines it", v),
		fmt.Sprintf("nginx 没有变量 $%s，也没有 set、map 或正则捕获定义它", v))
	try := explain.T("check the spelling: $host, $remote_addr, $request_uri, $http_<header> …",
		"检查拼写：$host、$remote_addr、$request_uri、$http_<请求头> …")
	best, bestD := "", 3
	for k := range knownVars {
		if dist := editDistance(strings.ToLower(v), k); dist < bestD || (dist == bestD && k < best) {
			best, bestD = k, dist
		}
	}
	if best != "" {
		try = explain.T(fmt.Sprintf("did you mean $%s?", best), fmt.Sprintf("是不是想写 $%s？", best))
	}
	return &explain.Error{What: explain.T(ne.Msg, ne.Msg), Where: fmt.Sprintf("%s:%d", d.File, d.Line), Why: why, Try: try, Err: ne}
}
