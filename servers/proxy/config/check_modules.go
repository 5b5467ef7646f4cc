package config

// The checks nginx's set functions make for add_header, expires,
// allow/deny, rewrite and gzip_comp_level, with nginx's messages.

import (
	"fmt"
	"net/netip"
	"strings"

	"webflow-lab/servers/explain"
)

func init() {
	for name, f := range map[string]func(p *parser, b *block, d *Directive, bad badFunc) error{
		"add_header":      checkAddHeader,
		"expires":         checkExpires,
		"allow":           checkAccess,
		"deny":            checkAccess,
		"rewrite":         checkRewrite,
		"gzip_comp_level": checkGzipLevel,
	} {
		checks[name] = f
	}
}

// checkAddHeader is ngx_http_headers_add: a third argument can only be
// "always".
func checkAddHeader(p *parser, b *block, d *Directive, bad badFunc) error {
	if len(d.Args) == 3 && d.Args[2] != "always" {
		return bad(errValue, hint{
			why: explain.T("add_header takes a name, a value and, optionally, the word always",
				"add_header 的参数是名字、值，可选再加 always"),
			try: explain.T("quote a value that contains spaces", "含空格的值要用引号括起来"),
		}, `invalid parameter "%s"`, d.Args[2])
	}
	return nil
}

// checkExpires is ngx_http_headers_expires and ngx_http_parse_expires.
func checkExpires(p *parser, b *block, d *Directive, bad badFunc) error {
	h := hint{
		why: explain.T("expires takes a time (1h, -1, @15h30m), or epoch, max or off; \"modified\" may come first",
			"expires 的参数是时间（1h、-1、@15h30m），或 epoch、max、off；前面可以加 modified"),
		try: explain.T("write it like expires 30d; or expires modified 1h;", "写成 expires 30d; 或 expires modified 1h;"),
	}
	if b.seen[d.Name] != nil {
		return bad(errDuplicate, hint{}, `"%s" directive is duplicate`, d.Name)
	}
	v, modified := d.Arg(0), false
	if len(d.Args) == 2 {
		if d.Args[0] != "modified" {
			return bad(errValue, h, `"%s" directive invalid value`, d.Name)
		}
		v, modified = d.Args[1], true
	}
	if strings.Contains(v, "$") {
		return nil // parsed per request
	}
	if !modified && (v == "epoch" || v == "max" || v == "off") {
		return nil
	}
	daily := false
	switch {
	case strings.HasPrefix(v, "@"):
		if modified {
			return bad(errValue, h, `"%s" directive daily time cannot be used with "modified" parameter`, d.Name)
		}
		v, daily = v[1:], true
	case strings.HasPrefix(v, "+"), strings.HasPrefix(v, "-"):
		v = v[1:]
	}
	t, err := parseTime(v, true)
	if err != nil {
		return bad(errValue, h, `"%s" directive invalid value`, d.Name)
	}
	if daily && t > 24*60*60 {
		return bad(errValue, h, `"%s" directive daily time value must be less than 24 hours`, d.Name)
	}
	return nil
}

// checkAccess is ngx_http_access_rule: all, unix:, or an address with an
// optional mask (ngx_ptocidr); bits below the mask are a warning.
func checkAccess(p *parser, b *block, d *Directive, bad badFunc) error {
	a := d.Arg(0)
	if a == "all" || a == "unix:" {
		return nil
	}
	_, exact, ok := ParseCIDR(a)
	if !ok {
		return bad(errValue, hint{
			why: explain.T(d.Name+" takes an address (127.0.0.1), a network (10.0.0.0/8), all, or unix:",
				d.Name+" 的参数是地址（127.0.0.1）、网段（10.0.0.0/8）、all 或 unix:"),
			try: explain.T("check the address and the number after /", "检查地址和 / 后面的数字"),
		}, `invalid parameter "%s"`, a)
	}
	if !exact {
		p.warn(d, fmt.Sprintf(`low address bits of %s are meaningless`, a), explain.T(
			"the bits below the mask are ignored: "+a+" means the whole network",
			"掩码以下的位会被忽略："+a+" 表示整个网段"))
	}
	return nil
}

// ParseCIDR is ngx_ptocidr: "a.b.c.d" (ngx_inet_addr: four decimal octets),
// an IPv6 address, either with "/bits". exact is false when the address has
// bits below the mask (nginx warns and drops them).
func ParseCIDR(s string) (prefix netip.Prefix, exact, ok bool) {
	addrText, maskText, hasMask := strings.Cut(s, "/")
	addr, ok := inetAddr(addrText)
	if !ok {
		a, err := netip.ParseAddr(addrText)
		if err != nil || !a.Is6() || a.Zone() != "" {
			return netip.Prefix{}, false, false
		}
		addr = a
	}
	bits := addr.BitLen()
	if hasMask {
		n, ok := atoi(maskText)
		if !ok || n > int64(bits) {
			return netip.Prefix{}, false, false
		}
		bits = int(n)
	}
	prefix = netip.PrefixFrom(addr, bits)
	return prefix.Masked(), prefix.Masked().Addr() == addr, true
}

// inetAddr is ngx_inet_addr: exactly four decimal octets of at most 255
// (leading zeros allowed); 255.255.255.255 is INADDR_NONE, so refused too.
func inetAddr(s string) (netip.Addr, bool) {
	var b [4]byte
	n, octet, digits := 0, 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			octet = octet*10 + int(c-'0')
			digits++
			if octet > 255 {
				return netip.Addr{}, false
			}
		case c == '.' && digits > 0 && n < 3:
			b[n] = byte(octet)
			n, octet, digits = n+1, 0, 0
		default:
			return netip.Addr{}, false
		}
	}
	if n != 3 || digits == 0 {
		return netip.Addr{}, false
	}
	b[3] = byte(octet)
	if b == [4]byte{255, 255, 255, 255} {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4(b), true
}

// checkRewrite is ngx_http_rewrite: the flag must be last, break, redirect
// or permanent.
func checkRewrite(p *parser, b *block, d *Directive, bad badFunc) error {
	if d.Arg(1) == "" {
		return bad(errValue, hint{
			why: explain.T("the second argument of rewrite is the new URI", "rewrite 的第二个参数是新的 URI"),
			try: explain.T("write rewrite ^/old/(.*)$ /new/$1;", "写成 rewrite ^/old/(.*)$ /new/$1;"),
		}, `empty replacement`)
	}
	if len(d.Args) == 3 {
		switch d.Args[2] {
		case "last", "break", "redirect", "permanent":
		default:
			return bad(errValue, hint{
				why: explain.T("the flag of rewrite is last, break, redirect or permanent",
					"rewrite 的标志只能是 last、break、redirect 或 permanent"),
				try: explain.T("write rewrite ^/old/(.*)$ /new/$1 permanent;", "写成 rewrite ^/old/(.*)$ /new/$1 permanent;"),
			}, `invalid parameter "%s"`, d.Args[2])
		}
	}
	return nil
}

// checkGzipLevel is gzip_comp_level: 1 to 9 (ngx_conf_check_num_bounds).
func checkGzipLevel(p *parser, b *block, d *Directive, bad badFunc) error {
	n, ok := atoi(d.Arg(0))
	if ok && (n < 1 || n > 9) {
		return bad(errValue, hint{
			why: explain.T("gzip_comp_level goes from 1 (fast) to 9 (small)", "gzip_comp_level 取值 1（快）到 9（小）"),
			try: explain.T("write gzip_comp_level 5;", "写成 gzip_comp_level 5;"),
		}, `value must be between 1 and 9`)
	}
	return nil
}
