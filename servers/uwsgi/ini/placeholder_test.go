package ini

import (
	"errors"
	"strings"
	"testing"

	"webflow-lab/servers/explain"
)

func TestPlaceholders(t *testing.T) {
	files := map[string]string{"/lab/secret.txt": "s3cret\n", "/lab/two.txt": "a\r\nb\n\n"}
	env := map[string]string{"PORT": "9100", "EMPTY": "", "NAME": "P"}
	tests := []struct {
		name, text string
		key, want  string // the first option named key, after the passes
	}{
		{"env", "http = :$(PORT)", "http", ":9100"},
		{"env unset stays literal", "x = $(NOPE)", "x", "$(NOPE)"},
		{"env empty", "x = [$(EMPTY)]", "x", "[]"},
		{"file", "x = @(secret.txt)", "x", "s3cret"},
		{"file keeps all but one trailing newline", "x = @(two.txt)", "x", "a\r\nb\n"},
		{"reference", "base = /srv\nchdir = %(base)/app", "chdir", "/srv/app"},
		{"reference takes the FIRST occurrence", "p = a\np = b\nx = %(p)", "x", "a"},
		{"reference to a later line", "x = %(y)\ny = z", "x", "z"},
		{"reference unresolved stays literal", "x = %(nope)", "x", "%(nope)"},
		{"empty reference", "x = %()", "x", "%()"},
		{"unclosed", "x = %(abc", "x", "%(abc"},
		{"env then reference", "a = $(PORT)\nx = %(a)", "x", "9100"},
		{"nested env name at the start is not rescanned", "x = $(NA$(EMPTY)ME)", "x", "$(NAME)"},
		{"nested env name", "x = -$(NA$(EMPTY)ME)", "x", "-P"},
		{"reference is rescanned", "a = %(b)\nb = 1\nx = -%(a)", "x", "-1"},
		{"rescan skips the first byte", "x = %(b)\nb = %(c)\nc = 1", "x", "%(c)"},
		{"rescan after the first byte", "y = -%(b)\nb = %(c)\nc = 1", "y", "-1"},
		{"math", "p = 4\nx = %(p * 2 + 1)", "x", "9"},
		{"concat", "a = foo\nb = bar\nx = %(a b)", "x", "foobar"},
		{"increment", "a = 41\nx = %(a ++)", "x", "42"},
		{"divide by zero", "a = 4\nx = %(a / 0)", "x", "0"},
		{"immediate options are not expanded", "set-ph = q=5\nlisten = %(q)\nx = %(listen)", "x", "%(q)"},
		{"placeholder from set-ph", "set-ph = base=/srv\nchdir = %(base)", "chdir", "/srv"},
		{"magic before placeholders", "x = %%(y)\ny = 1", "x", "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files["/lab/app.ini"] = "[uwsgi]\nsocket = :1\n" + tt.text + "\n"
			c, err := labHost(files, env).ParseArgs([]string{"--ini", "app.ini"})
			if err != nil {
				t.Fatal(err)
			}
			got, ok := "", false
			for _, o := range c.Options {
				if o.Key == tt.key {
					got, ok = o.Value, true
					break
				}
			}
			if !ok || got != tt.want {
				t.Errorf("%s: got %q, want %q", tt.key, got, tt.want)
			}
		})
	}
}

func TestPlaceholderErrors(t *testing.T) {
	tests := []struct{ name, text, want string }{
		{"missing @file is fatal", "x = @(nope.txt)", `open("nope.txt"): No such file or directory [core/io.c line 525]`},
		{"self reference does not end", "a = x%(a)", "placeholder expansion does not end: %(a)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadINI(t, "[uwsgi]\nsocket = :1\n"+tt.text+"\n")
			var e *explain.Error
			if !errors.As(err, &e) || e.What.EN != tt.want {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
			if !strings.HasPrefix(e.Where, "app.ini:3") {
				t.Errorf("where: got %q, want app.ini:3", e.Where)
			}
		})
	}
}
