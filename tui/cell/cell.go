// Package cell measures and fits text by its display width: the number of
// terminal cells it takes, counted per grapheme cluster (uniseg), so that a
// Chinese label takes two cells a character and never pushes a border out of
// line. Byte and rune counts are never used for layout in the TUI.
//
// Strings may carry ANSI styling; widths ignore it.
package cell

import (
	"strings"
	"unicode"

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

// Wrap breaks s into lines of at most w cells. A word of Latin letters (a
// URL, a path) moves whole to the next line when it fits there; Chinese, and
// a word wider than a line, break where Unicode's line breaking rules
// (UAX #14, as uniseg implements them) allow: between two Chinese
// characters (Chinese has no spaces to break at) but never before 。，：）
// or after （, at a slash or hyphen. A line that fits is kept as it is,
// spaces included; what has no break at all is cut between characters.
func Wrap(s string, w int) []string {
	var out []string
	for _, para := range strings.Split(s, "\n") {
		if Width(para) <= w || w <= 0 {
			out = append(out, para)
			continue
		}
		var l wrapLine
		for _, word := range strings.SplitAfter(para, " ") {
			if ww := Width(strings.TrimRight(word, " ")); ww > w || l.w+ww > w && hasWide(word) {
				l.segments(word, w, &out) // Chinese, or longer than a line
				continue
			}
			l.add(word, w, &out)
		}
		out = append(out, l.String())
	}
	return out
}

// hasWide reports whether s holds a wide (Chinese) letter; wide
// punctuation alone, as in "--reload）", leaves a word Latin.
func hasWide(s string) bool {
	for _, r := range s {
		if r >= 0x1100 && !unicode.IsPunct(r) && uniseg.StringWidth(string(r)) == 2 {
			return true
		}
	}
	return false
}

// wrapLine is the line Wrap is filling.
type wrapLine struct {
	b strings.Builder
	w int // its width, its trailing spaces included
}

func (l *wrapLine) String() string { return strings.TrimRight(l.b.String(), " ") }

// add appends piece, after the line so far if its text (not its trailing
// spaces) fits, on a new line if not.
func (l *wrapLine) add(piece string, w int, out *[]string) {
	if l.w > 0 && l.w+Width(strings.TrimRight(piece, " ")) > w {
		*out = append(*out, l.String())
		l.b.Reset()
		l.w = 0
	}
	l.b.WriteString(piece)
	l.w += Width(piece)
}

// segments appends word piece by piece at its line break opportunities,
// cutting a piece with none between characters.
func (l *wrapLine) segments(word string, w int, out *[]string) {
	state := -1
	for rest := word; rest != ""; {
		var seg string
		seg, rest, _, state = uniseg.FirstLineSegmentInString(rest, state)
		if Width(strings.TrimRight(seg, " ")) <= w {
			l.add(seg, w, out)
			continue
		}
		for g := uniseg.NewGraphemes(seg); g.Next(); {
			l.add(g.Str(), w, out)
		}
	}
}
