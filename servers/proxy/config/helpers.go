package config

import (
	"strings"
	"time"
)

// Inherit returns the directives named name that apply at the innermost of
// levels (outermost first: http's block, a server's, a location's …). nginx
// merges each level's settings with its parent's this way: a level that sets
// a directive at all replaces everything inherited. ⚠ For uwsgi_param,
// proxy_set_header, error_page or access_log this means one line in a location
// drops every line from server and http.
func Inherit(name string, levels ...[]*Directive) []*Directive {
	for i := len(levels) - 1; i >= 0; i-- {
		if found := All(levels[i], name); len(found) > 0 {
			return found
		}
	}
	return nil
}

// HasParam reports whether one of the arguments after the first is exactly p
// (listen … default_server, server … backup).
func (d *Directive) HasParam(p string) bool {
	return len(d.Args) > 1 && contains(d.Args[1:], p)
}

// LocationMatch splits a location's arguments into its modifier ("", "=",
// "^~", "~", "~*") and its path or regex; also for "=/x" written without a
// space, which nginx accepts.
func (d *Directive) LocationMatch() (modifier, path string) { return locationParts(d) }

// ListenAddr is the address a listen directive names, as nginx prints it:
// "8080" → "0.0.0.0:8080", "*:80" → "0.0.0.0:80", "localhost" → "localhost:80".
func (d *Directive) ListenAddr() string { return listenAddr(d.Arg(0)) }

// A Peer is one server line of an upstream block, with nginx's defaults.
type Peer struct {
	Addr        string        // host:port (port 80 if none was written) or unix:/path
	Weight      int           // weight=, default 1
	MaxFails    int           // max_fails=, default 1; 0 disables failure accounting
	FailTimeout time.Duration // fail_timeout=, default 10s
	MaxConns    int           // max_conns=, default 0 (unlimited)
	Backup      bool
	Down        bool
	Directive   *Directive // the server line, for error messages
}

// Peer reads an upstream server line. Parse has already checked it, so the
// error only comes for a Directive built by hand.
func (d *Directive) Peer() (Peer, error) {
	p := Peer{Addr: d.Arg(0), Weight: 1, MaxFails: 1, FailTimeout: 10 * time.Second, Directive: d}
	if !strings.HasPrefix(p.Addr, "unix:") && !strings.HasPrefix(p.Addr, "[") && !strings.Contains(p.Addr, ":") {
		p.Addr += ":80"
	}
	for _, a := range d.Args[1:] {
		k, v, _ := strings.Cut(a, "=")
		n, ok := atoi(v)
		switch {
		case a == "backup":
			p.Backup = true
		case a == "down":
			p.Down = true
		case k == "weight" && ok && n > 0:
			p.Weight = int(n)
		case k == "max_fails" && ok:
			p.MaxFails = int(n)
		case k == "max_conns" && ok:
			p.MaxConns = int(n)
		case k == "fail_timeout":
			t, err := ParseSeconds(v)
			if err != nil {
				return p, d.invalidParameter(a)
			}
			p.FailTimeout = t
		default:
			return p, d.invalidParameter(a)
		}
	}
	return p, nil
}

func (d *Directive) invalidParameter(a string) error {
	ne := &NginxError{Level: "emerg", Msg: `invalid parameter "` + a + `"`, File: d.File, Line: d.EndLine}
	return newError(ne, errValue, hint{name: d.Name})
}
