package config

import (
	"webflow-lab/servers/explain"
)

// checkIf mirrors ngx_http_rewrite_if_condition: `if (cond) { … }` where cond
// is `$var`, `$var = text`, `$var != text`, `$var ~ regex` (also ~* !~ !~*)
// or `-f path` (also -d -e -x and their ! forms). The parentheses are parts
// of the first and last words, so `if ($a = b)` is three arguments.
// (The regex itself is PCRE, which the lab does not compile here.)
func checkIf(p *parser, b *block, d *Directive, bad badFunc) error {
	h := hint{
		why: explain.T("an if condition is ($variable), ($variable = text), ($variable != text), ($variable ~ regex) or (-f path); note a single '='",
			"if 条件的形式是 ($变量)、($变量 = 文本)、($变量 != 文本)、($变量 ~ 正则) 或 (-f 路径)；注意是单个 '='"),
		try: explain.T("write it like if ($request_method = POST) { … } with spaces around the operator",
			"写成 if ($request_method = POST) { … } 这样，运算符两边留空格"),
	}
	value := append([]string{d.Name}, d.Args...)
	last := len(value) - 1
	invalid := func(s string) error { return bad(errValue, h, `invalid condition "%s"`, s) }
	if len(value[1]) < 1 || value[1][0] != '(' {
		return invalid(value[1])
	}
	cur := 1
	if len(value[1]) == 1 {
		cur = 2
	} else {
		value[1] = value[1][1:]
	}
	if len(value[last]) < 1 || value[last][len(value[last])-1] != ')' {
		return invalid(value[last])
	}
	if len(value[last]) == 1 {
		last--
	} else {
		value[last] = value[last][:len(value[last])-1]
	}
	if cur >= len(value) {
		return invalid("")
	}
	c := value[cur]
	switch {
	case len(c) > 1 && c[0] == '$':
		if cur != last && cur+2 != last {
			return invalid(c)
		}
		if cur == last {
			return nil
		}
		switch op := value[cur+1]; op {
		case "=", "!=", "~", "~*", "!~", "!~*":
			return nil
		default:
			return bad(errValue, h, `unexpected "%s" in condition`, op)
		}
	case len(c) == 2 && c[0] == '-', len(c) == 3 && c[0] == '!' && c[1] == '-':
		if cur+1 != last {
			return invalid(c)
		}
		switch c[len(c)-1] {
		case 'f', 'd', 'e', 'x':
			return nil
		}
	}
	return invalid(c)
}
