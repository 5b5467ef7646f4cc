package proxy

import (
	"regexp"
	"strings"

	"webflow-lab/servers/proxy/config"
)

// The rewrite module's script: rewrite, return and break of a server or a
// location, run in the order written (ngx_http_rewrite_handler). A server's
// runs in the server rewrite phase, before the location is chosen, and again
// after every internal redirect; a location's runs once the location is
// chosen (not for the server's own settings when no location matched), and
// is not inherited by nested locations.
//
// rewrite REGEX REPLACEMENT [last|break|redirect|permanent] matches the URI;
// on a match the replacement (with $1…$9 of this regex) becomes the URI, or
// the Location of a 302 (redirect, or a replacement starting with http://,
// https:// or $scheme) or a 301 (permanent). Without a flag the script goes
// on; last and break stop it; after the phase a changed URI (unless break)
// sends the request to find its location again, at most 10 times
// ("rewrite or internal redirection cycle", 500). A replacement with "?"
// sets the args, the client's appended after "&" unless it ends with "?".

// scriptOp is one directive of the script.
type scriptOp struct {
	rewrite *rewriteRule
	ret     *returnSpec
	brk     bool // break
}

// rewriteRule is one rewrite line.
type rewriteRule struct {
	re       *regexp.Regexp
	repl     *tmpl
	last     bool // last, break, redirect, permanent: the script stops
	breaks   bool // break: the URI changes, the location stays
	status   int  // 301 or 302 for a redirect, else 0
	addArgs  bool // the client's args follow (no "?" at the end)
	hasArgs  bool // the replacement has a "?": it sets the args
	external bool // starts with http://, https:// or $scheme
}

// appendOp adds op to the script of the scope's server or location.
func (l *scope) appendOp(d *config.Directive, op scriptOp) error {
	switch l.kind {
	case scopeServer:
		l.srv.script = append(l.srv.script, op)
	case scopeLocation:
		l.loc.script = append(l.loc.script, op)
	default:
		return errAt(d, "\"%s\" directive is not allowed here", d.Name)
	}
	return nil
}

// rewriteRewrite is ngx_http_rewrite.
func rewriteRewrite(l *scope, d *config.Directive) error {
	if len(d.Args) < 2 || len(d.Args) > 3 {
		return errAt(d, "invalid number of arguments in \"rewrite\" directive")
	}
	if d.Args[1] == "" {
		return errAt(d, "empty replacement")
	}
	re, err := regexp.Compile(d.Args[0])
	if err != nil {
		return errAt(d, "pcre2_compile() failed: %v in \"%s\"", err, d.Args[0])
	}
	rule := &rewriteRule{re: re}
	repl := d.Args[1]
	if strings.HasSuffix(repl, "?") {
		repl = repl[:len(repl)-1] // the last "?" drops the client's args
	} else {
		rule.addArgs = true
	}
	if strings.HasPrefix(repl, "http://") || strings.HasPrefix(repl, "https://") || strings.HasPrefix(repl, "$scheme") {
		rule.status, rule.last, rule.external = 302, true, true
	}
	if len(d.Args) == 3 {
		switch d.Args[2] {
		case "last":
			rule.last = true
		case "break":
			rule.last, rule.breaks = true, true
		case "redirect":
			rule.last, rule.status = true, 302
		case "permanent":
			rule.last, rule.status = true, 301
		default:
			return errAt(d, "invalid parameter \"%s\"", d.Args[2])
		}
	}
	rule.hasArgs = rule.status == 0 && strings.Contains(repl, "?")
	t, err := compileTmpl(repl)
	if err != nil {
		return errAt(d, "%v", err)
	}
	rule.repl = t
	return l.appendOp(d, scriptOp{rewrite: rule})
}

// rewriteBreak is the rewrite module's break: the script stops here.
func rewriteBreak(l *scope, d *config.Directive) error {
	if len(d.Args) != 0 {
		return errAt(d, "invalid number of arguments in \"break\" directive")
	}
	return l.appendOp(d, scriptOp{brk: true})
}

// scriptResult is how a script ended.
type scriptResult struct {
	status     int  // > 0: finalize with it (return, a redirect: r.location is set); answered: the response is written
	answered   bool // return wrote its answer
	uriChanged bool // a rewrite without break changed the URI: find the location again
}

