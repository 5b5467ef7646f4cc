package lesson

import (
	"charm.land/lipgloss/v2"

	"webflow-lab/lessons/prose"
)

// A lesson's text is reflowed to the panel's width by lessons/prose, the
// same reflow `webflow-lab lesson` prints with: paragraphs join, items
// hang under their first word, code keeps its lines.

// wrapProse reflows a lesson's text and wraps it to w cells.
func wrapProse(s string, w int, style lipgloss.Style) []string {
	return render(prose.Reflow(s, w, wrap), style)
}

func render(lines []string, style lipgloss.Style) []string {
	for i := range lines {
		lines[i] = style.Render(lines[i])
	}
	return lines
}
