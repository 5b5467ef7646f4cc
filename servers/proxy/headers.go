package proxy

import (
	"strconv"
	"strings"
	"time"

	"webflow-lab/servers/proxy/config"
)

// add_header and expires: ngx_http_headers_filter_module. The filter runs
// on every answer (files, return, error pages, proxied ones) before the
// head is written; it adds its headers to the end of the header list, and
// only for the "safe" statuses 200, 201, 204, 206, 301, 302, 303, 304, 307
// and 308 unless an add_header says "always".

// An addHeader is one add_header line.
type addHeader struct {
	name   string
	value  *tmpl // nil: written as "" (the header is then left out)
	always bool
}

// expiresKind is ngx_http_expires_t.
type expiresKind uint8

const (
	expiresOff expiresKind = iota
	expiresEpoch
	expiresMax
	expiresAccess
	expiresModified
	expiresDaily
)

// expiresConf is one expires directive.
type expiresConf struct {
	kind  expiresKind
	secs  int64 // after the access, the modification, or (daily) midnight; < 0 in the past
	value *tmpl // set when the argument has variables: parsed per request
}

// headersAdd is add_header NAME VALUE [always]: a level that sets any
// replaces all it inherited.
func headersAdd(l *scope, d *config.Directive) error {
	if len(d.Args) < 2 || len(d.Args) > 3 {
		return errAt(d, "invalid number of arguments in \"add_header\" directive")
	}
	h := addHeader{name: d.Args[0]}
	if d.Args[1] != "" {
		t, err := compileTmpl(d.Args[1])
		if err != nil {
			return errAt(d, "%v", err)
		}
		h.value = t
	}
	if len(d.Args) == 3 {
		if d.Args[2] != "always" {
			return errAt(d, "invalid parameter \"%s\"", d.Args[2])
		}
		h.always = true
	}
	if l.first(d) {
		l.s.addHeaders = nil
	}
	l.s.addHeaders = append(l.s.addHeaders, h)
	return nil
}

// headersExpires is expires [modified] TIME | epoch | max | off, TIME
// being [+|-]time or @time-of-day (ngx_http_headers_expires).
func headersExpires(l *scope, d *config.Directive) error {
	if len(d.Args) < 1 || len(d.Args) > 2 {
		return errAt(d, "invalid number of arguments in \"expires\" directive")
	}
	if l.seen[d.Name] {
		return errAt(d, "\"expires\" directive is duplicate")
	}
	l.first(d)
	e := expiresConf{kind: expiresAccess}
	v := d.Args[0]
	if len(d.Args) == 2 {
		if d.Args[0] != "modified" {
			return errAt(d, "\"expires\" directive invalid value")
		}
		e.kind, v = expiresModified, d.Args[1]
	}
	if strings.Contains(v, "$") {
		t, err := compileTmpl(v)
		if err != nil {
			return errAt(d, "%v", err)
		}
		e.value = t
		l.s.expires = e
		return nil
	}
	if msg := parseExpires(v, &e); msg != "" {
		return errAt(d, "\"expires\" directive %s", msg)
	}
	l.s.expires = e
	return nil
}

// parseExpires is ngx_http_parse_expires; the message is nginx's when the
// value is refused.
func parseExpires(v string, e *expiresConf) string {
	if e.kind != expiresModified {
		switch v {
		case "epoch":
			e.kind = expiresEpoch
			return ""
		case "max":
			e.kind = expiresMax
			return ""
		case "off":
			e.kind = expiresOff
			return ""
		}
	}
	minus := false
	switch {
	case strings.HasPrefix(v, "@"):
		if e.kind == expiresModified {
			return "daily time cannot be used with \"modified\" parameter"
		}
		e.kind, v = expiresDaily, v[1:]
	case strings.HasPrefix(v, "+"):
		v = v[1:]
	case strings.HasPrefix(v, "-"):
		v, minus = v[1:], true
	}
	t, err := config.ParseSeconds(v)
	if err != nil {
		return "invalid value"
	}
	secs := int64(t / time.Second)
	if e.kind == expiresDaily && secs > 24*60*60 {
		return "daily time value must be less than 24 hours"
	}
	if minus {
		secs = -secs
	}
	e.secs = secs
	return ""
}