// runScript runs a server's or a location's script on the request.
func (r *request) runScript(script []scriptOp) scriptResult {
	var res scriptResult
	for _, op := range script {
		switch {
		case op.brk:
			// ngx_http_script_break_code: a URI changed before stays in
			// this location
			res.uriChanged = false
			return res
		case op.ret != nil:
			r.doReturn(op.ret)
			res.answered = true
			return res
		}
		rule := op.rewrite
		sub := rule.re.FindStringSubmatch(r.uri)
		if sub == nil {
			continue
		}
		r.setCaptures(rule.re, sub)
		if rule.status != 0 {
			r.setLocation(r.rewriteRedirect(rule))
			res.status = rule.status
			return res
		}
		r.rewriteURI(rule)
		r.internal = true
		if rule.breaks {
			res.uriChanged = false
			return res
		}
		res.uriChanged = true
		if rule.last {
			return res
		}
	}
	return res
}

// rewriteURI is ngx_http_script_regex_end_code for a new URI: the
// replacement up to its "?" is the URI; after it, the args (the client's
// appended after "&" unless the replacement ends with "?").
func (r *request) rewriteURI(rule *rewriteRule) {
	v := r.evalReplacement(rule.repl, false)
	if rule.hasArgs {
		uri, args, _ := strings.Cut(v, "?")
		if rule.addArgs && r.args != "" {
			args += "&" + r.args
		}
		r.uri, r.args = uri, args
		return
	}
	r.uri = v
	if !rule.addArgs {
		r.args = ""
	}
}

// rewriteRedirect is the Location of a rewrite redirect: the replacement
// unescaped as NGX_UNESCAPE_REDIRECT does, then the client's args.
func (r *request) rewriteRedirect(rule *rewriteRule) string {
	v := unescapeRedirect(r.evalReplacement(rule.repl, true))
	if rule.addArgs && r.args != "" {
		if strings.Contains(rule.repl.raw, "?") {
			v += "&" + r.args
		} else {
			v += "?" + r.args
		}
	}
	return v
}

// evalReplacement evaluates a rewrite replacement: a capture $1…$9 is
// escaped for args (NGX_ESCAPE_ARGS) in a redirect or after the "?", when
// the client's URI had "%" or "+" (ngx_http_script_copy_capture_code).
func (r *request) evalReplacement(t *tmpl, redirect bool) string {
	quoted := strings.ContainsAny(r.target, "%+")
	var b strings.Builder
	isArgs := false
	for _, p := range t.parts {
		if p.v == nil {
			b.WriteString(p.lit)
			if strings.Contains(p.lit, "?") {
				isArgs = true
			}
			continue
		}
		v, _ := p.v(r)
		if len(p.lit) == 2 && isDigit(p.lit[1]) && (redirect || isArgs) && quoted {
			v = escapeArgs(v)
		}
		b.WriteString(v)
	}
	return b.String()
}

// escapeArgs is ngx_escape_uri with NGX_ESCAPE_ARGS.
func escapeArgs(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= 0x20 || c >= 0x7f || strings.IndexByte("\"#%&+;<>?\\^`{|}", c) >= 0 {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// unescapeRedirect is ngx_unescape_uri with NGX_UNESCAPE_REDIRECT: %XX
// becomes its byte when that is printable and above '%', stays otherwise;
// nothing after a "?" is touched.
func unescapeRedirect(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '?' {
			b.WriteString(s[i:])
			return b.String()
		}
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i+1 >= len(s) {
			return b.String()
		}
		hi, ok := unhex(s[i+1])
		if !ok {
			b.WriteByte(s[i+1]) // the invalid quoted character
			i++
			continue
		}
		if i+2 >= len(s) {
			return b.String()
		}
		lo, ok := unhex(s[i+2])
		if !ok {
			i += 2 // both dropped
			continue
		}
		ch := hi<<4 | lo
		i += 2
		switch {
		case ch == '?' && !isDigit(s[i]):
			b.WriteByte('?')
			b.WriteString(s[i+1:])
			return b.String()
		case ch > '%' && ch < 0x7f:
			b.WriteByte(ch)
		default:
			b.WriteString(s[i-2 : i+1])
		}
	}
	return b.String()
}
