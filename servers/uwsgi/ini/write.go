package ini

import (
	"io"
	"strings"
)

// WriteINI writes options as an ini file that Parse reads back into the same
// keys and values: one "key = value" line each under [section] (Section when
// empty), like uWSGI's --show-config, except that every '%' is written as
// "%%" so the magic pass gives it back unchanged.
func WriteINI(w io.Writer, section string, opts []Option) error {
	if section == "" {
		section = Section
	}
	var b strings.Builder
	b.WriteString("[" + section + "]\n")
	for _, o := range opts {
		b.WriteString(strings.ReplaceAll(o.Key, "%", "%%"))
		b.WriteString(" = ")
		b.WriteString(strings.ReplaceAll(o.Value, "%", "%%"))
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}
