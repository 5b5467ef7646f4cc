package tui

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"webflow-lab/sim/replay"
	"webflow-lab/tui/i18n"
	"webflow-lab/tui/internal/screentest"
	"webflow-lab/tui/theme"
)

// walkRecording is a real recording: two virtual browsers opening the
// login page and the employee list, twice, made with
//
//	webflow-lab record --traffic "2 browsers, journey open-list, every 500ms, 2 times" -o tui/testdata/walk.jsonl.gz
const walkRecording = "testdata/walk.jsonl.gz"

// playedReplay opens the recording on a screen and plays it to the end,
// fast, delivering its events as the event command would.
func playedReplay(t testing.TB, lang i18n.Lang, w, h int) (*Model, *replay.Player) {
	t.Helper()
	p, err := replay.Open(walkRecording)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Do(context.Background(), "speed 1000"); err != nil {
		t.Fatal(err)
	}
	m := New(NewReplayLab(p, walkRecording), nil, Options{Lang: lang, Theme: theme.Options{},
		Now: func() time.Time { return base }})
	t.Cleanup(m.Close)
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	select {
	case <-p.Ended():
	case <-time.After(10 * time.Second):
		t.Fatal("the recording did not play to its end in 10 s at 1000×")
	}
	wctx, wcancel := context.WithTimeout(context.Background(), time.Second)
	defer wcancel()
	e, err := m.watch.Next(wctx)
	if err != nil {
		t.Fatal(err)
	}
	m.Update(eventArrivedMsg{e: e})
	m.refreshSnap(true)
	return m, p
}

func TestReplayGolden(t *testing.T) {
	for _, lang := range []i18n.Lang{i18n.EN, i18n.ZH} {
		for _, sz := range screentest.Sizes {
			t.Run(fmt.Sprintf("%s-%dx%d", lang, sz.W, sz.H), func(t *testing.T) {
				m, _ := playedReplay(t, lang, sz.W, sz.H)
				settle(m) // the screen's slowed replay over too
				m.Update(key("9"))
				out := m.Render()
				screentest.Fits(t, out, sz.W, sz.H)
				plain := screentest.Plain(out)
				for _, want := range []string{"walk.jsonl.gz", "1000"} {
					if !strings.Contains(plain, want) {
						t.Errorf("the header does not say it is a recording (%q):\n%s", want, plain)
					}
				}
				if k := missingKey.FindString(out); k != "" {
					t.Errorf("screen shows the missing catalog key %s", k)
				}
				screentest.Check(t, out)
			})
		}
	}
}

// TestReplayControls: the recording's own controls reach the Player; the
// lab's are refused with the Player's explanation; restart empties the list.
func TestReplayControls(t *testing.T) {
	m, p := playedReplay(t, i18n.EN, 120, 36)
	if m.store.Len() == 0 {
		t.Fatal("no request of the recording reached the list")
	}
	users := 0
	for _, r := range m.store.All() {
		if r.User > 0 {
			users++
		}
	}
	if users == 0 {
		t.Errorf("no request of the recording is a virtual user's")
	}
	press(t, m, ":")
	typeText(m, "speed 2")
	press(t, m, "enter")
	if st := p.Status(); st.Speed != 2 {
		t.Errorf(":speed 2 left the recording at %g×, want 2×", st.Speed)
	}
	press(t, m, "space")
	if st := p.Status(); !st.Paused || !m.paused {
		t.Errorf("space: recording paused %v, slow motion paused %v; want both", st.Paused, m.paused)
	}
	press(t, m, "k")
	if m.over != overError || !strings.Contains(errText(m.overErr, "en"), "this is a recording") {
		t.Fatalf("k in a recording: overlay %d, error %v; want the recording's refusal", m.over, m.overErr)
	}
	press(t, m, "esc")
	press(t, m, ":")
	typeText(m, "restart")
	press(t, m, "enter")
	if m.store.Len() != 0 {
		t.Errorf("after restart the list holds %d requests, want none until they play again", m.store.Len())
	}
	if st := p.Status(); st.Position != 0 {
		t.Errorf("after restart the recording is at %v, want 0", st.Position)
	}
}
