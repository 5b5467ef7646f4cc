package proxy

import (
	"strings"

	"webflow-lab/servers/proxy/config"
)

// Logs: error_log, access_log and log_format (ngx_log.c,
// ngx_http_log_module.c).

// logErrorLog is error_log FILE [LEVEL]: in the main context the log of the
// whole server, in http, server or location the log of their requests.
func logErrorLog(l *scope, d *config.Directive) error {
	el, err := l.cf.openErrorLog(d)
	if err != nil {
		return err
	}
	if l.kind == scopeMain {
		l.cf.errorLog = el
		return nil
	}
	l.s.errorLog = el
	return nil
}

func (cf *conf) openErrorLog(d *config.Directive) (*errorLogger, error) {
	if len(d.Args) < 1 || len(d.Args) > 2 {
		return nil, errAt(d, "invalid number of arguments in \"error_log\" directive")
	}
	lvl := levelError
	if len(d.Args) == 2 {
		l, ok := parseLevel(d.Args[1])
		if !ok {
			return nil, errAt(d, "invalid log level \"%s\"", d.Args[1])
		}
		lvl = l
	}
	p := d.Args[0]
	if p != "stderr" {
		p = cf.path(p)
	}
	el, err := cf.files.errorLog(p, lvl)
	if err != nil {
		return nil, errAt(d, "%v", err)
	}
	return el, nil
}

// logAccessLog is access_log PATH [FORMAT] | off; the first one at a level
// replaces the inherited ones.
func logAccessLog(l *scope, d *config.Directive) error {
	s := l.s
	if l.first(d) {
		s.accessLogs, s.accessOff = nil, false
	}
	if len(d.Args) == 1 && d.Args[0] == "off" {
		s.accessOff, s.accessLogs = true, nil
		return nil
	}
	if len(d.Args) < 1 {
		return errAt(d, "invalid number of arguments in \"access_log\" directive")
	}
	f := combinedFormat
	if len(d.Args) >= 2 && !strings.Contains(d.Args[1], "=") {
		ff, ok := l.cf.formats[d.Args[1]]
		if !ok {
			return errAt(d, "unknown log format \"%s\"", d.Args[1])
		}
		f = ff
	}
	al, err := l.cf.openAccessLog(l.cf.path(d.Args[0]), f)
	if err != nil {
		return errAt(d, "%v", err)
	}
	s.accessLogs = append(s.accessLogs, al)
	return nil
}

func (cf *conf) openAccessLog(path string, f *logFormat) (*accessLog, error) {
	lf, err := cf.files.get(path, cf.files.accessOut)
	if err != nil {
		return nil, err
	}
	return &accessLog{f: lf, format: f}, nil
}

// logFormatDirective is log_format NAME [escape=…] STRING …, in http only;
// compiled before the rest of http so any access_log can name it.
func logFormatDirective(l *scope, d *config.Directive) error {
	if len(d.Args) < 2 {
		return errAt(d, "invalid number of arguments in \"log_format\" directive")
	}
	if _, dup := l.cf.formats[d.Args[0]]; dup {
		return errAt(d, "duplicate \"log_format\" name %q", d.Args[0])
	}
	f, err := compileFormat(d.Args[0], d.Args[1:])
	if err != nil {
		return errAt(d, "%v", err)
	}
	l.cf.formats[d.Args[0]] = f
	return nil
}
