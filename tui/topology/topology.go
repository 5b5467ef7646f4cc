// Package topology draws the deployment as a learner pictures it —
//
//	browsers ──▶ nginx ─┬──▶ uwsgi-1 ──▶ EMS ──┬──▶ db
//	                    └──▶ uwsgi-2 ──▶ EMS ──┘
//
// each app server with its worker slots (■ busy, □ idle), the requests it
// served and its state, the EMS running inside each instance, and one shared
// database; under it the upstream's strategy and the balancer's last reason.
// Requests are drawn on the edges where the replay clock puts them: ● on the
// way in, ○ on the way back, coloured by outcome, ‖ where a breakpoint holds
// one. A static file turns back at nginx; a request held at a hop sits there.
//
// Below 36 rows or 118 columns each box is one line; above, a framed box.
package topology

import (
	"fmt"
	"strconv"
	"strings"

	"webflow-lab/tui/cell"
	"webflow-lab/tui/flow"
	"webflow-lab/tui/i18n"
	"webflow-lab/tui/snap"
	"webflow-lab/tui/theme"
)

// A Glyph is one request drawn on the topology.
type Glyph struct {
	ID       string
	Pos      flow.Pos
	Status   int
	Failed   bool
	Held     bool
	Selected bool
}

// Model is the topology panel.
type Model struct {
	th       theme.Theme
	lang     i18n.Lang
	snap     snap.Snapshot
	glyphs   []Glyph
	busy     map[string]int
	browsers []string
	users    int // the lab's virtual users sending now
	loads    int // the lab's load runs sending now
	pick     string
	sel      int // the selected instance, -1 for none
	w, h     int
	boxed    bool
}

// New returns an empty topology.
func New(th theme.Theme, lang i18n.Lang) Model { return Model{th: th, lang: lang, sel: -1} }

// SetSelected marks instance i as the one the keys act on (-1: none).
func (m *Model) SetSelected(i int) { m.sel = i }

// SetSize sets the inside size; Boxed chooses framed boxes.
func (m *Model) SetSize(w, h int) { m.w, m.h = w, h }

// SetBoxed draws framed boxes (3 lines a node) instead of one line a node.
func (m *Model) SetBoxed(b bool) { m.boxed = b }

// Height is the number of lines the topology needs for n instances.
func Height(n int, boxed bool) int {
	n = max(n, 1)
	if boxed {
		return 3*n + 2
	}
	return n + 2
}

// SetLang switches the language.
func (m *Model) SetLang(l i18n.Lang) { m.lang = l }

// SetTheme switches the theme.
func (m *Model) SetTheme(th theme.Theme) { m.th = th }

// SetSnapshot sets the lab's state.
func (m *Model) SetSnapshot(s snap.Snapshot) { m.snap = s }

// SetFrame sets what moves: the glyphs, the busy slots per instance (from
// the replay, so slots fill as requests are seen to arrive), the browsers
// seen, and the balancer's last reason.
func (m *Model) SetFrame(g []Glyph, busy map[string]int, browsers []string, pick string) {
	m.glyphs, m.busy, m.browsers, m.pick = g, busy, browsers, pick
}

// SetTraffic says how many of the lab's virtual users, and how many of its
// load runs, send requests now: the browsers box counts them.
func (m *Model) SetTraffic(users, loads int) { m.users, m.loads = users, loads }

// Instances returns the instance names in drawing order.
func (m Model) instances() []snap.Instance {
	if len(m.snap.Instances) == 0 {
		return []snap.Instance{{Name: "uwsgi", State: snap.Stopped}}
	}
	return m.snap.Instances
}

type widths struct{ a, ab, b, bc, c, cd, d, de, e int }

func (m Model) widths() widths {
	var w widths
	if m.boxed {
		w = widths{a: 16, b: 17, c: 28, d: 9, e: 16}
		if m.w-(w.a+w.b+w.c+w.d+w.e) >= 64 {
			w.a += 8 // room to name who sends: "3 users, load, curl"
		}
	} else {
		w = widths{a: 9, b: 11, c: 21, d: 3, e: 10}
		for _, in := range m.instances() {
			w.c = max(w.c, min(cellW(m.instanceBox(in).line)+1, 30))
		}
		w.b = max(w.b, min(cellW(m.nginxBox().line)+1, 16))
	}
	// Edges need room: a fork (nginx → instances, EMS → db) draws its
	// vertical two cells in and its arrow two from the end, so under six
	// cells they collide; the instance box gives up cells first.
	const minRest = 4 + 6 + 4 + 6
	if rest := m.w - (w.a + w.b + w.c + w.d + w.e); rest < minRest {
		w.c = max(w.c-(minRest-rest), 14)
	}
	extra := max(m.w-(w.a+w.b+w.c+w.d+w.e)-minRest, 0)
	w.ab, w.bc, w.cd = 4+extra/4, 6+extra/4, 4+extra/4
	w.de = 6 + extra - 3*(extra/4)
	return w
}

