// Package prose reflows a lesson's text to a width: the one reflow both
// the screen's lesson panel and `webflow-lab lesson` in a shell use, so a
// step reads the same in both, on a wide terminal or an 80-column
// projector.
//
// A lesson's text is written hard-wrapped, as in its file, in a form a
// teacher reads as plain text: paragraphs of lines, numbered or bulleted
// items whose later lines are indented under their first word, and
// indented lines that are code (a command, a config excerpt). The screen
// is narrower or wider than the file, and {url} and {workspace} grow when
// expanded, so each paragraph and item is joined back into one line and
// wrapped again; code keeps its lines.
//
// Widths are display widths (a Chinese character takes two cells). The
// line breaking itself is the caller's (tui/cell.Wrap, which follows the
// Unicode line-breaking rules): this package stays free of the screen's
// code, as lessons must.
package prose

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rivo/uniseg"
)

// A Block is one piece of the reflowed text.
type Block struct {
	Text     string // the joined paragraph or item, or one code line; "" a blank line
	Hang     int    // cells a wrapped item's later lines are indented by
	Verbatim bool   // a code line: wrapped where too long, never joined
}

// itemMark is a list item's start: "1. ", "- ", "* ", "• ", after spaces.
var itemMark = regexp.MustCompile(`^( *)(\d+\.|[-*•]) +`)

// Blocks splits hard-wrapped text into blocks.
func Blocks(s string) []Block {
	var out []Block
	open := false // the last block takes continuation lines
	hang := 0     // … indented at least this much (0: a paragraph's)
	for _, line := range strings.Split(s, "\n") {
		trimmed := strings.TrimLeft(line, " ")
		indent := len(line) - len(trimmed)
		switch m := itemMark.FindStringSubmatch(line); {
		case trimmed == "":
			out, open = append(out, Block{}), false
		case m != nil:
			out = append(out, Block{Text: strings.TrimRight(line, " "), Hang: len(m[0])})
			open, hang = true, len(m[0])
		case open && indent == hang || open && hang == 0 && indent == 0:
			last := &out[len(out)-1]
			last.Text = joinLines(last.Text, trimmed)
		case indent > 0:
			out, open = append(out, Block{Text: strings.TrimRight(line, " "), Verbatim: true}), false
		default:
			out = append(out, Block{Text: strings.TrimRight(line, " ")})
			open, hang = true, 0
		}
	}
	return out
}

// joinLines joins a line to the next as the text's language does: with a
// space, except after a wide character that is Chinese punctuation or
// before another wide character (Chinese runs on without one; "写着 nginx"
// keeps the space its writer put around a Latin word).
func joinLines(a, b string) string {
	last, _ := utf8.DecodeLastRuneInString(a)
	first, _ := utf8.DecodeRuneInString(b)
	if uniseg.StringWidth(string(last)) == 2 && (unicode.IsPunct(last) || uniseg.StringWidth(string(first)) == 2) {
		return a + b
	}
	return a + " " + strings.TrimLeft(b, " ")
}

// Reflow joins s's paragraphs and items and wraps them to w cells with
// wrap (which breaks one line into lines of at most w cells); an item's
// later lines hang under its first word.
func Reflow(s string, w int, wrap func(s string, w int) []string) []string {
	var out []string
	for _, b := range Blocks(s) {
		if b.Verbatim {
			// a code or table line too long for the width continues under
			// its second column ("proxy→uwsgi     `location /` says …"),
			// or two cells in from its own indent
			out = append(out, Hang(b.Text, w, strings.Repeat(" ", verbatimHang(b.Text, w)), wrap)...)
			continue
		}
		if b.Hang == 0 {
			out = append(out, wrap(b.Text, w)...)
			continue
		}
		out = append(out, Hang(b.Text, w, strings.Repeat(" ", b.Hang), wrap)...)
	}
	return out
}

// columnGap finds a table line's second column: a run of two spaces or
// more after the first word.
var columnGap = regexp.MustCompile(`^( *\S+(?: \S+)*  +)\S`)

// verbatimHang is how far a verbatim line's continuation lines are
// indented: to its second column when it has one within half the width,
// else two cells past its own indent.
func verbatimHang(line string, w int) int {
	if m := columnGap.FindStringSubmatch(line); m != nil {
		if h := uniseg.StringWidth(m[1]); h <= w/2 {
			return h
		}
	}
	return len(line) - len(strings.TrimLeft(line, " ")) + 2
}

// Hang wraps s to w cells with wrap; lines after the first are indented by
// ind (and wrapped to what is left of w).
func Hang(s string, w int, ind string, wrap func(s string, w int) []string) []string {
	lines := wrap(s, w)
	if len(lines) > 1 {
		rest := wrap(strings.Join(lines[1:], " "), w-uniseg.StringWidth(ind))
		lines = append(lines[:1], rest...)
		for i := 1; i < len(lines); i++ {
			lines[i] = ind + lines[i]
		}
	}
	return lines
}
