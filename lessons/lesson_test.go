package lessons

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"webflow-lab/servers/explain"
)

// TestParseErrors: a malformed lesson file is an explain.Error naming the
// file and line, with a fix.
func TestParseErrors(t *testing.T) {
	head := "title: T\ntitle.zh: 题\ngoal: G\ngoal.zh: 目标\n"
	step := "step: S\nstep.zh: 步\ntext: do it\ntext.zh: 做\ncheck: lab db running\n"
	tests := []struct {
		name string
		src  string
		line int
		what string
	}{
		{"no title", "goal: G\n" + step, 1, "no title"},
		{"no step", head, 1, "no step"},
		{"indented first", "  title: T\n", 1, "indented line"},
		{"not key value", head + "this is prose\n", 5, "is not `key: value`"},
		{"unknown key", head + step + "hnit: x\n", 10, "unknown key `hnit`"},
		{"zh without en", head + "step: S\nstep.zh: 步\ntext.zh: 做\n", 7, "no English `text:`"},
		{"duplicate", head + step + "text: again\n", 10, "again (first at line 7)"},
		{"hint before step", head + "hint: x\n", 5, "before the first `step:`"},
		{"title after step", head + step + "title: x\n", 10, "after a step"},
		{"no check", head + "step: S\ntext: do\n", 5, "has no `check:`"},
		{"no text", head + "step: S\ncheck: lab db running\n", 5, "has no `text:`"},
		{"empty text", head + "step: S\ntext:\ncheck: lab db running\n", 6, "is empty"},
		{"unknown check", head + "step: S\ntext: t\ncheck: htpp GET /\n", 7, "unknown check"},
		{"bad quote", head + "step: S\ntext: t\ncheck: log error.log has \"open()\n", 7, "not closed"},
		{"bad status", head + "step: S\ntext: t\ncheck: http GET / status=abc\n", 7, "status="},
		{"path outside", head + "step: S\ntext: t\nsetup: remove ../etc\ncheck: lab db running\n", 7, "not a path inside the workspace"},
		{"unknown action", head + "step: S\ntext: t\nsetup: explode\ncheck: lab db running\n", 7, "unknown action"},
		{"bad patch line", head + "step: S\ntext: t\nsetup:\n  edit a.conf\n  *x\ncheck: lab db running\n", 9, "a patch line starts"},
		{"one-of mismatch", head + "step: S\ntext: t\nsetup:\n  one-of\n    run db stop\n    run static break\nsolution:\n  one-of\n    run db start\ncheck: lab db running\n", 12, "alternatives"},
		{"unknown variable", head + "step: S\ntext: open {site}\ncheck: lab db running\n", 6, "unknown variable {site}"},
		{"bad regexp", head + "step: S\ntext: t\ncheck: log error.log matches \"(\"\n", 7, "regular expression"},
		{"not utf-8", head + "step: S\ntext: \xff\n", 6, "not UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("x.lesson", []byte(tt.src))
			var e *explain.Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v, want an *explain.Error", err)
			}
			if want := "x.lesson:" + itoa(tt.line); e.Where != want {
				t.Errorf("where: got %q, want %q (%s)", e.Where, want, e.What.EN)
			}
			if !strings.Contains(e.What.EN, tt.what) {
				t.Errorf("what: got %q, want it to contain %q", e.What.EN, tt.what)
			}
			if e.What.ZH == "" || e.Try.EN == "" || e.Try.ZH == "" {
				t.Errorf("got %+v, want what and try in both languages", e)
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestBuiltinRoundTrip: every built-in lesson formats to a file that parses
// to the same lesson.
func TestBuiltinRoundTrip(t *testing.T) {
	c, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Lessons) != 14 {
		t.Errorf("got %d built-in lessons, want the 14 of issue 12", len(c.Lessons))
	}
	for _, l := range c.Lessons {
		t.Run(l.ID, func(t *testing.T) {
			again, err := Parse(l.File, Format(l))
			if err != nil {
				t.Fatalf("the formatted lesson does not parse: %v\n%s", err, Format(l))
			}
			if got, want := shape(again), shape(l); !reflect.DeepEqual(got, want) {
				t.Errorf("parse → format → parse changed the lesson:\ngot  %+v\nwant %+v", got, want)
			}
		})
	}
}

// shape is a lesson without where its parts were read, for comparing.
func shape(l *Lesson) any {
	type step struct {
		Title, Text, Done Text
		Hints             []Text
		Setup, Sol, Chk   []string
	}
	var steps []step
	for _, st := range l.Steps {
		s := step{Title: st.Title, Text: st.Text, Done: st.Done, Hints: st.Hints}
		for _, a := range st.Setup {
			s.Setup = append(s.Setup, a.Raw)
		}
		for _, a := range st.Solution {
			s.Sol = append(s.Sol, a.Raw)
		}
		for _, c := range st.Checks {
			s.Chk = append(s.Chk, c.Raw)
		}
		steps = append(steps, s)
	}
	return struct {
		Title, Goal Text
		Steps       []step
	}{l.Title, l.Goal, steps}
}

var (
	codeRE = regexp.MustCompile("`[^`]+`")
	hanRE  = regexp.MustCompile(`\p{Han}`)
)

// TestBothLanguages compares the English and Chinese trees of every
// built-in lesson: every text has both sides, the Chinese is Chinese, and
// both sides name the same variables and the same `commands`; every check
// and solution line can be shown in both.
func TestBothLanguages(t *testing.T) {
	c, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range c.Lessons {
		t.Run(l.ID, func(t *testing.T) {
			compare := func(where string, tx Text) {
				t.Helper()
				switch {
				case tx.EN == "" || tx.ZH == "":
					t.Errorf("%s: got EN %q and ZH %q, want both", where, clip(tx.EN), clip(tx.ZH))
					return
				case !hanRE.MatchString(tx.ZH) && !sameWords(tx.EN, tx.ZH):
					t.Errorf("%s: the Chinese side has no Chinese: %q", where, clip(tx.ZH))
				}
				if en, zh := set(varRE.FindAllString(tx.EN, -1)), set(varRE.FindAllString(tx.ZH, -1)); !reflect.DeepEqual(en, zh) {
					t.Errorf("%s: variables differ: EN %v, ZH %v", where, en, zh)
				}
				if en, zh := set(codeRE.FindAllString(tx.EN, -1)), set(codeRE.FindAllString(tx.ZH, -1)); !reflect.DeepEqual(en, zh) {
					t.Errorf("%s: `code` differs: EN %v, ZH %v", where, en, zh)
				}
			}
			compare("title", l.Title)
			compare("goal", l.Goal)
			for _, st := range l.Steps {
				at := func(what string) string { return l.File + " step " + itoa(st.N) + " " + what }
				compare(at("title"), st.Title)
				compare(at("text"), st.Text)
				compare(at("done"), st.Done)
				if len(st.Hints) == 0 {
					t.Errorf("%s: no hint", at(""))
				}
				for i, h := range st.Hints {
					compare(at("hint "+itoa(i+1)), h)
				}
				for _, ch := range st.Checks {
					if w := ch.What(); w.EN == "" || w.ZH == "" {
						t.Errorf("%s: check %q has no description in both languages", at(""), ch.Raw)
					}
				}
				state := &StepState{Vars: map[string]string{"url": "http://127.0.0.1:8080", "workspace": "workspace", "cmd": "webflow-lab"}}
				for _, a := range st.Solution {
					if s := a.Show(state); s.EN == "" || s.ZH == "" {
						t.Errorf("%s: solution %q cannot be shown in both languages", at(""), a.Raw)
					}
				}
			}
		})
	}
}

// sameWords: a text that is only names (ip_hash, WSGI) reads the same in
// both languages.
func sameWords(en, zh string) bool {
	return en == zh && !strings.ContainsFunc(en, func(r rune) bool { return unicode.IsLetter(r) && r > unicode.MaxASCII })
}

func set(xs []string) map[string]bool {
	m := map[string]bool{}
	for _, x := range xs {
		m[x] = true
	}
	return m
}

// TestSplitWords: the words of action and check lines.
func TestSplitWords(t *testing.T) {
	tests := []struct {
		in   string
		want []word
	}{
		{`http GET /login/ status=200`, []word{{Text: "http"}, {Text: "GET"}, {Text: "/login/"}, {Key: "status", Text: "200"}}},
		{`log access.log has "\"GET / HTTP/1.1\" 200"`, []word{{Text: "log"}, {Text: "access.log"}, {Text: "has"}, {Text: `"GET / HTTP/1.1" 200`, Quoted: true}}},
		{`body="a b" lacks=` + "`c\\d`", []word{{Key: "body", Text: "a b", Quoted: true}, {Key: "lacks", Text: `c\d`, Quoted: true}}},
		{`matches "1\.1 \\ x"`, []word{{Text: "matches"}, {Text: `1\.1 \ x`, Quoted: true}}},
		{`static-map=/static=static`, []word{{Key: "static-map", Text: "/static=static"}}},
		{`processes>=2 =x`, []word{{Text: "processes>=2"}, {Text: "=x"}}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := splitWords(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	for _, s := range []string{"", "a b", `x"y`, "a\\b", "k=v", "`", `"`} {
		w, err := splitWords(quote(s))
		if err != nil || len(w) != 1 || w[0].Text != s {
			t.Errorf("quote(%q) = %s reads back as %+v, %v", s, quote(s), w, err)
		}
	}
}

// TestPatch: an `edit` body applied to a file, found by the lines' text
// whatever their indentation, new lines indented like their neighbours.
func TestPatch(t *testing.T) {
	file := "server {\n    location / {\n        include uwsgi_params;\n        uwsgi_pass ems;\n    }\n}\n"
	tests := []struct {
		name, patch, want string
	}{
		{"add inside a block", "   location / {\n+      uwsgi_read_timeout 1s;\n       include uwsgi_params;",
			"server {\n    location / {\n        uwsgi_read_timeout 1s;\n        include uwsgi_params;\n        uwsgi_pass ems;\n    }\n}\n"},
		{"remove a line", "-include uwsgi_params;",
			"server {\n    location / {\n        uwsgi_pass ems;\n    }\n}\n"},
		{"replace, less indented", " uwsgi_pass ems;\n }\n+\n+location /media/ {\n+    alias media/;\n+}",
			"server {\n    location / {\n        include uwsgi_params;\n        uwsgi_pass ems;\n    }\n\n    location /media/ {\n        alias media/;\n    }\n}\n"},
		{"only additions go at the end", "+# end", file + "# end\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ems.conf")
			os.WriteFile(path, []byte(file), 0o644)
			p, err := parsePatch(tt.patch)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.apply(path, "ems.conf"); err != nil {
				t.Fatal(err)
			}
			if got, _ := os.ReadFile(path); string(got) != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
	t.Run("lines not there", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "ems.conf")
		os.WriteFile(path, []byte(file), 0o644)
		p, _ := parsePatch("-alias static;")
		var e *explain.Error
		if err := p.apply(path, "ems.conf"); !errors.As(err, &e) || !strings.Contains(e.Why.EN, "alias static;") {
			t.Errorf("got %v, want an error naming the line looked for", err)
		}
	})
}

// FuzzParse: a lesson file never panics the parser; an error names its
// line; a file that parses formats to one that parses to the same lesson.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("curriculum/*.lesson")
	more, _ := filepath.Glob("testdata/*/*.lesson")
	for _, name := range append(files, more...) {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("title: T\nstep: S\ntext:\n  a\n\n   b\ncheck: answer x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 64<<10 {
			return
		}
		l, err := Parse("f.lesson", data)
		if err != nil {
			var e *explain.Error
			if !errors.As(err, &e) || !regexp.MustCompile(`^f\.lesson:[0-9]+$`).MatchString(e.Where) {
				t.Fatalf("error without file:line: %#v", err)
			}
			return
		}
		out := Format(l)
		again, err := Parse("f.lesson", out)
		if err != nil {
			t.Fatalf("formatted lesson does not parse: %v\n%s", err, out)
		}
		if got, want := shape(again), shape(l); !reflect.DeepEqual(got, want) {
			t.Fatalf("parse → format → parse changed it:\ngot  %+v\nwant %+v\nformatted:\n%s", got, want, out)
		}
	})
}

// FuzzFields: the field layer alone — values survive format and parse.
func FuzzFields(f *testing.F) {
	f.Add([]byte("a: x\nb:\n  y\n\n    z\nc: h\n  i\n"))
	f.Add([]byte("k:\n    x\n  y\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fs, err := parseFields("f", data)
		if err != nil {
			return
		}
		again, err := parseFields("f", formatFields(fs))
		if err != nil {
			t.Fatalf("formatted fields do not parse: %v\n%s", err, formatFields(fs))
		}
		if len(again) != len(fs) {
			t.Fatalf("got %d fields, want %d\n%s", len(again), len(fs), formatFields(fs))
		}
		for i := range fs {
			if again[i].Key != fs[i].Key || again[i].Value != fs[i].Value {
				t.Fatalf("field %d: got %q=%q, want %q=%q", i, again[i].Key, again[i].Value, fs[i].Key, fs[i].Value)
			}
		}
	})
}
