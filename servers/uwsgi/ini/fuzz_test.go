package ini

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seeds adds every ini file under testdata/ and the shipped assets.
func seeds(f *testing.F) {
	paths, _ := filepath.Glob("testdata/*/*.ini")
	more, _ := filepath.Glob("../../../assets/uwsgi/*.ini")
	course, _ := filepath.Glob("../../../assets/uwsgi/course/*.ini")
	for _, p := range append(append(paths, more...), course...) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("[\n[]\n[uwsgi\n=\n%\n%%(\n%(a)%(\n"))
}

// FuzzParse: parsing never panics, every kept line number points into the
// file, and parse → WriteINI → parse gives the same option list.
func FuzzParse(f *testing.F) {
	seeds(f)
	m := MagicFor("app.ini", "/lab/app.ini", "", labHost(nil, nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		first := Parse("app.ini", data, "", m)
		lines := bytes.Count(data, []byte{'\n'}) + 1
		opts := first.Options()
		for _, o := range opts {
			if o.Line < 1 || o.Line > lines {
				t.Fatalf("line %d out of 1..%d", o.Line, lines)
			}
		}
		var buf bytes.Buffer
		if err := WriteINI(&buf, "", opts); err != nil {
			t.Fatal(err)
		}
		again := Parse("app.ini", buf.Bytes(), "", m).Options()
		if len(again) != len(opts) {
			t.Fatalf("round trip: got %d options, want %d\nfirst: %q\nagain: %q", len(again), len(opts), kv(opts), kv(again))
		}
		for i := range opts {
			if again[i].Key != opts[i].Key || again[i].Value != opts[i].Value {
				t.Fatalf("round trip option %d: got %q = %q, want %q = %q", i, again[i].Key, again[i].Value, opts[i].Key, opts[i].Value)
			}
		}
	})
}

// FuzzLoad: a whole load never panics or hangs; a loaded Config explains
// every option it holds, and its addresses are ready for net.Listen.
func FuzzLoad(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<14 {
			return
		}
		h := labHost(map[string]string{"/lab/app.ini": string(data), "/lab/x.txt": "x"}, map[string]string{"A": "1"})
		c, err := h.ParseArgs([]string{"--ini", "app.ini"})
		if err != nil {
			return
		}
		if len(c.effects) != len(c.Options) {
			t.Fatalf("effects %d for %d options", len(c.effects), len(c.Options))
		}
		_ = Explain(c, "en")
		_ = Explain(c, "zh")
		for _, a := range append(append(c.Sockets, c.HTTP...), c.HTTPSockets...) {
			if a.Network != "tcp" && a.Network != "unix" {
				t.Fatalf("network %q for %q", a.Network, a.Raw)
			}
		}
	})
}

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
