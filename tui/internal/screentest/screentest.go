// Package screentest is the TUI's golden-file check: a screen rendered at a
// fixed size, with colour and styling stripped, compared with
// testdata/<Test>/<case>.golden; `go test -update` rewrites the files after a
// deliberate change. It also checks what every screen must hold: no line
// wider than the terminal, and exactly its height.
package screentest

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"webflow-lab/servers/testenv/golden"
	"webflow-lab/tui/cell"
)

// Sizes are the terminal sizes every view is checked at: the smallest the
// TUI supports and a large one.
var Sizes = []struct{ W, H int }{{80, 24}, {160, 48}}

// Plain strips ANSI styling and trailing spaces from each line.
func Plain(screen string) string {
	lines := strings.Split(ansi.Strip(screen), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n") + "\n"
}

// Fits fails t when screen has a line wider than w cells or more than h lines.
func Fits(t testing.TB, screen string, w, h int) {
	t.Helper()
	lines := strings.Split(screen, "\n")
	if len(lines) > h {
		t.Errorf("screen has %d lines, the terminal %d", len(lines), h)
	}
	for i, l := range lines {
		if n := cell.Width(l); n > w {
			t.Errorf("line %d is %d cells wide, the terminal %d: %q", i+1, n, w, ansi.Strip(l))
		}
	}
}

// Check compares Plain(screen) with testdata/<t.Name()>.golden.
func Check(t testing.TB, screen string) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", filepath.FromSlash(t.Name())+".golden"), Plain(screen))
}
