package ini

import (
	"fmt"
	"strings"

	"webflow-lab/servers/explain"
)

// getopt walks argv as glibc's getopt_long does with uWSGI's option table:
// "--name value", "--name=value", unambiguous abbreviations ("--proc 4"),
// short flags ("-p 4", "-p4", "-Mp 4"), "--" ends the flags, and every other
// argument is set aside (GNU getopt permutes them to the end) for bare.
// A required argument is the next word even if it starts with '-'.
func getopt(args []string, flag func(Option) error, bare func(Option)) error {
	for i := 0; i < len(args); i++ {
		a := args[i]
		pos := i + 1
		switch {
		case a == "--":
			for j := i + 1; j < len(args); j++ {
				bare(Option{Value: args[j], Line: j + 1, Flag: true})
			}
			return nil
		case strings.HasPrefix(a, "--"):
			body := a[2:]
			name, value, hasValue := strings.Cut(body, "=")
			opt, err := matchLong(name, a, pos)
			if err != nil {
				return err
			}
			switch opt.arg {
			case argNone:
				if hasValue {
					return getoptError(pos, fmt.Sprintf("uwsgi: option '--%s' doesn't allow an argument", opt.name))
				}
			case argRequired:
				if !hasValue {
					if i+1 >= len(args) {
						return getoptError(pos, fmt.Sprintf("uwsgi: option '--%s' requires an argument", opt.name))
					}
					i++
					value = args[i]
				}
			}
			noValue := opt.arg == argNone || opt.arg == argOptional && !hasValue
			if err := flag(Option{Key: opt.name, Value: value, Line: pos, Flag: true, NoValue: noValue}); err != nil {
				return err
			}
		case len(a) > 1 && a[0] == '-':
			for k := 1; k < len(a); k++ {
				c := a[k]
				opt, ok := shortOpt(c)
				if !ok {
					return getoptError(pos, fmt.Sprintf("uwsgi: invalid option -- '%c'", c))
				}
				value, noValue := "", false
				switch opt.arg {
				case argNone:
					noValue = true
				case argRequired:
					if k+1 < len(a) {
						value = a[k+1:]
					} else {
						if i+1 >= len(args) {
							return getoptError(pos, fmt.Sprintf("uwsgi: option requires an argument -- '%c'", c))
						}
						i++
						value = args[i]
					}
					k = len(a)
				case argOptional:
					value, noValue = a[k+1:], k+1 == len(a)
					k = len(a)
				}
				if err := flag(Option{Key: opt.name, Value: value, Line: pos, Flag: true, NoValue: noValue}); err != nil {
					return err
				}
			}
		default:
			bare(Option{Value: a, Line: pos, Flag: true})
		}
	}
	return nil
}

// matchLong finds a long option by exact name or unique prefix. uWSGI gives
// each option its own getopt value, so two prefix matches are always
// ambiguous.
func matchLong(name, arg string, pos int) (uwsgiOpt, error) {
	if i, ok := uwsgiOptIndex[name]; ok {
		return uwsgiOptions[i], nil
	}
	var hits []uwsgiOpt
	if name != "" {
		for _, o := range uwsgiOptions {
			if strings.HasPrefix(o.name, name) {
				hits = append(hits, o)
			}
		}
	}
	switch len(hits) {
	case 1:
		return hits[0], nil
	case 0:
		return uwsgiOpt{}, getoptError(pos, fmt.Sprintf("uwsgi: unrecognized option '%s'", arg))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "uwsgi: option '%s' is ambiguous; possibilities:", arg)
	for _, h := range hits {
		fmt.Fprintf(&b, " '--%s'", h.name)
	}
	return uwsgiOpt{}, getoptError(pos, b.String())
}

// shortOpt is the first option with shortcut c (uwsgi_get_optname_by_index).
func shortOpt(c byte) (uwsgiOpt, bool) {
	for _, o := range uwsgiOptions {
		if o.short == c {
			return o, true
		}
	}
	return uwsgiOpt{}, false
}

// getoptError is getopt's own line followed by uWSGI's "getopt_long() error".
func getoptError(pos int, msg string) *explain.Error {
	where := "command line"
	if pos > 0 {
		where = fmt.Sprintf("command line, argument %d", pos)
	}
	return &explain.Error{
		What:  explain.T(msg+"\ngetopt_long() error", msg+"\ngetopt_long() error"),
		Where: where,
		Why: explain.T("on the command line every option must be one uWSGI knows, with or without its value as the option requires (in an ini file an unknown key is silently ignored instead)",
			"命令行上的每个选项都必须是 uWSGI 认识的，并且按要求带或不带值（而 ini 文件里不认识的键会被默默忽略）"),
		Try: explain.T("check the spelling against `uwsgi --help`; a flag without a value is written --master, a value is --socket :9001 or --socket=:9001",
			"对照 `uwsgi --help` 检查拼写；不带值的选项写成 --master，带值的写成 --socket :9001 或 --socket=:9001"),
	}
}
