package proxy

import (
	"path/filepath"
	"strings"

	"webflow-lab/servers/proxy/config"
)

// Files: root, alias, index, try_files, autoindex, types and the other
// settings of the static path (ngx_http_core_module, ngx_http_index_module,
// ngx_http_autoindex_module, ngx_http_charset_filter_module).

// staticRoot is root and alias; one location has one of them.
func staticRoot(l *scope, d *config.Directive) error {
	p, err := oneArg(d)
	if err != nil {
		return err
	}
	if l.seen["root"] || l.seen["alias"] {
		prev := "root"
		if l.seen["alias"] {
			prev = "alias"
		}
		if prev == d.Name {
			return errAt(d, "\"%s\" directive is duplicate", d.Name)
		}
		return errAt(d, "\"%s\" directive is duplicate, \"%s\" directive was specified earlier", d.Name, prev)
	}
	l.first(d)
	if d.Name == "alias" && l.kind != scopeLocation {
		return errAt(d, "\"alias\" directive is not allowed here")
	}
	if d.Name == "alias" && l.loc.mod == modNamed {
		return errAt(d, "\"alias\" directive cannot be used inside the named location")
	}
	if d.Name == "root" {
		p = strings.TrimSuffix(p, "/")
	}
	if !filepath.IsAbs(p) && !strings.HasPrefix(p, "$") {
		p = filepath.Join(l.cf.prefix, p)
		if d.Name == "alias" && strings.HasSuffix(d.Args[0], "/") {
			p += "/"
		}
	}
	t, err := compileTmpl(p)
	if err != nil {
		return errAt(d, "%v", err)
	}
	s := l.s
	if d.Name == "root" {
		s.root, s.alias = t, nil
		return nil
	}
	s.alias, s.root = t, nil
	s.aliasRegex = l.loc.mod == modRegex || l.loc.mod == modRegexCI
	if !s.aliasRegex {
		s.aliasLen = len(l.loc.name)
	}
	return nil
}

func staticIndex(l *scope, d *config.Directive) error {
	if len(d.Args) == 0 {
		return errAt(d, "invalid number of arguments in \"index\" directive")
	}
	if l.first(d) {
		l.s.index = nil
	}
	for _, a := range d.Args {
		t, err := compileTmpl(a)
		if err != nil {
			return errAt(d, "%v", err)
		}
		l.s.index = append(l.s.index, t)
	}
	return nil
}

func staticAutoindex(l *scope, d *config.Directive) (err error) {
	l.s.autoindex, err = flagArg(d)
	return err
}

func staticAutoindexExact(l *scope, d *config.Directive) (err error) {
	l.s.autoindexExact, err = flagArg(d)
	return err
}

func staticAutoindexLocal(l *scope, d *config.Directive) (err error) {
	l.s.autoindexLocal, err = flagArg(d)
	return err
}

// staticTypes is types { type ext …; }: it replaces the inherited table.
func staticTypes(l *scope, d *config.Directive) error {
	l.s.types = map[string]string{}
	for _, t := range d.Block {
		for _, ext := range t.Args {
			l.s.types[strings.ToLower(ext)] = t.Name
		}
	}
	return nil
}

func staticDefaultType(l *scope, d *config.Directive) (err error) {
	l.s.defaultType, err = oneArg(d)
	return err
}

// staticCharset is charset NAME | off: the charset filter labels text
// types that have none.
func staticCharset(l *scope, d *config.Directive) error {
	cs, err := oneArg(d)
	if err != nil {
		return err
	}
	if cs == "off" {
		cs = ""
	}
	l.s.charset = cs
	return nil
}

func staticCharsetTypes(l *scope, d *config.Directive) error {
	l.s.charsetTypes = map[string]bool{}
	for _, a := range d.Args {
		l.s.charsetTypes[strings.ToLower(a)] = true
	}
	return nil
}

func staticEtag(l *scope, d *config.Directive) (err error) {
	l.s.etag, err = flagArg(d)
	return err
}

// staticIfModifiedSince is off | exact | before.
func staticIfModifiedSince(l *scope, d *config.Directive) (err error) {
	l.s.ifModSince, err = oneArg(d)
	return err
}

// staticTryFiles is try_files FILE … LAST (not inherited: the location's own).
func staticTryFiles(l *scope, d *config.Directive) error {
	if l.loc == nil {
		return errAt(d, "\"try_files\" directive is not allowed here")
	}
	if len(d.Args) < 2 {
		return errAt(d, "invalid number of arguments in \"try_files\" directive")
	}
	if l.loc.tryFiles != nil {
		return errAt(d, "\"try_files\" directive is duplicate")
	}
	for i, a := range d.Args {
		var arg tryArg
		if i < len(d.Args)-1 && strings.HasSuffix(a, "/") {
			arg.testDir, a = true, a[:len(a)-1]
		}
		t, err := compileTmpl(a)
		if err != nil {
			return errAt(d, "%v", err)
		}
		arg.t = t
		l.loc.tryFiles = append(l.loc.tryFiles, arg)
	}
	return nil
}

func staticLogNotFound(l *scope, d *config.Directive) (err error) {
	l.s.logNotFound, err = flagArg(d)
	return err
}

// staticSendfile picks how a large file reaches the socket: sendfile(2)
// (on), or reads and writes (off, nginx's default). The bytes are the same.
func staticSendfile(l *scope, d *config.Directive) (err error) {
	l.s.sendfile, err = flagArg(d)
	return err
}

// Core settings of every answer.

func coreServerTokens(l *scope, d *config.Directive) (err error) {
	l.s.serverTokens, err = flagArg(d)
	return err
}

func coreAbsoluteRedirect(l *scope, d *config.Directive) (err error) {
	l.s.absRedirect, err = flagArg(d)
	return err
}

func corePortInRedirect(l *scope, d *config.Directive) (err error) {
	l.s.portRedirect, err = flagArg(d)
	return err
}

func coreNameInRedirect(l *scope, d *config.Directive) (err error) {
	l.s.nameRedirect, err = flagArg(d)
	return err
}

func coreMaxBodySize(l *scope, d *config.Directive) (err error) {
	l.s.maxBody, err = offsetArg(d)
	return err
}

func coreSendTimeout(l *scope, d *config.Directive) (err error) {
	l.s.sendTimeout, err = msecArg(d)
	return err
}

func coreBodyTimeout(l *scope, d *config.Directive) (err error) {
	l.s.bodyTimeout, err = msecArg(d)
	return err
}
