package theme

import (
	"strings"

	"webflow-lab/tui/cell"
)

// Box draws body in a frame of exactly w×h cells with title in its top edge
// (" title "). Lines of body are cut or padded to the inside width; missing
// lines are blank. focused picks the Focus frame style. w < 4 or h < 2 gives
// blank space of that size.
func (t Theme) Box(title, body string, w, h int, focused bool) string {
	if w < 4 || h < 2 {
		return cell.Block("", max(w, 0), max(h, 0), "")
	}
	frame := t.S.Border
	if focused {
		frame = t.S.Focus
	}
	g := t.G
	inner := w - 2
	top := frame.Render(g.TL + strings.Repeat(g.H, inner) + g.TR)
	if title != "" {
		tt := cell.Trunc(" "+title+" ", inner-1, g.Ellipsis)
		top = frame.Render(g.TL+g.H) + t.S.PanelTtl.Render(tt) +
			frame.Render(strings.Repeat(g.H, inner-1-cell.Width(tt))+g.TR)
	}
	return t.assemble(top, body, w, h, frame)
}

func (t Theme) assemble(top, body string, w, h int, frame Style) string {
	g := t.G
	lines := make([]string, 0, h)
	lines = append(lines, top)
	side := frame.Render(g.V)
	for _, l := range cell.Lines(body, w-2, h-2, g.Ellipsis) {
		lines = append(lines, side+l+side)
	}
	lines = append(lines, frame.Render(g.BL+strings.Repeat(g.H, w-2)+g.BR))
	return strings.Join(lines, "\n")
}

// Trunc cuts s to w cells with this theme's ellipsis.
func (t Theme) Trunc(s string, w int) string { return cell.Trunc(s, w, t.G.Ellipsis) }

// Fit cuts and pads s to exactly w cells.
func (t Theme) Fit(s string, w int) string { return cell.Fit(s, w, t.G.Ellipsis) }

// FitLeft cuts s and right-aligns it in exactly w cells.
func (t Theme) FitLeft(s string, w int) string { return cell.FitLeft(s, w, t.G.Ellipsis) }
