package ini

import (
	"bytes"
	"fmt"
	"strings"

	"webflow-lab/servers/explain"
)

// Section is the section uWSGI reads when none is named (`--ini app.ini`).
const Section = "uwsgi"

// A Line is one line of an ini file as uWSGI's parser (core/ini.c
// uwsgi_ini_config) sees it, kept or not, so Explain and the notes can talk
// about every line of the file.
type Line struct {
	N       int    // 1-based line number in the file as written
	Text    string // the line after magic substitution, trimmed of space, TAB and CR
	Kind    LineKind
	Section string // the section this line is in (for a header: the section it opens)
	Kept    bool   // a key/value pair of the wanted section: it became an Option
	Key     string // for Pair lines
	Value   string // for Pair lines, before placeholders
}

// LineKind says what uWSGI's parser made of a line.
type LineKind uint8

const (
	Blank   LineKind = iota // empty after trimming
	Comment                 // first character ';' or '#'
	Header                  // first character '['
	Pair                    // anything else: key = value (or a bare key, value "")
)

// File is one parsed ini file.
type File struct {
	Path    string // as given (for messages)
	Section string // the section asked for
	Lines   []Line
	Found   bool // the section held at least one key (uWSGI's got_section)
}

// Options returns the kept pairs in file order.
func (f *File) Options() []Option {
	var out []Option
	for _, l := range f.Lines {
		if l.Kept {
			out = append(out, Option{Key: l.Key, Value: l.Value, File: f.Path, Line: l.N})
		}
	}
	return out
}

// MissingSection is uWSGI's warning when the section has no keys, or nil.
func (f *File) MissingSection() *explain.Error {
	if f.Found {
		return nil
	}
	return &explain.Error{
		What: explain.T(
			fmt.Sprintf("*** WARNING: Can't find section %q in INI configuration file %s ***", f.Section, f.Path),
			fmt.Sprintf("*** WARNING: Can't find section %q in INI configuration file %s ***（配置文件里没有这一节）", f.Section, f.Path)),
		Where: f.Path,
		Why: explain.T(
			fmt.Sprintf("uWSGI keeps only the lines under [%s] that hold a key; this file has none, so none of its options apply (a header with trailing text such as \"[uwsgi] # x\" names a different section)", f.Section),
			fmt.Sprintf("uWSGI 只读取 [%s] 这一节下面的键；这个文件里没有，所以其中的选项全部不生效（像 \"[uwsgi] # x\" 这样后面带文字的节标题，会变成另一个节名）", f.Section)),
		Try: explain.T(
			fmt.Sprintf("put the options under a line that is exactly [%s], or ask for the right section: --ini %s:name", f.Section, f.Path),
			fmt.Sprintf("把选项写在一行单独的 [%s] 下面，或用 --ini %s:节名 指定正确的节", f.Section, f.Path)),
	}
}

// Parse reads ini text exactly as uWSGI 2.0 does (core/ini.c):
//
//   - magic %X variables are replaced in the whole text first (see Magic);
//   - the text is split on '\n'; each line is trimmed of space, TAB and CR;
//   - a line whose first character is ';' or '#' is a comment: there are no
//     inline comments, "a = b # c" has the value "b # c";
//   - a line starting with '[' opens the section named by everything after
//     the '[' minus the last character, whatever it is ("[uwsgi] # x" opens
//     section "uwsgi] # ");
//   - any other line splits at the first '='; key and value are trimmed; no
//     quotes are removed; a line without '=' is a key with the value "";
//   - only pairs inside the wanted section are kept; lines before the first
//     header belong to section "" and are ignored.
//
// A NUL byte ends its line, as it ends the C string uWSGI works on.
func Parse(path string, data []byte, section string, magic Magic) *File {
	if section == "" {
		section = Section
	}
	f := &File{Path: path, Section: section}
	text, origin := magic.substitute(data)
	cur := ""
	for i, raw := range bytes.Split(text, []byte{'\n'}) {
		if j := bytes.IndexByte(raw, 0); j >= 0 {
			raw = raw[:j]
		}
		l := Line{N: origin[i], Text: trim(string(raw)), Section: cur}
		switch {
		case l.Text == "":
			l.Kind = Blank
		case l.Text[0] == '[':
			l.Kind = Header
			cur = ""
			if len(l.Text) > 1 { // "[" alone: uWSGI cuts the '[' itself
				cur = l.Text[1 : len(l.Text)-1]
			}
			l.Section = cur
		case l.Text[0] == ';' || l.Text[0] == '#':
			l.Kind = Comment
		default:
			l.Kind = Pair
			k, v, _ := strings.Cut(l.Text, "=")
			l.Key, l.Value = trim(k), trim(v)
			if cur == section {
				l.Kept = true
				f.Found = true
			}
		}
		f.Lines = append(f.Lines, l)
	}
	// uWSGI reads a file that ends in "\n" as having no line after it.
	if n := len(f.Lines); n > 0 && len(text) > 0 && text[len(text)-1] == '\n' && f.Lines[n-1].Text == "" {
		f.Lines = f.Lines[:n-1]
	}
	return f
}

// trim removes what uWSGI's ini_lstrip/ini_rstrip remove: space, TAB, CR.
func trim(s string) string { return strings.Trim(s, " \t\r") }

// SplitSpec splits "file.ini:section" at the last ':' as uWSGI does; a
// trailing ':' or none keeps the default section.
func SplitSpec(spec string) (path, section string) {
	i := strings.LastIndexByte(spec, ':')
	if i < 0 {
		return spec, Section
	}
	path, section = spec[:i], spec[i+1:]
	if section == "" {
		section = Section
	}
	return path, section
}
