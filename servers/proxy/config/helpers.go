package config

import (
	"errors"
	"fmt"
	"math"
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
	Name        string        // the address as written
	Weight      int           // weight=, default 1
	MaxFails    int           // max_fails=, default 1; 0 disables failure accounting
	FailTimeout time.Duration // fail_timeout=, default 10s, whole seconds
	MaxConns    int           // max_conns=, default 0 (unlimited)
	Backup      bool
	Down        bool
	Directive   *Directive // the server line, for error messages
}

// A ServerParamError is a parameter of an upstream server line that nginx
// refuses: "invalid parameter", or, for backup after a method without
// standby servers (ip_hash, hash, random), "balancing method does not
// support parameter".
type ServerParamError struct {
	Param        string
	NotSupported bool
}

func (e *ServerParamError) Error() string {
	if e.NotSupported {
		return fmt.Sprintf(`balancing method does not support parameter "%s"`, e.Param)
	}
	return fmt.Sprintf(`invalid parameter "%s"`, e.Param)
}

// ParseServer reads an upstream block's `server address [parameters]` line
// (args[0] is the address) as ngx_http_upstream_server does, parameter by
// parameter in order: weight=N (N ≥ 1), max_conns=N, max_fails=N,
// fail_timeout=TIME (ngx_parse_time in seconds: 30s, 1m, "1h 30m"; no ms),
// backup (refused with a *ServerParamError when backupOK is false: ip_hash,
// hash or random came before the line), down. This is the one reader of
// server lines: -t's check, Directive.Peer and the proxy's balancer all use
// it. The address itself is checked by the caller.
func ParseServer(args []string, backupOK bool) (Peer, error) {
	if len(args) == 0 {
		return Peer{}, errors.New(`invalid number of arguments in "server" directive`)
	}
	p := Peer{Addr: args[0], Name: args[0], Weight: 1, MaxFails: 1, FailTimeout: 10 * time.Second}
	if !strings.HasPrefix(p.Addr, "unix:") && !strings.HasPrefix(p.Addr, "[") && !strings.Contains(p.Addr, ":") {
		p.Addr += ":80" // ngx_parse_url's default_port
	}
	for _, a := range args[1:] {
		k, v, hasEq := strings.Cut(a, "=")
		n, ok := atoi(v)
		switch {
		case hasEq && k == "weight" && ok && n > 0 && n <= math.MaxInt32:
			p.Weight = int(n)
		case hasEq && k == "max_conns" && ok && n <= math.MaxInt32:
			p.MaxConns = int(n)
		case hasEq && k == "max_fails" && ok && n <= math.MaxInt32:
			p.MaxFails = int(n)
		case hasEq && k == "fail_timeout":
			t, err := ParseSeconds(v)
			if err != nil {
				return p, &ServerParamError{Param: a}
			}
			p.FailTimeout = t
		case a == "backup":
			if !backupOK {
				return p, &ServerParamError{Param: a, NotSupported: true}
			}
			p.Backup = true
		case a == "down":
			p.Down = true
		default:
			return p, &ServerParamError{Param: a}
		}
	}
	return p, nil
}

// String is the server line as nginx reads it back to the same Peer.
func (p Peer) String() string {
	s := "server " + p.Name
	if p.Weight != 1 {
		s += fmt.Sprintf(" weight=%d", p.Weight)
	}
	if p.MaxFails != 1 {
		s += fmt.Sprintf(" max_fails=%d", p.MaxFails)
	}
	if p.FailTimeout != 10*time.Second {
		s += fmt.Sprintf(" fail_timeout=%ds", int64(p.FailTimeout/time.Second))
	}
	if p.MaxConns != 0 {
		s += fmt.Sprintf(" max_conns=%d", p.MaxConns)
	}
	if p.Backup {
		s += " backup"
	}
	if p.Down {
		s += " down"
	}
	return s
}

// Peer reads an upstream server line with ParseServer. Parse has already
// checked it, so the error only comes for a Directive built by hand.
func (d *Directive) Peer() (Peer, error) {
	p, err := ParseServer(d.Args, true)
	p.Directive = d
	if err != nil {
		var pe *ServerParamError
		if errors.As(err, &pe) {
			return p, d.invalidParameter(pe.Param)
		}
		ne := &NginxError{Level: "emerg", Msg: err.Error(), File: d.File, Line: d.EndLine}
		return p, newError(ne, errArgs, hint{name: d.Name})
	}
	return p, nil
}

func (d *Directive) invalidParameter(a string) error {
	ne := &NginxError{Level: "emerg", Msg: `invalid parameter "` + a + `"`, File: d.File, Line: d.EndLine}
	return newError(ne, errValue, hint{name: d.Name})
}
