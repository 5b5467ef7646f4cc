package theme

import "strings"

// Glyphs are the characters the TUI draws itself. Each has an ASCII form.
type Glyphs struct {
	// frame: top-left, top, top-right, side, bottom-left, bottom-right
	TL, H, TR, V, BL, BR string
	Arrow                string // an edge's head, pointing right: ▶ or >
	Back                 string // pointing left: ◀ or <
	To                   string // "→" in text: nginx→uwsgi-1
	Dot                  string // separator in text: " · "
	Fwd                  string // a request moving forward on an edge: ● or *
	Ret                  string // a request coming back: ○ or o
	Held                 string // a request held at a breakpoint: ‖ or =
	Busy                 string // a busy worker slot: ■ or #
	Idle                 string // an idle worker slot: □ or .
	Cursor               string // the selected row: ▶ or >
	Ellipsis             string // a cut text: … or ~
	Bar                  string // a waterfall bar: ▌ or =
	Track                string // the empty part of a bar: ░ or .
	Tick                 string // a bar too short to see: ▏ or |
	Pause                string // a breakpoint mark on an edge: ⏸ is wide in some fonts, so ‖ or ||
}

func newGlyphs(ascii bool) Glyphs {
	if ascii {
		return Glyphs{TL: "+", H: "-", TR: "+", V: "|", BL: "+", BR: "+",
			Arrow: ">", Back: "<", To: "->", Dot: " - ", Fwd: "*", Ret: "o", Held: "=",
			Busy: "#", Idle: ".", Cursor: ">", Ellipsis: "~", Bar: "=", Track: ".", Tick: "|", Pause: "||"}
	}
	return Glyphs{TL: "┌", H: "─", TR: "┐", V: "│", BL: "└", BR: "┘",
		Arrow: "▶", Back: "◀", To: "→", Dot: " · ", Fwd: "●", Ret: "○", Held: "‖",
		Busy: "■", Idle: "□", Cursor: "▶", Ellipsis: "…", Bar: "█", Track: "░", Tick: "▏", Pause: "‖"}
}

// asciiFold maps every East-Asian-ambiguous or non-ASCII symbol the TUI or
// the servers' texts use to one ASCII character of the same width, so that
// folding a laid-out screen keeps it aligned. CJK text is left alone: it is
// wide in every terminal.
var asciiFold = strings.NewReplacer(
	"→", ">", "←", "<", "↑", "^", "↓", "v", "·", ".", "…", "~", "×", "x", "µ", "u",
	"─", "-", "│", "|", "┌", "+", "┐", "+", "└", "+", "┘", "+", "├", "+", "┤", "+", "┬", "+", "┴", "+", "┼", "+",
	"▶", ">", "◀", "<", "●", "*", "○", "o", "■", "#", "□", ".", "█", "=", "░", ".", "▌", "=", "▏", "|",
	"‖", "=", "≈", "~", "—", "-", "–", "-", "“", "\"", "”", "\"", "‘", "'", "’", "'", "°", "o",
	"±", "+", "§", "S", "¼", "q", "½", "h",
)

// Fold returns s with the theme's ASCII fold applied when in ASCII mode.
func (t Theme) Fold(s string) string {
	if !t.ASCII {
		return s
	}
	return asciiFold.Replace(s)
}
