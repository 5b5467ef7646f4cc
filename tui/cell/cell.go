// Package cell measures and fits text by its display width: the number of
// terminal cells it takes, counted per grapheme cluster (uniseg), so that a
// Chinese label takes two cells a character and never pushes a border out of
// line. Byte and rune counts are never used for layout in the TUI.
//
// Strings may carry ANSI styling; widths ignore it.
package cell

import (
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/rivo/uniseg"
)

// Width is the display width of s. Plain ASCII (most of a screen) is
// counted by bytes; other text without styling by uniseg's grapheme widths;
// styled text by lipgloss, which skips the escape sequences.
func Width(s string) int {
	ascii := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == 0x1b {
			return styledWidth(s)
		}
		if c >= 0x80 {
			ascii = false
		}
	}
	if ascii {
		return len(s)
	}
	return uniseg.StringWidth(s)
}

// styledWidth is the width of s without its CSI sequences (ESC [ … final
// byte), the only escapes the TUI writes; anything else goes to lipgloss.
func styledWidth(s string) int {
	n := 0
	for len(s) > 0 {
		i := strings.IndexByte(s, 0x1b)
		if i < 0 {
			return n + Width(s)
		}
		if i > 0 {
			n += Width(s[:i])
		}
		s = s[i:]
		if len(s) < 2 || s[1] != '[' {
			return n + lipgloss.Width(s)
		}
		j := 2
		for j < len(s) && (s[j] < 0x40 || s[j] > 0x7e) {
			j++
		}
		if j == len(s) {
			return n
		}
		s = s[j+1:]
	}
	return n
}

// isPlainASCII reports whether s is printable ASCII without styling.
func isPlainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x80 || c < 0x20 {
			return false
		}
	}
	return true
}

// Trunc cuts s to at most w cells, ending in tail when it cut ("…", or "~"
// in ASCII mode).
func Trunc(s string, w int, tail string) string {
	if w <= 0 {
		return ""
	}
	if Width(s) <= w {
		return s
	}
	if Width(tail) > w {
		tail = ""
	}
	if isPlainASCII(s) && isPlainASCII(tail) {
		return s[:w-len(tail)] + tail
	}
	return ansi.Truncate(s, w, tail)
}

// Pad fills s with spaces on the right to w cells (s is not cut).
func Pad(s string, w int) string {
	if n := w - Width(s); n > 0 {
		return s + strings.Repeat(" ", n)
	}
	return s
}

// PadLeft fills s with spaces on the left to w cells (s is not cut).
func PadLeft(s string, w int) string {
	if n := w - Width(s); n > 0 {
		return strings.Repeat(" ", n) + s
	}
	return s
}

// Fit cuts s to w cells and pads it to exactly w.
func Fit(s string, w int, tail string) string { return Pad(Trunc(s, w, tail), w) }

// FitLeft cuts s to w cells and right-aligns it in exactly w.
func FitLeft(s string, w int, tail string) string { return PadLeft(Trunc(s, w, tail), w) }

// Center places s in the middle of w cells.
func Center(s string, w int) string {
	n := w - Width(s)
	if n <= 0 {
		return s
	}
	return strings.Repeat(" ", n/2) + s + strings.Repeat(" ", n-n/2)
}

// Lines fits every line of s to w cells and gives exactly h lines: extra
// lines are dropped, missing ones are blank.
func Lines(s string, w, h int, tail string) []string {
	var in []string
	if s != "" {
		in = strings.Split(s, "\n")
	}
	out := make([]string, h)
	for i := range out {
		if i < len(in) {
			out[i] = Fit(in[i], w, tail)
		} else {
			out[i] = strings.Repeat(" ", max(w, 0))
		}
	}
	return out
}

// Block is Lines joined: s fitted into a w×h rectangle.
func Block(s string, w, h int, tail string) string {
	return strings.Join(Lines(s, w, h, tail), "\n")
}

// Wrap breaks s into lines of at most w cells: at spaces, and between
// any two CJK characters (Chinese has no spaces to break at). A line that
// fits is kept as it is, spaces included.
func Wrap(s string, w int) []string {
	var out []string
	for _, para := range strings.Split(s, "\n") {
		if Width(para) <= w || w <= 0 {
			out = append(out, para)
			continue
		}
		line := ""
		for _, tok := range tokens(para) {
			if tok == " " {
				if line != "" && Width(line) < w {
					line += " "
				}
				continue
			}
			if Width(line)+Width(tok) > w && strings.TrimSpace(line) != "" {
				out = append(out, strings.TrimRight(line, " "))
				line = ""
			}
			for Width(tok) > w {
				cut := Trunc(tok, w, "")
				out = append(out, cut)
				tok = tok[len(cut):]
			}
			line += tok
		}
		out = append(out, strings.TrimRight(line, " "))
	}
	return out
}

// tokens splits s into words, single spaces and single wide characters.
func tokens(s string) []string {
	var out []string
	word := ""
	for _, r := range s {
		switch {
		case r == ' ':
			if word != "" {
				out, word = append(out, word), ""
			}
			out = append(out, " ")
		case Width(string(r)) == 2:
			if word != "" {
				out, word = append(out, word), ""
			}
			out = append(out, string(r))
		default:
			word += string(r)
		}
	}
	if word != "" {
		out = append(out, word)
	}
	return out
}
