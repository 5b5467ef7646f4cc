package tui

import (
	"fmt"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"webflow-lab/servers/trace"
	"webflow-lab/tui/i18n"
	"webflow-lab/tui/theme"
)

// busyModel is the busiest screen: 160×48, 50 requests moving through the
// topology at once (each at its own point of the replay), 1000 in the list,
// the waterfall of one with SQL.
func busyModel(b testing.TB) *Model {
	f := newFakeLab()
	m := newTestModel(b, f, i18n.ZH, 160, 48)
	var evs []trace.Event
	ms := time.Millisecond
	for i := range 1000 {
		id := fmt.Sprintf("r%04d", i)
		at := time.Duration(i) * ms
		inst := []string{"uwsgi-1", "uwsgi-2"}[i%2]
		evs = append(evs,
			trace.Event{ReqID: id, From: trace.Browser, To: trace.Proxy, Phase: trace.Arrived, At: at, Why: "GET /employees/ HTTP/1.1"},
			trace.Event{ReqID: id, From: trace.Proxy, To: trace.Uwsgi, Instance: inst, Phase: trace.Arrived, At: at + 100*time.Microsecond, Why: "worker 1 core 0 took it"},
			trace.Event{ReqID: id, From: trace.Uwsgi, To: trace.App, Instance: inst, Phase: trace.Sent, At: at + 200*time.Microsecond},
			trace.Event{ReqID: id, From: trace.App, To: trace.DB, Instance: inst, Phase: trace.Sent, At: at + 300*time.Microsecond},
			trace.Event{ReqID: id, From: trace.App, To: trace.DB, Instance: inst, Phase: trace.Returned, At: at + 400*time.Microsecond, Why: "SELECT employees (90µs)"})
		if i < 950 {
			evs = append(evs, trace.Event{ReqID: id, From: trace.Proxy, To: trace.Browser, Phase: trace.Returned, At: at + ms, Status: 200})
		}
	}
	for _, e := range evs {
		m.store.Add(e)
	}
	// 50 in flight, spread over the replay
	m.anims = m.anims[:0]
	for i := 950; i < 1000; i++ {
		m.anims = append(m.anims, anim{id: fmt.Sprintf("r%04d", i), start: -time.Duration(i-950) * 60 * ms})
	}
	m.Update(key("1"))
	return m
}

// BenchmarkRenderBusy is one frame of the busiest view, in colour and
// without.
func BenchmarkRenderBusy(b *testing.B) {
	b.Run("no-colour", func(b *testing.B) { benchRender(b, false) })
	b.Run("colour", func(b *testing.B) { benchRender(b, true) })
}

func benchRender(b *testing.B, colour bool) {
	m := busyModel(b)
	if colour {
		m.th = theme.New(theme.Options{Color: true})
		m.reapplyTheme()
	}
	if len(m.anims) != 50 {
		b.Fatalf("%d animations, want 50", len(m.anims))
	}
	b.ReportAllocs()
	for b.Loop() {
		m.clock += frameEvery
		_ = m.View()
	}
}

// TestIdleAsksForNoFrames: with nothing moving the screen arms no timer,
// whatever keys are pressed, so an idle lab costs no frames.
func TestIdleAsksForNoFrames(t *testing.T) {
	m := newTestModel(t, newFakeLab(), i18n.EN, 80, 24)
	for _, k := range []string{"1", "3", "6", "7", "8", "tab", "L", "esc", "space", "space", "+", "-"} {
		_, cmd := m.Update(key(k))
		if cmd != nil {
			if _, ok := cmd().(frameMsg); ok {
				t.Errorf("%s on an idle screen asked for a frame", k)
			}
		}
	}
	if m.ticking {
		t.Error("an idle screen ticks")
	}
	_ = tea.Quit
}
