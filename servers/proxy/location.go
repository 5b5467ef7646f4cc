package proxy

import (
	"regexp"
	"strings"
)

// Results of a location lookup, named after nginx's return codes in
// ngx_http_core_find_location.
type findRC uint8

const (
	rcDeclined findRC = iota // nothing matched at this level
	rcAgain                  // a prefix matched (look deeper / try regexes)
	rcOK                     // an exact match or a regex: stop
	rcDone                   // auto-redirect: "/app" for a *_pass location "/app/"
)

// match is a location lookup's result: the location, why it was chosen
// (for the trace and the lab's explanations), and the captures of the last
// regex that matched with groups.
type match struct {
	loc      *location
	redirect bool // rcDone: 301 to uri + "/"
	why      string
	whyZH    string         // why in Simplified Chinese, built next to why
	re       *regexp.Regexp // the regex that matched last; nil: none
	captures []string
	explain  bool // build why and whyZH (only when someone watches the trace)
}

// findLocation picks the location for uri in srv, in nginx's exact order:
// exact "=" match stops; else the longest prefix, then its nested locations
// (a nested match wins); a "^~" prefix skips the regexes of its level; else
// the regexes of the level in config order, the first match winning (and
// its nested locations searched in turn); else the longest prefix.
func findLocation(srv *vserver, uri string, explain bool) match {
	m := match{loc: srv.top, explain: explain}
	rc := findIn(srv.top, uri, &m)
	m.redirect = rc == rcDone
	if m.why == "" {
		m.why = "no location matched: server-level settings"
		m.whyZH = "没有匹配的 location：使用 server 级的设置"
	}
	return m
}

// findIn mirrors ngx_http_core_find_location for the level below parent;
// m.loc plays the role of r->loc_conf.
func findIn(parent *location, uri string, m *match) findRC {
	rc, found := findStatic(parent, uri)
	noregex := false
	switch rc {
	case rcOK, rcDone:
		m.loc = found
		if !m.explain {
			return rc
		}
		if rc == rcOK {
			m.why = "exact match \"= " + found.name + "\""
			m.whyZH = "精确匹配 \"= " + found.name + "\""
		} else {
			m.why = "\"" + uri + "\" is \"" + found.name + "\" without its slash: 301"
			m.whyZH = "\"" + uri + "\" 是 \"" + found.name + "\" 去掉了结尾斜杠：301"
		}
		return rc
	case rcAgain:
		m.loc = found
		noregex = found.mod == modNoRegex
		if !m.explain {
		} else if noregex {
			m.why = "longest prefix \"^~ " + found.name + "\": regexes skipped"
			m.whyZH = "最长前缀 \"^~ " + found.name + "\"：跳过正则"
		} else {
			m.why = "longest prefix \"" + found.name + "\""
			m.whyZH = "最长前缀 \"" + found.name + "\""
		}
		rc = findIn(found, uri, m)
		if rc == rcOK || rc == rcDone {
			return rc
		}
	}
	if !noregex {
		for _, l := range parent.regex {
			sub := l.re.FindStringSubmatch(uri)
			if sub == nil {
				continue
			}
			m.loc = l
			// ngx_http_regex_exec: the match's groups become $1…$9 (none
			// for a regex without groups); named groups set their variables
			m.re, m.captures = l.re, sub
			if !m.explain {
			} else if found != nil {
				m.why = "regex \"" + l.String() + "\" beats prefix \"" + found.name + "\""
				m.whyZH = "正则 \"" + l.String() + "\" 优先于前缀 \"" + found.name + "\""
			} else {
				m.why = "regex \"" + l.String() + "\" matched"
				m.whyZH = "正则 \"" + l.String() + "\" 匹配"
			}
			findIn(l, uri, m)
			return rcOK
		}
	}
	return rc
}

// findStatic is ngx_http_core_find_static_location over this level's exact
// and prefix locations (nginx builds a tree; the result is the same).
func findStatic(parent *location, uri string) (findRC, *location) {
	for _, l := range parent.exact {
		if l.name == uri {
			return rcOK, l
		}
	}
	var best *location
	sameName := false
	for _, l := range parent.prefix {
		if strings.HasPrefix(uri, l.name) && (best == nil || len(l.name) > len(best.name)) {
			best = l
		}
		if l.name == uri {
			sameName = true
		}
	}
	if !sameName {
		// "/app" asked, "location /app/ { uwsgi_pass … }" exists: 301 to "/app/"
		// unless a location named "/app" exists (checked above for "=").
		for _, list := range [][]*location{parent.prefix, parent.exact} {
			for _, l := range list {
				if l.autoRedirect && len(l.name) == len(uri)+1 && strings.HasPrefix(l.name, uri) {
					return rcDone, l
				}
			}
		}
	}
	if best != nil {
		return rcAgain, best
	}
	return rcDeclined, nil
}

// findServer picks the virtual server for host among those listening on g:
// exact name, longest "*.x" wildcard, longest "x.*" wildcard, first regex,
// else the default server (ngx_http_find_virtual_server). A regex that
// matches is returned with its groups: they become the request's captures.
func findServer(g *listenGroup, host string) (*vserver, *regexp.Regexp, []string) {
	if host == "" || len(g.servers) == 1 && !g.servers[0].hasRegex() {
		return g.def, nil, nil
	}
	for _, s := range g.servers {
		for _, n := range s.names {
			if n.exact != "" && n.exact == host {
				return s, nil, nil
			}
		}
	}
	var best *vserver
	bestLen := 0
	for _, s := range g.servers {
		for _, n := range s.names {
			if n.suffix != "" && strings.HasSuffix(host, n.suffix) && len(n.suffix) > bestLen {
				best, bestLen = s, len(n.suffix)
			}
		}
	}
	if best != nil {
		return best, nil, nil
	}
	for _, s := range g.servers {
		for _, n := range s.names {
			if n.prefix != "" && strings.HasPrefix(host, n.prefix) && len(n.prefix) > bestLen {
				best, bestLen = s, len(n.prefix)
			}
		}
	}
	if best != nil {
		return best, nil, nil
	}
	for _, s := range g.servers {
		for _, n := range s.names {
			if n.re == nil {
				continue
			}
			if sub := n.re.FindStringSubmatch(host); sub != nil {
				return s, n.re, sub
			}
		}
	}
	return g.def, nil, nil
}

func (v *vserver) hasRegex() bool {
	for _, n := range v.names {
		if n.re != nil {
			return true
		}
	}
	return false
}

// validateHost is ngx_http_validate_host: the host of a Host header or of
// an absolute request line, lower-cased, without its port (the part after
// the first ':' outside "[…]") and without one trailing dot. It is refused
// (400 "client sent invalid host header") when it is empty, has "..", a
// '/', or a byte that is a space, a control or DEL. A leading dot and a
// backslash are allowed.
func validateHost(h string) (string, bool) {
	dot := -2 // position of the last '.'
	end := len(h)
	rest := false // after the port's ':' or the literal's ']'
	literal := false
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case c == '.':
			if dot == i-1 {
				return "", false
			}
			dot = i
		case c == ':':
			if !rest && !literal {
				end, rest = i, true
			}
		case c == '[':
			if i == 0 {
				literal = true
			}
		case c == ']':
			if literal && !rest {
				end, rest, literal = i+1, true, false
			}
		case c == '/' || c <= 0x20 || c == 0x7f:
			return "", false
		}
	}
	if dot == end-1 {
		end--
	}
	if end <= 0 {
		return "", false
	}
	return strings.ToLower(h[:end]), true
}
