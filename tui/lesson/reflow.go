package lesson

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"charm.land/lipgloss/v2"
	"github.com/rivo/uniseg"
)

// A lesson's text is written hard-wrapped, as in its file, in a form a
// teacher reads as plain text: paragraphs of lines, numbered or bulleted
// items whose later lines are indented under their first word, and
// indented lines that are code (a command, a config excerpt). The panel is
// narrower or wider than the file, and {url} and {workspace} grow when
// expanded, so each paragraph and item is joined back into one line and
// wrapped to the panel; code keeps its lines.

// A block is one piece of the reflowed text.
type block struct {
	text     string // the joined paragraph or item, or one code line
	hang     int    // cells a wrapped item's later lines are indented by
	verbatim bool   // a code line: wrapped where too long, never joined
}

// itemMark is a list item's start: "1. ", "- ", "* ", "• ", after spaces.
var itemMark = regexp.MustCompile(`^( *)(\d+\.|[-*•]) +`)

// paragraphs splits hard-wrapped text into blocks; "" stands for a blank
// line.
func paragraphs(s string) []block {
	var out []block
	open := false // the last block takes continuation lines
	hang := 0     // … indented at least this much (0: a paragraph's)
	for _, line := range strings.Split(s, "\n") {
		trimmed := strings.TrimLeft(line, " ")
		indent := len(line) - len(trimmed)
		switch m := itemMark.FindStringSubmatch(line); {
		case trimmed == "":
			out, open = append(out, block{}), false
		case m != nil:
			out = append(out, block{text: strings.TrimRight(line, " "), hang: len(m[0])})
			open, hang = true, len(m[0])
		case open && indent == hang || open && hang == 0 && indent == 0:
			last := &out[len(out)-1]
			last.text = joinLines(last.text, trimmed)
		case indent > 0:
			out, open = append(out, block{text: strings.TrimRight(line, " "), verbatim: true}), false
		default:
			out = append(out, block{text: strings.TrimRight(line, " ")})
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

// wrapProse reflows a lesson's text and wraps it to w cells.
func wrapProse(s string, w int, style lipgloss.Style) []string {
	var out []string
	for _, b := range paragraphs(s) {
		if b.hang == 0 || b.verbatim {
			out = append(out, wrapStyled(b.text, w, style)...)
			continue
		}
		out = append(out, wrapIndent(b.text, w, style, strings.Repeat(" ", b.hang))...)
	}
	return out
}
