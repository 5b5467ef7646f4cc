package proxy

import (
	"net/netip"

	"webflow-lab/servers/proxy/config"
)

// allow and deny: ngx_http_access_module. In the access phase (after the
// location is chosen and its rewrite directives ran, before try_files and
// the content) the rules of the request's family are tried in order; the
// first that matches the client's address decides, and a deny is a 403 with
// "access forbidden by rule" in the error log. A level with any rule
// replaces all it inherits.

// accessRule is one allow or deny line.
type accessRule struct {
	deny   bool
	all    bool
	unix   bool
	prefix netip.Prefix
}

// accessDirective is allow ADDRESS[/BITS] | all | unix: and deny the same.
func accessDirective(l *scope, d *config.Directive) error {
	a, err := oneArg(d)
	if err != nil {
		return err
	}
	rule := accessRule{deny: d.Name == "deny"}
	switch a {
	case "all":
		rule.all = true
	case "unix:":
		rule.unix = true
	default:
		p, _, ok := config.ParseCIDR(a)
		if !ok {
			return errAt(d, "invalid parameter \"%s\"", a)
		}
		rule.prefix = p
	}
	if !l.seen["allow"] && !l.seen["deny"] {
		l.s.access = nil // the first rule at this level: the inherited ones go
	}
	l.first(d)
	l.s.access = append(l.s.access, rule)
	return nil
}

// accessCheck is ngx_http_access_handler for the request's location: 0 to
// go on, 403 for a deny.
func (r *request) accessCheck() int {
	rules := r.loc.s.access
	if rules == nil {
		return 0
	}
	addr, err := netip.ParseAddr(r.c.remoteIP)
	if err != nil {
		return 0
	}
	addr = addr.Unmap() // an IPv4-mapped address meets the IPv4 rules
	for _, rule := range rules {
		switch {
		case rule.unix:
			continue // the lab listens on TCP only
		case rule.all, rule.prefix.Addr().Is4() == addr.Is4() && rule.prefix.Contains(addr):
		default:
			continue
		}
		if rule.deny {
			r.logf(levelError, "access forbidden by rule")
			return 403
		}
		return 0
	}
	return 0
}
