package prose

import (
	"strings"
	"testing"
	"webflow-lab/tui/cell"
)

// TestReflow (with the screen's wrapper, cell.Wrap, as the screen and the
// command line pass it): paragraphs join, items hang, code keeps its lines, and a
// table line too long for the width continues under its second column.
func TestReflow(t *testing.T) {
	for _, c := range []struct {
		name, in string
		w        int
		want     string
	}{
		{"paragraph", "one two\nthree", 40, "one two three"},
		{"item hangs", "1. alpha beta\n   gamma delta", 12, "1. alpha\n   beta\n   gamma\n   delta"},
		{"code keeps its lines", "run:\n\n  a b\n  c d", 40, "run:\n\n  a b\n  c d"},
		{"table row continues under its second column",
			"  proxy→uwsgi     `location /` says uwsgi_pass: a packet goes out", 44,
			"  proxy→uwsgi     `location /` says\n                  uwsgi_pass: a packet goes\n                  out"},
		{"code with no column continues two cells in", "  go build -o webflow-lab ./cmd/webflow-lab now", 30,
			"  go build -o webflow-lab\n    ./cmd/webflow-lab now"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := strings.Join(Reflow(c.in, c.w, cell.Wrap), "\n")
			if got != c.want {
				t.Errorf("got\n%s\nwant\n%s", got, c.want)
			}
		})
	}
}
