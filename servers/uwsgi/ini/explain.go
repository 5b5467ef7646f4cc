package ini

import (
	"fmt"
	"strings"

	"webflow-lab/servers/explain"
)

// Explain renders what uWSGI does with each option, one line per option in
// the order uWSGI applies them:
//
//	app.ini:3   http = 127.0.0.1:9000 # web  →  http on 127.0.0.1:9000, SERVER_PORT = "9000 # web"
//	            ⚠ uwsgi: http = 127.0.0.1:9000 # web: uWSGI has no inline comments, …
//
// followed by the notes that belong to no single option (section headers,
// a missing section). lang is "en" or "zh". It backs the server's --explain
// flag (a lab extension) and the lessons.
func Explain(c *Config, lang string) string {
	var b strings.Builder
	width := 0
	for _, o := range c.Options {
		width = max(width, len(o.Where()))
	}
	shown := map[*explain.Error]bool{}
	for i, o := range c.Options {
		var ef effect
		if i < len(c.effects) {
			ef = c.effects[i]
		}
		fmt.Fprintf(&b, "%-*s  %s = %s", width, o.Where(), o.Key, o.Value)
		if t := ef.text.In(lang); t != "" {
			fmt.Fprintf(&b, "  →  %s", t)
		}
		b.WriteByte('\n')
		if ef.note != nil {
			shown[ef.note] = true
			writeNote(&b, width, ef.note, lang)
		}
	}
	first := true
	for _, n := range c.Notes {
		if shown[n] {
			continue
		}
		if first {
			if strings.HasPrefix(lang, "zh") {
				b.WriteString("其他提示：\n")
			} else {
				b.WriteString("other notes:\n")
			}
			first = false
		}
		writeNote(&b, width, n, lang)
	}
	if c.Action != "" {
		fmt.Fprintf(&b, "--%s %s: ", c.Action, c.ActionArg)
		if strings.HasPrefix(lang, "zh") {
			b.WriteString("立即执行并退出，后面的选项不再读取\n")
		} else {
			b.WriteString("acts at once and exits; later options are not read\n")
		}
	}
	return b.String()
}

// writeNote indents a note's block under its line.
func writeNote(b *strings.Builder, width int, n *explain.Error, lang string) {
	pad := strings.Repeat(" ", width+2)
	for i, line := range strings.Split(n.Block(lang), "\n") {
		if i == 0 {
			fmt.Fprintf(b, "%s⚠ %s\n", pad, line)
			continue
		}
		fmt.Fprintf(b, "%s  %s\n", pad, line)
	}
}
