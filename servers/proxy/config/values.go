package config

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"webflow-lab/servers/explain"
)

// ErrInvalidValue is returned by the value parsers for text nginx refuses.
var ErrInvalidValue = errors.New("config: invalid value")

// ParseSize parses a size as ngx_parse_size does: decimal digits with an
// optional k/K (×1024) or m/M (×1024²) suffix, e.g. "8k", "1m", "0".
func ParseSize(s string) (int64, error) { return parseSize(s, false) }

// ParseOffset is ParseSize that also accepts g/G (ngx_parse_offset), used by
// client_max_body_size.
func ParseOffset(s string) (int64, error) { return parseSize(s, true) }

func parseSize(s string, allowG bool) (int64, error) {
	if s == "" {
		return 0, ErrInvalidValue
	}
	scale := int64(1)
	switch s[len(s)-1] {
	case 'k', 'K':
		scale, s = 1024, s[:len(s)-1]
	case 'm', 'M':
		scale, s = 1024*1024, s[:len(s)-1]
	case 'g', 'G':
		if allowG {
			scale, s = 1024*1024*1024, s[:len(s)-1]
		}
	}
	n, ok := atoi(s)
	if !ok || n > math.MaxInt64/scale {
		return 0, ErrInvalidValue
	}
	return n * scale, nil
}

// ParseNumber parses a number as ngx_atoi does (ngx_conf_set_num_slot,
// weight=, max_fails=): decimal digits only, no sign, no overflow.
func ParseNumber(s string) (int64, error) {
	n, ok := atoi(s)
	if !ok {
		return 0, ErrInvalidValue
	}
	return n, nil
}