// View draws the topology and its two info lines, w×h cells.
func (m Model) View() string {
	ins := m.instances()
	n := len(ins)
	band := 1
	if m.boxed {
		band = 3
	}
	mid := band / 2
	wd := m.widths()
	edges := m.placeGlyphs(ins)
	var lines []string
	for y := 0; y < n*band; y++ {
		i, in := y/band, y%band
		var b strings.Builder
		// browsers and nginx in the first band only
		b.WriteString(m.nodeLine(0, i, in, wd.a, m.browserBox()))
		b.WriteString(m.edge(edges["AB"], y == mid, wd.ab, false, 0))
		b.WriteString(m.nodeLine(0, i, in, wd.b, m.nginxBox()))
		b.WriteString(m.fork(edges["BC:"+strconv.Itoa(i)], i, n, y, band, wd.bc, false))
		ib := m.instanceBox(ins[i])
		if i == m.sel {
			ib.style, ib.styled = m.th.S.Selected, true
		}
		b.WriteString(m.nodeLine(i, i, in, wd.c, ib))
		b.WriteString(m.edge(edges["CD:"+strconv.Itoa(i)], in == mid, wd.cd, false, 0))
		b.WriteString(m.nodeLine(i, i, in, wd.d, box{title: "EMS", body: "WSGI", line: "EMS"}))
		b.WriteString(m.fork(edges["DE:"+strconv.Itoa(i)], i, n, y, band, wd.de, true))
		b.WriteString(m.nodeLine(0, i, in, wd.e, m.dbBox()))
		lines = append(lines, b.String())
	}
	lines = append(lines, m.strategyLine(), m.legendLine())
	out := make([]string, m.h)
	for i := range out {
		if i < len(lines) {
			out[i] = m.th.Fit(lines[i], m.w)
		} else {
			out[i] = m.th.Fit("", m.w)
		}
	}
	return strings.Join(out, "\n")
}

// A box is a node: framed (title in the top edge, body inside) or one line.
type box struct {
	title, body string
	line        string // the one-line form
	style       theme.Style
	styled      bool
}

// nodeLine draws line in (of the band) of a node that lives in band owner,
// seen from band i; other bands get blank space.
func (m Model) nodeLine(owner, i, in, w int, bx box) string {
	if owner != i {
		return strings.Repeat(" ", w)
	}
	st := m.th.S.Text
	if bx.styled {
		st = bx.style
	}
	if !m.boxed {
		return st.Render(m.th.Fit(bx.line, w))
	}
	g := m.th.G
	switch in {
	case 0:
		t := m.th.Trunc(" "+bx.title+" ", w-3)
		return m.th.S.Border.Render(g.TL+g.H) + m.th.S.PanelTtl.Render(t) +
			m.th.S.Border.Render(strings.Repeat(g.H, max(w-3-cellW(t), 0))+g.TR)
	case 1:
		return m.th.S.Border.Render(g.V) + st.Render(m.th.Fit(" "+bx.body, w-2)) + m.th.S.Border.Render(g.V)
	}
	return m.th.S.Border.Render(g.BL + strings.Repeat(g.H, w-2) + g.BR)
}

func cellW(s string) int { return cell.Width(s) }

func (m Model) browserBox() box {
	var who []string
	line := m.lang.T("topo.browsers")
	if m.loads > 0 {
		who = append(who, m.lang.T("topo.load"))
		line = m.lang.T("topo.load")
	}
	if m.users > 0 {
		who = append([]string{m.lang.F("topo.users", m.users)}, who...)
		line = m.lang.F("topo.users", m.users)
	}
	for _, b := range m.browsers {
		if b == "virtual" || b == "bench" && m.loads > 0 {
			continue // counted above
		}
		who = append(who, b)
	}
	body := m.lang.T("topo.nobrowser")
	if len(who) > 0 {
		body = strings.Join(who, ", ")
	}
	return box{title: m.lang.T("topo.browsers"), body: body, line: line}
}

