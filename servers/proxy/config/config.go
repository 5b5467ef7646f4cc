package config

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"webflow-lab/servers/explain"
)

// Config is a parsed nginx configuration with its includes expanded.
type Config struct {
	Path       string       // the main file, as given
	Directives []*Directive // top-level directives (main context)
	Files      []File       // every file read, once each, main file first, in reading order
	Warnings   []Warning    // directives accepted but without effect here, and nginx's own warnings
}

// File is one file read while loading.
type File struct {
	Path string
	Text []byte
}

// Warning is a non-fatal message, printed as nginx's "[warn]" lines.
type Warning struct {
	Msg  string // in nginx's style, e.g. `"tcp_nopush" directive has no effect in webflow-lab`
	File string // "" when nginx names no position
	Line int
	Text explain.Text // a plain explanation in both languages
	// Unimplemented marks the lab's own warning: a directive nginx knows
	// and the lab accepts without doing what it says. nginx never prints it.
	Unimplemented bool
}

// String is the line `nginx -t` would print.
func (w Warning) String() string {
	if w.File == "" {
		return "nginx: [warn] " + w.Msg
	}
	return fmt.Sprintf("nginx: [warn] %s in %s:%d", w.Msg, w.File, w.Line)
}

// Options control Parse.
type Options struct {
	// FS is where include reads files; nil means the operating system's
	// files. With an fs.FS, paths are slash-separated and unrooted.
	FS fs.FS
	// Prefix is the conf prefix that relative include paths resolve
	// against; empty means the directory of the main file, as nginx does.
	Prefix string
	// MaxIncludeDepth bounds nested includes (default 16). nginx itself
	// has no bound and recurses until it runs out of file descriptors.
	MaxIncludeDepth int
}

// Load reads the config file at path and every file it includes, checking
// it as `nginx -t` would.
func Load(path string) (*Config, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, openError(path, "", 0, err)
	}
	return Parse(path, src, Options{})
}

// LoadFS is Load on a file system, e.g. assets.FS: LoadFS(assets.FS, "nginx/nginx.conf").
func LoadFS(fsys fs.FS, name string) (*Config, error) {
	src, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, openError(name, "", 0, err)
	}
	return Parse(name, src, Options{FS: fsys})
}

// Parse checks src as the main config file named name. Includes are read
// through opts.FS (or the OS). The error, if any, is an *explain.Error
// whose Err is a *NginxError; the Config is then what was read before the
// error (its Files and Warnings still feed Transcript), not a usable config.
func Parse(name string, src []byte, opts Options) (*Config, error) {
	p := &parser{opts: opts, cfg: &Config{Path: name}}
	if opts.FS != nil {
		p.src = fsSource{opts.FS}
	} else {
		p.src = osSource{}
	}
	p.prefix = opts.Prefix
	if p.prefix == "" {
		p.prefix = p.src.dir(name)
	}
	if p.opts.MaxIncludeDepth <= 0 {
		p.opts.MaxIncludeDepth = 16
	}
	p.cfg.Files = append(p.cfg.Files, File{Path: name, Text: src})
	p.stack = []string{p.src.clean(name)}
	top := &block{ctx: Main, list: &p.cfg.Directives}
	if err := p.parseFile(newLexer(name, src), top, false); err != nil {
		return p.cfg, err
	}
	if err := p.finish(); err != nil {
		return p.cfg, err
	}
	return p.cfg, nil
}

// source abstracts the two places files come from.
type source interface {
	read(name string) ([]byte, error)
	glob(pattern string) ([]string, error)
	full(prefix, name string) string
	dir(name string) string
	clean(name string) string
}

type osSource struct{}

func (osSource) read(name string) ([]byte, error) {
	if fi, err := os.Stat(name); err == nil && fi.IsDir() {
		return nil, &fs.PathError{Op: "read", Path: name, Err: errIsDir}
	}
	return os.ReadFile(name)
}
func (osSource) glob(pattern string) ([]string, error) { return filepath.Glob(pattern) }
func (osSource) full(prefix, name string) string {
	if filepath.IsAbs(name) {
		return name
	}
	// ngx_get_full_name concatenates without cleaning: "inc/" stays "inc/".
	if prefix == "" || prefix == "." {
		return name
	}
	return strings.TrimSuffix(prefix, "/") + "/" + name
}
func (osSource) dir(name string) string   { return filepath.Dir(name) }
func (osSource) clean(name string) string { return filepath.Clean(name) }

type fsSource struct{ fsys fs.FS }

func (s fsSource) read(name string) ([]byte, error) {
	if fi, err := fs.Stat(s.fsys, name); err == nil && fi.IsDir() {
		return nil, &fs.PathError{Op: "read", Path: name, Err: errIsDir}
	}
	return fs.ReadFile(s.fsys, name)
}
func (s fsSource) glob(pattern string) ([]string, error) { return fs.Glob(s.fsys, pattern) }
func (fsSource) full(prefix, name string) string {
	if path.IsAbs(name) {
		return strings.TrimPrefix(name, "/")
	}
	return path.Join(prefix, name)
}
func (fsSource) dir(name string) string   { return path.Dir(name) }
func (fsSource) clean(name string) string { return path.Clean(name) }

// globMatches expands an include pattern as nginx's glob(3) call does:
// sorted, and "*" does not match a leading dot.
func globMatches(src source, pattern string) ([]string, error) {
	m, err := src.glob(pattern)
	if err != nil {
		return nil, err
	}
	base := path.Base(filepath.ToSlash(pattern))
	out := m[:0]
	for _, f := range m {
		if strings.HasPrefix(path.Base(filepath.ToSlash(f)), ".") && !strings.HasPrefix(base, ".") {
			continue
		}
		out = append(out, f)
	}
	sort.Strings(out)
	return out, nil
}
