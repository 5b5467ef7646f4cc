package proxy

import (
	"strconv"
	"strings"

	"webflow-lab/servers/proxy/config"
)

// The rewrite module's return, and error_page (ngx_http_rewrite_module,
// ngx_http_core_error_page).

// rewriteReturn is return CODE [TEXT] | return URL: a step of the server's
// or the location's script (rewrite.go).
func rewriteReturn(l *scope, d *config.Directive) error {
	r, err := parseReturn(d)
	if err != nil {
		return err
	}
	return l.appendOp(d, scriptOp{ret: r})
}

func parseReturn(d *config.Directive) (*returnSpec, error) {
	if len(d.Args) < 1 || len(d.Args) > 2 {
		return nil, errAt(d, "invalid number of arguments in \"return\" directive")
	}
	r := &returnSpec{}
	code, err := strconv.Atoi(d.Args[0])
	if err != nil {
		if len(d.Args) != 1 || !(strings.HasPrefix(d.Args[0], "http://") || strings.HasPrefix(d.Args[0], "https://") ||
			strings.HasPrefix(d.Args[0], "$scheme")) {
			return nil, errAt(d, "invalid return code \"%s\"", d.Args[0])
		}
		r.code = 302
		r.text, err = compileTmpl(d.Args[0])
		return r, err
	}
	if code < 0 || code > 999 {
		return nil, errAt(d, "invalid return code \"%s\"", d.Args[0])
	}
	r.code = code
	if len(d.Args) == 2 {
		r.text, err = compileTmpl(d.Args[1])
	}
	return r, err
}

// rewriteErrorPage is error_page CODE … [=[RESPONSE]] URI; the first one at
// a level replaces the inherited ones.
func rewriteErrorPage(l *scope, d *config.Directive) error {
	ep, err := parseErrorPage(d)
	if err != nil {
		return err
	}
	if l.first(d) {
		l.s.errorPages = nil
	}
	l.s.errorPages = append(l.s.errorPages, ep)
	return nil
}

func parseErrorPage(d *config.Directive) (errorPage, error) {
	ep := errorPage{overwrite: -1}
	args := d.Args
	if len(args) < 2 {
		return ep, errAt(d, "invalid number of arguments in \"error_page\" directive")
	}
	target := args[len(args)-1]
	args = args[:len(args)-1]
	if last := args[len(args)-1]; strings.HasPrefix(last, "=") {
		args = args[:len(args)-1]
		if last == "=" {
			ep.overwrite = 0
		} else {
			n, err := strconv.Atoi(last[1:])
			if err != nil {
				return ep, errAt(d, "invalid value \"%s\"", last)
			}
			ep.overwrite = n
		}
	}
	if len(args) == 0 {
		return ep, errAt(d, "invalid number of arguments in \"error_page\" directive")
	}
	for _, a := range args {
		n, err := strconv.Atoi(a)
		if err != nil || n < 300 || n > 599 {
			return ep, errAt(d, "value \"%s\" must be between 300 and 599", a)
		}
		ep.codes = append(ep.codes, n)
	}
	t, err := compileTmpl(target)
	if err != nil {
		return ep, errAt(d, "%v", err)
	}
	ep.target = t
	return ep, nil
}