func (m Model) nginxBox() box {
	port := ""
	if len(m.snap.Proxy.Addrs) > 0 {
		a := m.snap.Proxy.Addrs[0]
		port = a[strings.LastIndex(a, ":"):]
	}
	state := m.lang.T("state.up")
	bx := box{title: "nginx " + port, body: state, line: "nginx " + port}
	if !m.snap.Proxy.Running {
		bx.body = m.lang.T("state.stopped")
		bx.style, bx.styled = m.th.S.Bad, true
	}
	return bx
}

func (m Model) instanceBox(in snap.Instance) box {
	slots := max(in.Processes*max(in.Threads, 1), len(in.Workers), 1)
	busy := min(m.busy[in.Name], slots)
	ws := strings.Repeat(m.th.G.Busy, busy) + strings.Repeat(m.th.G.Idle, slots-busy)
	state := m.lang.T("state." + in.State)
	port := ""
	if i := strings.LastIndex(in.Socket, ":"); i >= 0 {
		port = in.Socket[i:]
	}
	reqs := m.lang.F("topo.reqs", in.Requests)
	bx := box{title: in.Name + " " + port, body: ws + " " + reqs + " " + state,
		line: in.Name + " " + ws + " " + strconv.FormatInt(in.Requests, 10) + " " + state}
	if in.State != snap.Running {
		bx.style, bx.styled = m.th.S.Bad, true
	}
	return bx
}