// safeStatus is the headers filter's list of answers add_header (without
// always) and expires touch.
func safeStatus(status int) bool {
	switch status {
	case 200, 201, 204, 206, 301, 302, 303, 304, 307, 308:
		return true
	}
	return false
}

// headersFilter is ngx_http_headers_filter for an answer with status.
func (r *request) headersFilter(h *respHead, status int) {
	s := r.loc0().s
	if s.expires.kind == expiresOff && s.expires.value == nil && s.addHeaders == nil {
		return
	}
	safe := safeStatus(status)
	if safe && (s.expires.kind != expiresOff || s.expires.value != nil) {
		r.setExpires(h, s.expires)
	}
	for _, a := range s.addHeaders {
		if !safe && !a.always {
			continue
		}
		v := ""
		if a.value != nil {
			v = a.value.eval(r)
		}
		switch {
		case strings.EqualFold(a.name, "ETag"):
			// ngx_http_set_response_header: the handler's ETag gets the
			// value where it is; an empty one removes it
			h.etag, h.etagName = v, a.name
		case strings.EqualFold(a.name, "Last-Modified"):
			// the known slot is left empty: the value, if any, goes in the
			// list, and "expires modified" sees it no more
			h.lastModified = time.Time{}
			h.lmSet = true
			if v != "" {
				h.extra = append(h.extra, header{a.name, v})
			}
		case v != "":
			h.extra = append(h.extra, header{a.name, v})
		}
	}
}

// setExpires is ngx_http_set_expires: an Expires header (the upstream's, or a
// new one at the list's end) and the first Cache-Control (others hidden).
func (r *request) setExpires(h *respHead, e expiresConf) {
	if e.value != nil {
		v := e.value.eval(r)
		if msg := parseExpires(v, &e); msg != "" || e.kind == expiresOff {
			return
		}
	}
	var expires, cc string
	now := r.c.s.now()
	switch {
	case e.kind == expiresEpoch:
		expires, cc = "Thu, 01 Jan 1970 00:00:01 GMT", "no-cache"
	case e.kind == expiresMax:
		expires, cc = "Thu, 31 Dec 2037 23:55:55 GMT", "max-age=315360000"
	case e.secs == 0 && e.kind != expiresDaily:
		expires, cc = httpDate(now), "max-age=0"
	default:
		var at, maxAge int64
		switch {
		case e.kind == expiresDaily:
			at = nextTime(now, e.secs)
			maxAge = at - now.Unix()
		case e.kind == expiresAccess || h.lastModified.IsZero():
			maxAge, at = e.secs, now.Unix()+e.secs
		default:
			at = h.lastModified.Unix() + e.secs
			maxAge = at - now.Unix()
		}
		expires = time.Unix(at, 0).UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT")
		cc = "max-age=" + strconv.FormatInt(maxAge, 10)
		if e.secs < 0 || maxAge < 0 {
			cc = "no-cache"
		}
	}
	setList(h, "Expires", expires, false)
	setList(h, "Cache-Control", cc, true)
}

// setList gives the first header of name the value, or adds it at the end;
// with only, the later ones of that name are dropped.
func setList(h *respHead, name, value string, only bool) {
	found := false
	out := h.extra[:0]
	for _, x := range h.extra {
		if strings.EqualFold(x.Name, name) {
			if found && only {
				continue
			}
			if !found {
				x.Value = value
				found = true
			}
		}
		out = append(out, x)
	}
	h.extra = out
	if !found {
		h.extra = append(h.extra, header{name, value})
	}
}

// nextTime is ngx_next_time: the next moment, today or tomorrow, that is
// secs after local midnight.
func nextTime(now time.Time, secs int64) int64 {
	local := now.Local()
	midnight := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, local.Location())
	next := midnight.Add(time.Duration(secs) * time.Second)
	if !next.After(local) {
		next = time.Date(local.Year(), local.Month(), local.Day()+1, 0, 0, 0, 0, local.Location()).
			Add(time.Duration(secs) * time.Second)
	}
	return next.Unix()
}
