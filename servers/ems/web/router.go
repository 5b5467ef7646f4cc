package web

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// A route is one entry of urls.py: path("employees/<int:id>/edit/", view, name="employee_edit").
type route struct {
	name    string
	pattern string // Django path syntax: literal segments and <int:name> / <str:name>
	methods string // allowed methods, space separated ("GET POST")
	view    view
	segs    []segment
}

// A segment is one '/'-separated piece of a pattern.
type segment struct {
	literal string // when param == ""
	param   string
	conv    string // "int" or "str"
}

// router matches PATH_INFO against the routes in order and reverses names
// into paths, as Django's URL resolver and reverse() do: templates and
// redirects never spell a path.
type router struct {
	routes []*route
	byName map[string]*route
}

func newRouter(routes []*route) (*router, error) {
	rt := &router{byName: map[string]*route{}}
	for _, r := range routes {
		segs, err := parsePattern(r.pattern)
		if err != nil {
			return nil, fmt.Errorf("web: route %s: %w", r.name, err)
		}
		r.segs = segs
		if _, dup := rt.byName[r.name]; dup {
			return nil, fmt.Errorf("web: route %s defined twice", r.name)
		}
		rt.byName[r.name] = r
		rt.routes = append(rt.routes, r)
	}
	return rt, nil
}

// parsePattern splits "/employees/<int:id>/edit/" into segments. The pattern
// must start with '/'; a trailing '/' is an empty last segment.
func parsePattern(p string) ([]segment, error) {
	if !strings.HasPrefix(p, "/") {
		return nil, fmt.Errorf("pattern %q must start with /", p)
	}
	var segs []segment
	for _, s := range strings.Split(p[1:], "/") {
		if strings.HasPrefix(s, "<") && strings.HasSuffix(s, ">") {
			conv, name, ok := strings.Cut(s[1:len(s)-1], ":")
			if !ok {
				conv, name = "str", conv
			}
			if conv != "int" && conv != "str" || name == "" {
				return nil, fmt.Errorf("pattern %q: bad converter %q", p, s)
			}
			segs = append(segs, segment{param: name, conv: conv})
			continue
		}
		if strings.ContainsAny(s, "<>") {
			return nil, fmt.Errorf("pattern %q: bad segment %q", p, s)
		}
		segs = append(segs, segment{literal: s})
	}
	return segs, nil
}

// match returns the route for path and its parameters, or nil.
func (rt *router) match(path string) (*route, map[string]string) {
	if !strings.HasPrefix(path, "/") {
		return nil, nil
	}
	parts := strings.Split(path[1:], "/")
outer:
	for _, r := range rt.routes {
		if len(parts) != len(r.segs) {
			continue
		}
		var params map[string]string
		for i, s := range r.segs {
			p := parts[i]
			if s.param == "" {
				if p != s.literal {
					continue outer
				}
				continue
			}
			if !s.accepts(p) {
				continue outer
			}
			if params == nil {
				params = map[string]string{}
			}
			params[s.param] = p
		}
		return r, params
	}
	return nil, nil
}

// accepts mirrors Django's converters: int is [0-9]+, str is any non-empty
// text without '/'.
func (s segment) accepts(p string) bool {
	if p == "" {
		return false
	}
	if s.conv == "int" {
		for i := 0; i < len(p); i++ {
			if p[i] < '0' || p[i] > '9' {
				return false
			}
		}
		return len(p) <= 18
	}
	return true
}

// reverse builds the path of the named route, filling parameters in order
// (reverse("employee_edit", args=[3]) → "/employees/3/edit/").
func (rt *router) reverse(name string, args ...any) (string, error) {
	r, ok := rt.byName[name]
	if !ok {
		return "", fmt.Errorf("web: reverse for %q not found: it is not a valid view name", name)
	}
	var b strings.Builder
	n := 0
	for _, s := range r.segs {
		b.WriteByte('/')
		if s.param == "" {
			b.WriteString(s.literal)
			continue
		}
		if n >= len(args) {
			return "", fmt.Errorf("web: reverse for %q needs %s", name, s.param)
		}
		v := fmt.Sprint(args[n])
		n++
		if !s.accepts(v) || strings.Contains(v, "/") {
			return "", fmt.Errorf("web: reverse for %q: %q is not a valid %s", name, v, s.param)
		}
		if s.conv == "int" {
			if _, err := strconv.ParseInt(v, 10, 64); err != nil {
				return "", fmt.Errorf("web: reverse for %q: %q is not an int", name, v)
			}
		}
		b.WriteString(url.PathEscape(v))
	}
	if n != len(args) {
		return "", fmt.Errorf("web: reverse for %q: %d arguments, want %d", name, len(args), n)
	}
	return b.String(), nil
}

// mustReverse is reverse for names and arguments fixed in code.
func (rt *router) mustReverse(name string, args ...any) string {
	p, err := rt.reverse(name, args...)
	if err != nil {
		panic(err)
	}
	return p
}
