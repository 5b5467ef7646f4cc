package config

// log_format, access_log and error_log (ngx_http_log_module, ngx_log.c).

import (
	"fmt"
	"strings"

	"webflow-lab/servers/explain"
)

func checkLogFormat(p *parser, b *block, d *Directive, bad badFunc) error {
	if p.formats == nil {
		p.formats = map[string]bool{"combined": true}
	}
	if p.formats[d.Arg(0)] {
		return bad(errValue, hint{
			why: explain.T("each log_format needs its own name (combined is built in)", "每个 log_format 都要有自己的名字（combined 是内置的）"),
			try: explain.T("rename this format", "给这个格式改名"),
		}, `duplicate "log_format" name "%s"`, d.Arg(0))
	}
	p.formats[d.Arg(0)] = true
	return logFormatError(d.Args[1:], bad)
}

// logFormatError mirrors ngx_http_log_compile_format's own reading of
// $variables, which words its errors differently from other scripts.
func logFormatError(args []string, bad badFunc) error {
	h := hint{
		why: explain.T("in a log format '$' starts a variable: $name or ${name}", "日志格式中 '$' 表示变量：$name 或 ${name}"),
		try: explain.T("complete or remove the '$'", "补全或删除这个 '$'"),
	}
	if len(args) > 0 && strings.HasPrefix(args[0], "escape=") {
		if e := args[0][7:]; e != "json" && e != "none" && e != "default" {
			return bad(errValue, h, `unknown log format escaping "%s"`, e)
		}
		args = args[1:]
	}
	for _, a := range args {
		for i := 0; i < len(a); i++ {
			if a[i] != '$' {
				continue
			}
			start := i
			i++
			if i == len(a) {
				return bad(errValue, h, `invalid parameter "%s"`, a[start:])
			}
			bracket := a[i] == '{'
			if bracket {
				i++
				if i == len(a) {
					return bad(errValue, h, `invalid parameter "%s"`, a[start:])
				}
			}
			nameStart, n := i, 0
			for ; i < len(a); i++ {
				c := a[i]
				if c == '}' && bracket {
					bracket = false
					break
				}
				if !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
					break
				}
				n++
			}
			if bracket {
				return bad(errValue, h, `the closing bracket in "%s" variable is missing`, a[nameStart:nameStart+n])
			}
			if n == 0 {
				return bad(errValue, h, `invalid parameter "%s"`, a[start:])
			}
			if i < len(a) && a[i] == '}' {
				continue
			}
			i--
		}
	}
	return nil
}

func checkAccessLog(p *parser, b *block, d *Directive, bad badFunc) error {
	if d.Arg(0) == "off" || len(d.Args) < 2 {
		return nil
	}
	// ngx_http_log_set_log: the format name first, then the parameters.
	if f := d.Args[1]; !strings.Contains(f, "=") && f != "combined" && !p.formats[f] {
		return bad(errValue, hint{
			why: explain.T(fmt.Sprintf("no log_format named %q is defined before this line", f), fmt.Sprintf("在这一行之前没有定义名为 %q 的 log_format", f)),
			try: explain.T("define it with log_format in http { } above, or use combined", "在上方的 http { } 中用 log_format 定义它，或使用 combined"),
		}, `unknown log format "%s"`, f)
	}
	params := d.Args[2:]
	if strings.Contains(d.Args[1], "=") {
		params = d.Args[1:]
	}
	for _, a := range params {
		if !(strings.HasPrefix(a, "buffer=") || strings.HasPrefix(a, "flush=") || strings.HasPrefix(a, "gzip") || strings.HasPrefix(a, "if=")) {
			return bad(errValue, hint{
				why: explain.T("access_log takes a path, a format name, then only buffer=, gzip, flush= or if=", "access_log 的参数是路径、格式名，之后只能是 buffer=、gzip、flush= 或 if="),
				try: explain.T("end the access_log line with ';'", "用 ';' 结束 access_log 这一行"),
			}, `invalid parameter "%s"`, a)
		}
	}
	return nil
}

var logLevels = []string{"stderr", "emerg", "alert", "crit", "error", "warn", "notice", "info", "debug"}

func checkErrorLog(p *parser, b *block, d *Directive, bad badFunc) error {
	for _, a := range d.Args[1:] {
		if !contains(logLevels, a) && !strings.HasPrefix(a, "debug_") {
			return bad(errValue, hint{
				why: explain.T("error_log takes a file and a level: debug info notice warn error crit alert emerg", "error_log 的参数是文件和级别：debug info notice warn error crit alert emerg"),
				try: explain.T("write error_log logs/error.log warn;", "写成 error_log logs/error.log warn;"),
			}, `invalid log level "%s"`, a)
		}
	}
	return nil
}