// atoi is ngx_atoi: non-empty, digits only, no sign, no overflow.
func atoi(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if n > (math.MaxInt64-int64(c-'0'))/10 {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// ParseTime parses a time as ngx_parse_time does for millisecond directives
// (proxy_read_timeout …): units w d h m s ms in that order, each at most
// once, e.g. "60s", "500ms", "1m30s"; a bare number is seconds.
func ParseTime(s string) (time.Duration, error) {
	ms, err := parseTime(s, false)
	if ms > math.MaxInt64/int64(time.Millisecond) {
		// nginx takes it (ngx_msec_t); a Duration ends here: for ever
		return time.Duration(math.MaxInt64), err
	}
	return time.Duration(ms) * time.Millisecond, err
}

// ParseSeconds is ParseTime for second directives (keepalive_timeout,
// fail_timeout=), which also allow y and M but not ms.
func ParseSeconds(s string) (time.Duration, error) {
	sec, err := parseTime(s, true)
	if sec > math.MaxInt64/int64(time.Second) {
		return 0, ErrInvalidValue
	}
	return time.Duration(sec) * time.Second, err
}

func parseTime(s string, isSec bool) (int64, error) {
	const (
		stStart = iota
		stYear
		stMonth
		stWeek
		stDay
		stHour
		stMin
		stSec
		stMsec
		stLast
	)
	step := stStart
	if !isSec {
		step = stMonth
	}
	var value, total int64
	valid := false
	for i := 0; i < len(s); {
		c := s[i]
		if c >= '0' && c <= '9' {
			if value > (math.MaxInt64-int64(c-'0'))/10 {
				return 0, ErrInvalidValue
			}
			value = value*10 + int64(c-'0')
			valid = true
			i++
			continue
		}
		i++
		var scale, next int64
		switch c {
		case 'y':
			next, scale = stYear, 60*60*24*365
			if step > stStart {
				return 0, ErrInvalidValue
			}
		case 'M':
			next, scale = stMonth, 60*60*24*30
		case 'w':
			next, scale = stWeek, 60*60*24*7
		case 'd':
			next, scale = stDay, 60*60*24
		case 'h':
			next, scale = stHour, 60*60
		case 'm':
			if i < len(s) && s[i] == 's' {
				if isSec || step >= stMsec {
					return 0, ErrInvalidValue
				}
				i++
				next, scale = stMsec, 1
				break
			}
			next, scale = stMin, 60
		case 's':
			next, scale = stSec, 1
		case ' ':
			if step >= stSec {
				return 0, ErrInvalidValue
			}
			next, scale = stLast, 1
		default:
			return 0, ErrInvalidValue
		}
		if c != 'y' && c != ' ' && next != stMsec && int64(step) >= next {
			return 0, ErrInvalidValue
		}
		step = int(next)
		maxV := int64(math.MaxInt64)
		if next != stMsec && !isSec {
			scale *= 1000
		}
		if value > maxV/scale {
			return 0, ErrInvalidValue
		}
		value *= scale
		if total > math.MaxInt64-value {
			return 0, ErrInvalidValue
		}
		total += value
		value = 0
		for i < len(s) && s[i] == ' ' {
			i++
		}
	}
	if !valid {
		return 0, ErrInvalidValue
	}
	if !isSec {
		if value > math.MaxInt64/1000 {
			return 0, ErrInvalidValue
		}
		value *= 1000
	}
	if total > math.MaxInt64-value {
		return 0, ErrInvalidValue
	}
	return total + value, nil
}

// Where is the directive's position as "file:line".
func (d *Directive) Where() string { return fmt.Sprintf("%s:%d", d.File, d.Line) }

// Arg returns argument i, or "" if there is none.
func (d *Directive) Arg(i int) string {
	if i < 0 || i >= len(d.Args) {
		return ""
	}
	return d.Args[i]
}

// Find returns the first child directive named name, or nil.
func (d *Directive) Find(name string) *Directive { return First(d.Block, name) }

// FindAll returns the child directives named name, in order.
func (d *Directive) FindAll(name string) []*Directive { return All(d.Block, name) }

// First returns the first directive in list named name, or nil.
func First(list []*Directive, name string) *Directive {
	for _, d := range list {
		if d.Name == name {
			return d
		}
	}
	return nil
}

// All returns the directives in list named name, in order.
func All(list []*Directive, name string) []*Directive {
	var out []*Directive
	for _, d := range list {
		if d.Name == name {
			out = append(out, d)
		}
	}
	return out
}

// Flag is the value of an on/off directive (case-insensitive, as nginx).
func (d *Directive) Flag() bool { return strings.EqualFold(d.Arg(0), "on") }

// Size parses argument i with ParseOffset; the error is nginx's
// `"client_max_body_size" directive invalid value in FILE:LINE`.
func (d *Directive) Size(i int) (int64, error) {
	n, err := ParseOffset(d.Arg(i))
	if err != nil {
		return 0, d.invalidValue()
	}
	return n, nil
}

// Duration parses argument i with ParseTime (milliseconds resolution); the
// error is nginx's `"proxy_read_timeout" directive invalid value in FILE:LINE`.
func (d *Directive) Duration(i int) (time.Duration, error) {
	t, err := ParseTime(d.Arg(i))
	if err != nil {
		return 0, d.invalidValue()
	}
	return t, nil
}

func (d *Directive) invalidValue() error {
	ne := &NginxError{Level: "emerg", Msg: fmt.Sprintf(`"%s" directive invalid value`, d.Name), File: d.File, Line: d.EndLine}
	return newError(ne, errValue, valueHint(d.Name, d.Args))
}

// valueHint explains an invalid size or time.
func valueHint(name string, args []string) hint {
	h := hint{name: name}
	s := specFor(name)
	switch s.set {
	case setSize, setOff:
		h.why = explain.T(fmt.Sprintf("%q takes a size: a number with an optional k or m (bytes ×1024, ×1024²)", name),
			fmt.Sprintf("%q 的值是大小：数字，可带 k 或 m 后缀（字节 ×1024、×1024²）", name))
		h.try = explain.T("write it like 1m, 10k or 0 (no space, no 'b')", "写成 1m、10k 或 0 这样的形式（不要空格，不要写 b）")
	case setMsec, setSec:
		h.why = explain.T(fmt.Sprintf("%q takes a time: numbers with units w d h m s ms, largest first", name),
			fmt.Sprintf("%q 的值是时间：数字加单位 w d h m s ms，从大到小", name))
		h.try = explain.T("write it like 60s, 500ms or 1m30s; a bare number means seconds",
			"写成 60s、500ms 或 1m30s；不带单位的数字表示秒")
	default:
		h.why = explain.T(fmt.Sprintf("nginx does not accept %q as a value of %q", strings.Join(args, " "), name),
			fmt.Sprintf("nginx 不接受 %q 作为 %q 的值", strings.Join(args, " "), name))
		h.try = explain.T("check the allowed values in the nginx documentation", "在 nginx 文档中查看允许的取值")
	}
	return h
}

func specFor(name string) spec {
	if s := byName[name]; len(s) > 0 {
		return s[0]
	}
	return spec{}
}
