package upstream

import (
	"errors"
	"fmt"
	"strings"

	"webflow-lab/servers/explain"
)

// NextUpstream is the *_next_upstream bit mask: the failures after which
// nginx gives the request to the next peer. The bit values are nginx's own
// NGX_HTTP_UPSTREAM_FT_* (src/http/ngx_http_upstream.h).
type NextUpstream uint32

const (
	NextError         NextUpstream = 0x00000002 // connect/send/read failed, or closed before the head was complete
	NextTimeout       NextUpstream = 0x00000004 // connect, send or head read timed out
	NextInvalidHeader NextUpstream = 0x00000008 // malformed or too big response head
	NextHTTP500       NextUpstream = 0x00000010
	NextHTTP502       NextUpstream = 0x00000020 // proxy_next_upstream only
	NextHTTP503       NextUpstream = 0x00000040
	NextHTTP504       NextUpstream = 0x00000080 // proxy_next_upstream only
	NextHTTP403       NextUpstream = 0x00000100
	NextHTTP404       NextUpstream = 0x00000200
	NextHTTP429       NextUpstream = 0x00000400
	NextNonIdempotent NextUpstream = 0x00004000 // also retry POST, LOCK, PATCH once the request was sent
	NextOff           NextUpstream = 0x80000000

	// DefaultNextUpstream is "error timeout", nginx's default.
	DefaultNextUpstream = NextError | NextTimeout
)

// nextNames is the directive's vocabulary, in nginx's table order.
var nextNames = []struct {
	name  string
	bit   NextUpstream
	proxy bool // only proxy_next_upstream knows it
}{
	{"error", NextError, false},
	{"timeout", NextTimeout, false},
	{"invalid_header", NextInvalidHeader, false},
	{"non_idempotent", NextNonIdempotent, false},
	{"http_500", NextHTTP500, false},
	{"http_502", NextHTTP502, true},
	{"http_503", NextHTTP503, false},
	{"http_504", NextHTTP504, true},
	{"http_403", NextHTTP403, false},
	{"http_404", NextHTTP404, false},
	{"http_429", NextHTTP429, false},
	{"off", NextOff, false},
}

// ErrInvalidValue is wrapped by ParseNextUpstream's error.
var ErrInvalidValue = errors.New("invalid value")

// ParseNextUpstream reads the arguments of uwsgi_next_upstream (protocol
// "uwsgi") or proxy_next_upstream ("http"). Like nginx's bitmask slot, an
// unknown word is an error (`invalid value "http_502"` — uwsgi_next_upstream
// has no http_502 or http_504), a repeated word only a warning (`duplicate
// value "error"`), and "off" anywhere switches retries off altogether.
// ("updating" is accepted and ignored: it concerns caches, which the lab has not.)
func ParseNextUpstream(protocol string, args []string) (mask NextUpstream, warnings []string, err error) {
	for _, a := range args {
		if a == "updating" {
			continue
		}
		found := false
		for _, n := range nextNames {
			if n.name != a || (n.proxy && protocol != "http") {
				continue
			}
			found = true
			if mask&n.bit != 0 {
				warnings = append(warnings, fmt.Sprintf("duplicate value %q", a))
			}
			mask |= n.bit
		}
		if !found {
			return 0, warnings, &ValueError{Protocol: protocol, Value: a}
		}
	}
	if mask&NextOff != 0 {
		mask = NextOff
	}
	return mask, warnings, nil
}

// String lists the mask's words in nginx's order: "error timeout http_502".
func (m NextUpstream) String() string {
	var w []string
	for _, n := range nextNames {
		if m&n.bit != 0 {
			w = append(w, n.name)
		}
	}
	if len(w) == 0 {
		return "off"
	}
	return strings.Join(w, " ")
}

// A ValueError is a word *_next_upstream does not know. Its Error is
// nginx's own text (`invalid value "http_502"`); Explain adds the lab's
// commentary for the learner.
type ValueError struct {
	Protocol string // "uwsgi" or "http"
	Value    string
}

func (e *ValueError) Error() string { return fmt.Sprintf("%v %q", ErrInvalidValue, e.Value) }
func (e *ValueError) Unwrap() error { return ErrInvalidValue }

// Explain says why the word is refused and what to write instead.
func (e *ValueError) Explain() *explain.Error {
	dir := "uwsgi_next_upstream"
	if e.Protocol == "http" {
		dir = "proxy_next_upstream"
	}
	x := &explain.Error{
		What: explain.T(fmt.Sprintf("proxy: %s: invalid value %q", dir, e.Value),
			fmt.Sprintf("proxy: %s: 无效的值 %q", dir, e.Value)),
		Why: explain.T("it knows error, timeout, invalid_header, http_500, http_503, http_403, http_404, http_429, non_idempotent and off",
			"它只认识 error、timeout、invalid_header、http_500、http_503、http_403、http_404、http_429、non_idempotent 和 off"),
		Try: explain.T("check the spelling", "检查拼写"),
		Err: e,
	}
	if e.Protocol == "http" {
		x.Why = explain.T("it knows error, timeout, invalid_header, http_500, http_502, http_503, http_504, http_403, http_404, http_429, non_idempotent and off",
			"它只认识 error、timeout、invalid_header、http_500、http_502、http_503、http_504、http_403、http_404、http_429、non_idempotent 和 off")
	} else if e.Value == "http_502" || e.Value == "http_504" {
		x.Why = explain.T(
			"uwsgi_next_upstream has no http_502 or http_504: only proxy_next_upstream has them (an app server behind uwsgi_pass does not answer 502/504 itself)",
			"uwsgi_next_upstream 没有 http_502 和 http_504，只有 proxy_next_upstream 才有（uwsgi_pass 后面的应用服务器自己不会返回 502/504）")
		x.Try = explain.T("list error and timeout (they cover a dead or silent app server), or http_500/http_503",
			"改用 error 和 timeout（它们覆盖了应用服务器挂掉或无响应的情况），或者 http_500/http_503")
	}
	return x
}

// statusNext maps a response status to its http_NNN bit (ngx_http_upstream_next_errors).
func statusNext(status int) NextUpstream {
	switch status {
	case 500:
		return NextHTTP500
	case 502:
		return NextHTTP502
	case 503:
		return NextHTTP503
	case 504:
		return NextHTTP504
	case 403:
		return NextHTTP403
	case 404:
		return NextHTTP404
	case 429:
		return NextHTTP429
	}
	return 0
}

// failStatus is the status nginx answers when the last failure was ft
// (ngx_http_upstream_next): a timeout is 504, a listed http_NNN is that code,
// everything else 502.
func failStatus(ft NextUpstream) int {
	switch ft &^ NextNonIdempotent {
	case NextTimeout, NextHTTP504:
		return 504
	case NextHTTP500:
		return 500
	case NextHTTP503:
		return 503
	case NextHTTP403:
		return 403
	case NextHTTP404:
		return 404
	case NextHTTP429:
		return 429
	}
	return 502
}

// nonIdempotent reports the methods nginx will not resend once a peer got
// the request (since 1.9.13).
func nonIdempotent(method string) bool {
	return method == "POST" || method == "LOCK" || method == "PATCH"
}
