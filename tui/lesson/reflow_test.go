package lesson

import (
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
	"github.com/rivo/uniseg"
)

// TestWrapProse: a lesson's hard-wrapped text reflows to the panel's
// width: paragraphs join (Chinese without spaces), items hang under their
// first word, code keeps its lines.
func TestWrapProse(t *testing.T) {
	for _, c := range []struct {
		name string
		in   string
		w    int
		want string
	}{
		{"a long expansion does not strand a word",
			"Then send a few requests to http://127.0.0.1:8080/login/: nginx\nstill answers.", 40,
			"Then send a few requests to\nhttp://127.0.0.1:8080/login/: nginx\nstill answers."},
		{"paragraphs stay apart", "one\ntwo\n\nthree", 40, "one two\n\nthree"},
		{"code keeps its lines", "stop it:\n\n  uwsgi --stop a.pid\n  uwsgi --ini a.ini\n\nthen", 40,
			"stop it:\n\n  uwsgi --stop a.pid\n  uwsgi --ini a.ini\n\nthen"},
		{"items hang", "Do this:\n\n1. Open the page, pick a\n   name.\n2. Log in.", 20,
			"Do this:\n\n1. Open the page,\n   pick a name.\n2. Log in."},
		{"Chinese joins without a space", "打开页面，\n选一个用户名。\n用 ajax\n检查。\nnginx 的", 60, "打开页面，选一个用户名。用 ajax 检查。nginx 的"},
		{"a bullet's code lines stay code", "- a\n  -    location /m/ {", 40, "- a\n  -    location /m/ {"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := strings.Join(wrapProse(c.in, c.w, lipgloss.NewStyle()), "\n")
			got = strings.Join(trimRight(strings.Split(got, "\n")), "\n")
			if got != c.want {
				t.Errorf("got\n%s\nwant\n%s", got, c.want)
			}
			for _, l := range strings.Split(got, "\n") {
				if uniseg.StringWidth(l) > c.w {
					t.Errorf("%q is wider than %d", l, c.w)
				}
			}
		})
	}
}

func trimRight(ls []string) []string {
	for i, l := range ls {
		ls[i] = strings.TrimRight(l, " ")
	}
	return ls
}