func (m Model) dbBox() box {
	name := "db"
	if m.snap.DB.Path != "" {
		name = m.snap.DB.Path[strings.LastIndexAny(m.snap.DB.Path, `/\`)+1:]
	}
	state := m.lang.T("state.up")
	bx := box{title: name, body: state, line: "db " + state}
	if !m.snap.DB.Up {
		state = m.lang.T("state.stopped")
		bx.body, bx.line = state, "db "+state
		bx.style, bx.styled = m.th.S.Bad, true
	}
	return bx
}

// A mark is a glyph at a cell of an edge.
type mark struct {
	at    int
	glyph string
	style theme.Style
}

// placeGlyphs puts each glyph on its edge: key "AB", "BC:i", "CD:i", "DE:i",
// at a fraction of the edge from left to right.
func (m Model) placeGlyphs(ins []snap.Instance) map[string][]placed {
	idx := map[string]int{}
	for i, in := range ins {
		idx[in.Name] = i
	}
	out := map[string][]placed{}
	for _, gl := range m.glyphs {
		p := gl.Pos
		if p.Done {
			continue
		}
		a, b, f := p.From, p.To, p.Frac
		if a == b {
			// waiting at a node: at the end of the edge that leads into it
			// (or, on the way back, the start of the edge that leads out)
			a, f = m.before(a), 1
			if gl.Pos.Back && flow.Rank(b) > 0 {
				a, b, f = b, m.after(b), 0
			}
		}
		if flow.Rank(a) > flow.Rank(b) {
			a, b, f = b, a, 1-f
		}
		key := ""
		switch {
		case a == flow.NodeBrowser && b == flow.NodeProxy:
			key = "AB"
		case a == flow.NodeProxy && flow.Rank(b) == 2:
			if i, ok := idx[b]; ok {
				key = "BC:" + strconv.Itoa(i)
			}
		case flow.Rank(a) == 2 && b == flow.AppOf(a):
			if i, ok := idx[a]; ok {
				key = "CD:" + strconv.Itoa(i)
			}
		case flow.Rank(a) == 3 && b == flow.NodeDB:
			if i, ok := idx[strings.TrimPrefix(a, "app@")]; ok {
				key = "DE:" + strconv.Itoa(i)
			}
		}
		if key == "" {
			continue
		}
		out[key] = append(out[key], placed{frac: f, g: gl})
	}
	return out
}

// before is the node left of n (where the edge into n starts).
func (m Model) before(n string) string {
	switch flow.Rank(n) {
	case 1:
		return flow.NodeBrowser
	case 2:
		return flow.NodeProxy
	case 3:
		return strings.TrimPrefix(n, "app@")
	}
	return n
}

// after is the node right of n on the way in.
func (m Model) after(n string) string {
	switch flow.Rank(n) {
	case 1:
		return n
	case 2:
		return flow.AppOf(n)
	case 3:
		return flow.NodeDB
	}
	return n
}

type placed struct {
	frac float64
	g    Glyph
}

func (m Model) glyphMark(p placed, lo, hi int) mark {
	at := lo + int(p.frac*float64(hi-lo)+0.5)
	s, g := m.th.S, m.th.G
	gl := g.Fwd
	st := s.Busy
	switch {
	case p.g.Held:
		gl, st = g.Held, s.Warn
	case p.g.Pos.Back:
		gl, st = g.Ret, s.Outcome(p.g.Status, p.g.Failed && p.g.Status == 0)
	case p.g.Failed:
		st = s.Bad
	}
	if p.g.Selected {
		st = st.Underline(true)
	}
	return mark{at: at, glyph: gl, style: st}
}

// edge draws a straight edge "────▶" of w cells on the line where it
// attaches (on), with its glyphs; blank elsewhere.
func (m Model) edge(ps []placed, on bool, w int, _ bool, _ int) string {
	if !on {
		return strings.Repeat(" ", w)
	}
	cells := make([]string, w)
	styles := make([]*theme.Style, w)
	cells[0] = " "
	for i := 1; i < w-2; i++ {
		cells[i] = m.th.G.H
	}
	cells[w-2] = m.th.G.Arrow
	cells[w-1] = " "
	for _, p := range ps {
		mk := m.glyphMark(p, 1, w-3)
		cells[mk.at], styles[mk.at] = mk.glyph, &mk.style
	}
	return m.render(cells, styles)
}

func (m Model) render(cells []string, styles []*theme.Style) string {
	// runs of plain cells are styled once: a frame renders many edges
	var b, run strings.Builder
	flush := func() {
		if run.Len() > 0 {
			b.WriteString(m.th.S.Border.Render(run.String()))
			run.Reset()
		}
	}
	for i, c := range cells {
		if styles[i] != nil {
			flush()
			b.WriteString(styles[i].Render(c))
			continue
		}
		run.WriteString(c)
	}
	flush()
	return b.String()
}

// fork draws the edge between one node and n rows (join=false: nginx fans
// out to the instances) or n rows and one node (join=true: the instances'
// EMS meet at the database), w cells, on screen line y.
func (m Model) fork(ps []placed, i, n, y, band, w int, join bool) string {
	mid := band / 2
	row, in := y/band, y%band
	g := m.th.G
	cells := make([]string, w)
	styles := make([]*theme.Style, w)
	for k := range cells {
		cells[k] = " "
	}
	col := 2 // the fork's vertical
	if join {
		col = w - 4
	}
	lastMid := (n-1)*band + mid
	if in != mid {
		if n > 1 && y > mid && y < lastMid {
			cells[col] = g.V
		}
		return m.render(cells, styles)
	}
	// the horizontal line of this row
	lo, hi := 1, w-3
	if !join {
		if row > 0 {
			lo = col
		}
		for k := lo; k <= hi; k++ {
			cells[k] = g.H
		}
		cells[w-2] = g.Arrow
	} else {
		if row > 0 {
			hi = col
		}
		for k := lo; k <= hi; k++ {
			cells[k] = g.H
		}
		if row == 0 {
			cells[w-2] = g.Arrow
		}
	}
	if n > 1 {
		switch {
		case row == 0:
			cells[col] = "┬"
		case row == n-1 && !join:
			cells[col] = "└"
		case row == n-1:
			cells[col] = "┘"
		case !join:
			cells[col] = "├"
		default:
			cells[col] = "┤"
		}
	}
	for _, p := range ps {
		a, b := lo+1, hi
		if row == 0 || n == 1 {
			a, b = 1, w-3
		}
		if !join && row > 0 {
			a = col + 1
		}
		if join && row > 0 {
			a, b = 1, col-1
		}
		mk := m.glyphMark(p, a, max(b, a))
		cells[mk.at], styles[mk.at] = mk.glyph, &mk.style
	}
	_ = i
	return m.render(cells, styles)
}

func (m Model) strategyLine() string {
	s := m.th.S
	if len(m.snap.Upstreams) == 0 {
		return s.Dim.Render(m.lang.T("topo.noupstream"))
	}
	u := m.snap.Upstreams[0]
	line := fmt.Sprintf("upstream %s: %s", u.Name, s.Key.Render(m.lang.Strategy(u.Strategy)))
	pick := m.pick
	if p := u.LastPick.In(m.lang.Code()); p != "" {
		pick = p
	}
	if pick != "" {
		line += "   " + m.lang.T("topo.lastpick") + " " + pick
	}
	return line
}

func (m Model) legendLine() string {
	g, s := m.th.G, m.th.S
	return s.Dim.Render(m.lang.F("topo.legend", g.Fwd, g.Ret, g.Held, g.Busy, g.Idle))
}
