package tui

import (
	"strings"

	tea "charm.land/bubbletea/v2"

	"testing"
	"time"

	"webflow-lab/servers/trace"
	"webflow-lab/tui/i18n"
	"webflow-lab/tui/internal/screentest"
)

// A request no peer answered has the proxy as its Instance: the last pick
// must not read "nginx · peer 1 skipped…".
func TestLastPickNamesOnlyAnAppServer(t *testing.T) {
	ms := time.Millisecond
	f := newFakeLab()
	m := newTestModel(t, f, i18n.EN, 120, 36)
	feed(t, m, f, []trace.Event{
		{ReqID: "b1", First: true, From: trace.Browser, To: trace.Proxy, Phase: trace.Arrived, At: ms, Why: "GET /employees/ HTTP/1.1"},
		{ReqID: "b1", From: trace.Proxy, To: trace.Uwsgi, Instance: "127.0.0.1:9001", Phase: trace.Info, At: ms + 50*time.Microsecond,
			Why: "round robin: peer 1 skipped (down), peer 2 skipped (down)"},
		{ReqID: "b1", From: trace.Proxy, To: trace.Uwsgi, Instance: "127.0.0.1:9001", Phase: trace.Failed, At: ms + 300*time.Microsecond,
			Why: "connect() failed (111: Connection refused) while connecting to upstream"},
		{ReqID: "b1", Last: true, From: trace.Proxy, To: trace.Browser, Phase: trace.Returned, At: 2 * ms, Status: 502},
	})
	_, _, pick := m.frame()
	if !strings.HasPrefix(pick, "round robin") {
		t.Errorf("last pick %q, want the reason alone (no instance answered)", pick)
	}
	// a request an app server answered keeps its instance first
	feed(t, m, f, hops(t))
	if _, _, pick := m.frame(); !strings.HasPrefix(pick, "uwsgi-2 · ") {
		t.Errorf("last pick %q, want it to start with the instance that answered (uwsgi-2)", pick)
	}
}

// TestListWaitsForTheReplay: a request's row shows its status and duration
// once its slowed replay has brought the answer back, not before; the
// header counts a ● still moving as in flight; and when the replays are
// over the screen stops asking for frames.
func TestListWaitsForTheReplay(t *testing.T) {
	for _, lang := range []i18n.Lang{i18n.EN, i18n.ZH} {
		t.Run(string(lang), func(t *testing.T) {
			f := newFakeLab()
			m := newTestModel(t, f, lang, 120, 36)
			now := base
			m.opts.Now = func() time.Time { return now }
			feed(t, m, f, hops(t)[:8]) // a1 alone: answered 200 in 9.2 ms
			row := func() string {
				for _, l := range strings.Split(screentest.Plain(m.Render()), "\n") {
					if strings.Contains(l, "1 GET  /login/") { // the list's row, not the detail's title
						return l
					}
				}
				t.Fatal("no row for /login/")
				return ""
			}
			inFlight := map[i18n.Lang]string{i18n.EN: "1 in flight", i18n.ZH: "1 个处理中"}[lang]
			if l := row(); strings.Contains(l, " 200 ") || strings.Contains(l, "9.20") || !strings.Contains(l, "…") {
				t.Errorf("as its replay starts the row tells the end: %q", l)
			}
			if !strings.Contains(m.header(), inFlight) {
				t.Errorf("header %q, want %q while the ● moves", screentest.Plain(m.header()), inFlight)
			}
			if !m.ticking {
				t.Fatal("a request arrived and the screen asks for no frame")
			}
			frames := 0
			for cmd := tea.Cmd(func() tea.Msg { return nil }); cmd != nil; frames++ {
				if frames > 10000 {
					t.Fatal("the replay never ends")
				}
				now = now.Add(frameEvery)
				_, cmd = m.Update(frameMsg(now))
				if frames == 30 { // a second in: still on its way
					if l := row(); strings.Contains(l, " 200 ") {
						t.Errorf("a second into the replay the row tells the end: %q", l)
					}
				}
			}
			if l := row(); !strings.Contains(l, " 200 ") || !strings.Contains(l, "9.20") {
				t.Errorf("the replay over, the row %q lacks its status and duration", l)
			}
			zero := map[i18n.Lang]string{i18n.EN: "0 in flight", i18n.ZH: "0 个处理中"}[lang]
			if !strings.Contains(m.header(), zero) {
				t.Errorf("header %q, want %q", screentest.Plain(m.header()), zero)
			}
			if cmd := m.startTicking(); cmd != nil {
				t.Errorf("nothing moves, yet the screen asks for frames")
			}
		})
	}
}
