package theme

import (
	"strconv"
	"strings"
)

// A Style is a colour and attributes, rendered as one SGR sequence before
// the text and a reset after. It is the TUI's own, not lipgloss.Style: a
// frame draws thousands of short runs, and a precomputed sequence costs a
// string concatenation where lipgloss.Style.Render re-reads every property
// (BenchmarkRenderBusy: 6 ms a frame with lipgloss styles). bubbletea's
// renderer turns the sequences into cells and downsamples colours to what
// the terminal supports.
type Style struct {
	fg                       string // "38;2;r;g;b"
	bold, underline, reverse bool
	sgr                      string
}

// NewStyle returns a style with no colour and no attributes.
func NewStyle() Style { return Style{} }

func (s Style) build() Style {
	var p []string
	if s.bold {
		p = append(p, "1")
	}
	if s.underline {
		p = append(p, "4")
	}
	if s.reverse {
		p = append(p, "7")
	}
	if s.fg != "" {
		p = append(p, s.fg)
	}
	s.sgr = ""
	if len(p) > 0 {
		s.sgr = "\x1b[" + strings.Join(p, ";") + "m"
	}
	return s
}

// Foreground sets the text colour, "#rrggbb"; "" leaves it as the terminal's.
func (s Style) Foreground(hex string) Style {
	s.fg = ""
	if len(hex) == 7 && hex[0] == '#' {
		v, err := strconv.ParseUint(hex[1:], 16, 32)
		if err == nil {
			s.fg = "38;2;" + strconv.Itoa(int(v>>16)) + ";" + strconv.Itoa(int(v>>8&0xff)) + ";" + strconv.Itoa(int(v&0xff))
		}
	}
	return s.build()
}

// Bold sets bold.
func (s Style) Bold(b bool) Style { s.bold = b; return s.build() }

// Underline sets underline.
func (s Style) Underline(b bool) Style { s.underline = b; return s.build() }

// Reverse swaps foreground and background.
func (s Style) Reverse(b bool) Style { s.reverse = b; return s.build() }

// Render wraps str in the style. Styles do not nest: an inner Render ends
// every attribute, so a styled row is built from plain parts.
func (s Style) Render(str string) string {
	if s.sgr == "" || str == "" {
		return str
	}
	return s.sgr + str + "\x1b[m"
}
