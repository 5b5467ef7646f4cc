// Package theme is how the TUI looks: one Styles struct (every colour and
// attribute the screens use, so View code never names a colour), the Glyphs
// for borders, arrows and markers (Unicode or plain ASCII), and Box, which
// draws a titled frame by display width.
//
// Colour is never the only signal: a status code is printed, a state is a
// word, the selected row has a marker. NO_COLOR (no-color.org) turns every
// colour off and keeps bold and reverse. ASCII mode is for terminals that draw
// box characters badly or count East-Asian-ambiguous characters (─ · → ●) as
// two cells, as some Chinese setups do: it uses only characters below 0x80
// for everything the TUI draws itself.
package theme

import "os"

// Options choose a theme.
type Options struct {
	Color     bool // false: no colour at all (NO_COLOR, golden tests)
	ASCII     bool // ASCII borders and glyphs
	Presenter bool // projector: bolder text, larger boxes
}

// OptionsFromEnv returns Color unless NO_COLOR is set to anything non-empty.
func OptionsFromEnv() Options { return Options{Color: os.Getenv("NO_COLOR") == ""} }

// Theme is what every panel is handed: styles and glyphs.
type Theme struct {
	Options
	S Styles
	G Glyphs
	// Palette is the colours behind S, for a panel drawn with lipgloss
	// styles (the lesson panel); empty without colour.
	Palette Palette
}

// Palette names the theme's colours by purpose, "#rrggbb" or "".
type Palette struct{ Dim, Key, OK, Warn, Bad string }

// Styles is every look the screens use, by purpose.
type Styles struct {
	Title    Style // the header's product name
	Header   Style // the header line
	Border   Style // frames of unfocused panels
	Focus    Style // frame of the focused panel
	PanelTtl Style // a panel's title in its frame
	Dim      Style // secondary text: addresses, units
	Text     Style // plain text
	Key      Style // a key in the footer or help
	Selected Style // the selected row
	OK       Style // 2xx/3xx, up, idle worker
	Warn     Style // 4xx, failing, held
	Bad      Style // 5xx, stopped, down, errors
	Busy     Style // a busy worker, a moving request
	Static   Style // a request served from disk
	Highlt   Style // the selected var's bytes in the hex dump
	Status   Style // the status line (last action)
	Footer   Style // the key legend
	ErrTitle Style // the What of a learner-facing error
	Label    Style // field labels: where:, why:, try:
	Input    Style // the command line
}

// New builds a Theme.
func New(o Options) Theme {
	t := Theme{Options: o, S: newStyles(o), G: newGlyphs(o.ASCII)}
	if o.Color {
		t.Palette = Palette{Dim: dim, Key: key, OK: ok, Warn: warn, Bad: bad}
	}
	return t
}

// The palette's colours.
const (
	dim  = "#9ca3af"
	key  = "#fbbf24"
	ok   = "#4ade80"
	warn = "#fbbf24"
	bad  = "#f87171"
)

func newStyles(o Options) Styles {
	c := func(s string) string {
		if !o.Color {
			return ""
		}
		return s
	}
	base := NewStyle()
	s := Styles{
		Title:    base.Bold(true).Foreground(c("#7dd3fc")),
		Header:   base,
		Border:   base.Foreground(c("#6b7280")),
		Focus:    base.Foreground(c("#7dd3fc")),
		PanelTtl: base.Bold(true),
		Dim:      base.Foreground(c(dim)),
		Text:     base,
		Key:      base.Bold(true).Foreground(c(key)),
		Selected: base.Reverse(true),
		OK:       base.Foreground(c(ok)),
		Warn:     base.Foreground(c(warn)),
		Bad:      base.Foreground(c(bad)).Bold(true),
		Busy:     base.Foreground(c("#38bdf8")).Bold(true),
		Static:   base.Foreground(c("#c084fc")),
		Highlt:   base.Reverse(true),
		Status:   base.Foreground(c("#a7f3d0")),
		Footer:   base.Foreground(c("#d1d5db")),
		ErrTitle: base.Bold(true).Foreground(c("#f87171")),
		Label:    base.Bold(true),
		Input:    base,
	}
	if !o.Color {
		s.Selected = base.Reverse(true)
	}
	if o.Presenter {
		s.Text = s.Text.Bold(true)
		s.PanelTtl = s.PanelTtl.Underline(true)
	}
	return s
}

// Outcome is the style of an HTTP status: OK for 1xx–3xx, Warn for 4xx,
// Bad for 5xx and for a request that failed without a status (0 with failed).
func (s Styles) Outcome(status int, failed bool) Style {
	switch {
	case failed || status >= 500:
		return s.Bad
	case status >= 400:
		return s.Warn
	default:
		return s.OK
	}
}
