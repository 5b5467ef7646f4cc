package ini

import (
	"hash/fnv"
	"path/filepath"
	"strconv"
	"strings"
)

// Version is the uWSGI version the lab mirrors (magic %V).
const Version = "2.0.21"

// Magic is the table of uWSGI's magic variables (%d, %n, …): one value per
// byte after the '%'. uWSGI replaces them in the raw text of an ini file
// before parsing it (core/utils.c magic_sub); every byte without an entry,
// %z for instance, is replaced by nothing, "%%" is a '%' and "%(" is kept for
// the placeholder pass. The zero Magic knows only those last two.
type Magic map[byte]string

// MagicFor fills the table for one ini file the way uWSGI's
// config_magic_table_fill does. abs is the file's absolute path (uWSGI uses
// realpath), section the section asked for on the command line ("" when
// none was given: %x is then empty even though [uwsgi] is read).
//
//	%p full path   %s file name   %n name without extension   %e extension
//	%d directory WITH its trailing '/'   %c the directory's own name
//	%0..%9 the directory's components   %x section   %o the path as given
//	%j a hash of %p   %v cwd   %h hostname   %k CPUs   %V version
//	%u/%U uid/user   %g/%G gid/group   %t/%T unix time in s/µs   %[ ESC
func MagicFor(given, abs, section string, h Host) Magic {
	m := Magic{}
	m['o'] = given
	m['p'] = abs
	m['s'] = filepath.Base(abs)
	dir := abs[:strings.LastIndexByte(abs, '/')+1]
	m['d'] = dir
	trimmed := strings.TrimSuffix(dir, "/")
	if i := strings.LastIndexByte(trimmed, '/'); i >= 0 {
		m['c'] = trimmed[i+1:]
	}
	base := byte('0')
	for _, part := range strings.Split(trimmed, "/") {
		if part == "" {
			continue
		}
		if base > '9' {
			break
		}
		m[base] = part
		base++
	}
	m['n'] = m['s']
	if i := strings.LastIndexByte(m['s'], '.'); i >= 0 {
		m['e'] = m['s'][i+1:]
		m['n'] = m['s'][:i]
	}
	m['x'] = section
	hs := fnv.New32a() // uWSGI uses djb33x; the value only needs to be stable per path
	hs.Write([]byte(abs))
	m['j'] = strconv.FormatUint(uint64(hs.Sum32()), 16)
	m['v'] = h.cwd()
	m['h'] = h.hostname()
	m['k'] = strconv.Itoa(h.cpus())
	m['V'] = Version
	m['['] = "\033"
	m['u'], m['U'], m['g'], m['G'] = h.ids()
	now := h.now()
	m['t'] = strconv.FormatInt(now.Unix(), 10)
	m['T'] = strconv.FormatInt(now.UnixMicro(), 10)
	// The upper-case twins hold the values of the first file read; the
	// loader sets them (see Loader.loadINI).
	return m
}

// substitute applies the table to the whole text and returns it with, for
// each line of the result, the line of the input it starts on: "%" before a
// newline eats the newline (an unknown variable), so lines can merge.
func (m Magic) substitute(data []byte) ([]byte, []int) {
	out := make([]byte, 0, len(data))
	origin := []int{1}
	line := 1
	for i := 0; i < len(data); i++ {
		c := data[i]
		if c == '%' && i+1 == len(data) {
			break // uWSGI reads "%" + the NUL it appends: both vanish
		}
		if c == '%' {
			next := data[i+1]
			if next == '\n' {
				line++
			}
			out = append(out, m.value(next)...)
			i++
			continue
		}
		if c == '\n' {
			line++
			origin = append(origin, line)
		}
		out = append(out, c)
	}
	return out, origin
}

// value is the replacement for "%" + c.
func (m Magic) value(c byte) string {
	switch c {
	case '%':
		return "%"
	case '(':
		return "%("
	}
	return m[c]
}
