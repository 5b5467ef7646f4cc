package config

import (
	"fmt"
	"strings"
)

// Format prints directives in a canonical form: one directive per line,
// four-space indents, every argument quoted only when it must be. Parsing
// the output gives back the same names, arguments and nesting.
func Format(list []*Directive) string {
	var b strings.Builder
	format(&b, list, 0)
	return b.String()
}

func format(b *strings.Builder, list []*Directive, depth int) {
	indent := strings.Repeat("    ", depth)
	for _, d := range list {
		b.WriteString(indent)
		b.WriteString(quote(d.Name))
		for _, a := range d.Args {
			b.WriteByte(' ')
			b.WriteString(quote(a))
		}
		if !d.IsBlock() {
			b.WriteString(";\n")
			continue
		}
		b.WriteString(" {\n")
		format(b, d.Block, depth+1)
		b.WriteString(indent + "}\n")
	}
}

// quote writes a word so that nginx's lexer reads it back unchanged. A word
// of plain characters is written as is; anything else goes in double quotes
// with \" \\ and the control characters escaped. Inside quotes "$" followed
// by "{" is harmless, but a backslash before n, r, t would be decoded, so
// every backslash is doubled.
func quote(s string) string {
	if s != "" && plain(s) {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// plain reports whether s reads back as itself without quotes.
func plain(s string) bool {
	switch s[0] {
	case '"', '\'', '#', '}', '{', ';':
		return false
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\r', '\n', ';', '{', '\\', '"', '\'':
			return false
		case '$':
			if i+1 < len(s) && s[i+1] == '{' {
				return false
			}
		}
	}
	return true
}

// Dump is what `nginx -T` writes to stdout after a successful test: every
// file read, once each, in the order first read, under a
// "# configuration file NAME:" header and followed by a newline.
func Dump(cfg *Config) string {
	var b strings.Builder
	for _, f := range cfg.Files {
		fmt.Fprintf(&b, "# configuration file %s:\n", f.Path)
		b.Write(f.Text)
		b.WriteByte('\n')
	}
	return b.String()
}
