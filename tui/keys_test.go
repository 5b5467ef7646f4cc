package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"webflow-lab/servers/explain"
	"webflow-lab/tui/i18n"
	"webflow-lab/tui/internal/screentest"
	"webflow-lab/tui/snap"
	"webflow-lab/tui/traffic"
)

// execCmd runs cmd as the program would and feeds its message back
// (commands that wait for events are given a short while, then dropped;
// animation frames are left to the test).
func execCmd(t testing.TB, m *Model, cmd tea.Cmd) {
	t.Helper()
	if cmd == nil {
		return
	}
	ch := make(chan tea.Msg, 1)
	go func() { ch <- cmd() }()
	select {
	case msg := <-ch:
		switch msg := msg.(type) {
		case tea.BatchMsg:
			for _, c := range msg {
				execCmd(t, m, c)
			}
		case nil:
		case frameMsg:
			// frames are the test's to drive
		default:
			if _, quit := msg.(tea.QuitMsg); quit {
				return
			}
			_, next := m.Update(msg)
			execCmd(t, m, next)
		}
	case <-time.After(300 * time.Millisecond):
		// a command that waits for events: not this test's business
	}
}

func press(t testing.TB, m *Model, keys ...string) {
	t.Helper()
	for _, k := range keys {
		_, cmd := m.Update(key(k))
		execCmd(t, m, cmd)
	}
}

func TestCommandLineRunsControl(t *testing.T) {
	f := newFakeLab()
	m := newTestModel(t, f, i18n.EN, 120, 36)
	press(t, m, ":")
	typeText(m, "stop uwsgi-1")
	press(t, m, "enter")
	if len(f.did) != 1 || f.did[0] != "stop uwsgi-1" {
		t.Fatalf("the lab ran %q, want [stop uwsgi-1]", f.did)
	}
	if got := m.status; !strings.Contains(got, "stopped uwsgi-1") || !strings.Contains(got, "uwsgi --stop uwsgi-1.pid") {
		t.Errorf("status %q, want what was done and its real equivalent", got)
	}
	if m.snap.Instances[0].State != "stopped" {
		t.Errorf("the snapshot after the control says %s, want stopped", m.snap.Instances[0].State)
	}
	m.Update(key("6"))
	m.logs.ShowSource("actions")
	if !strings.Contains(screentest.Plain(m.Render()), "uwsgi --stop uwsgi-1.pid") {
		t.Errorf("the action log does not show the equivalent")
	}
}

func TestCompletion(t *testing.T) {
	tests := []struct{ typed, want string }{
		{"sto", "stop "},
		{"st", "st"},
		{"stra", "strategy "},
		{"stop u", "stop uwsgi-"},
		{"stop uwsgi-2", "stop uwsgi-2 "},
		{"strategy ip", "strategy ip_hash "},
		{"la", "lang "},
		{"lang z", "lang zh "},
		{"nosuch", "nosuch"},
	}
	for _, tt := range tests {
		t.Run(tt.typed, func(t *testing.T) {
			m := newTestModel(t, newFakeLab(), i18n.EN, 80, 24)
			press(t, m, ":")
			typeText(m, tt.typed)
			press(t, m, "tab")
			if got := m.ti.Value(); got != tt.want {
				t.Errorf("tab after %q gave %q, want %q", tt.typed, got, tt.want)
			}
		})
	}
}

// TestCompletionShowsCandidates: with several candidates, tab completes
// their common prefix and lists them above the ':' prompt (the status line,
// where they used to go, is hidden while the prompt is open); the next key
// takes the list away.
func TestCompletionShowsCandidates(t *testing.T) {
	tests := []struct {
		typed, want string
		cands       []string
	}{
		{"br", "br", []string{"break", "browse"}},
		{"break ", "break ", []string{"proxy", "upstream", "queue", "app", "db", "db-return", "app-return", "uwsgi-return", "response"}},
		{"break a", "break app", []string{"app", "app-return"}},
		{"break u", "break u", []string{"upstream", "uwsgi-return"}},
	}
	for _, lang := range []i18n.Lang{i18n.EN, i18n.ZH} {
		for _, tt := range tests {
			t.Run(string(lang)+"/"+tt.typed, func(t *testing.T) {
				m := newTestModel(t, simCommands{newFakeLab()}, lang, 80, 24)
				press(t, m, ":")
				typeText(m, tt.typed)
				press(t, m, "tab")
				if got := m.ti.Value(); got != tt.want {
					t.Errorf("tab after %q gave %q, want %q", tt.typed, got, tt.want)
				}
				out := m.Render()
				screentest.Fits(t, out, 80, 24)
				lines := strings.Split(screentest.Plain(out), "\n")
				above, prompt := lines[len(lines)-4], lines[len(lines)-3]
				if prompt != strings.TrimRight(":"+tt.want, " ") { // Plain trims the line
					t.Errorf("prompt line %q, want %q", prompt, ":"+tt.want)
				}
				if got := strings.Fields(above); strings.Join(got, " ") != strings.Join(tt.cands, " ") {
					t.Errorf("line above the prompt %q, want the candidates %q", above, tt.cands)
				}
				typeText(m, "x")
				if strings.Contains(screentest.Plain(m.Render()), strings.Join(tt.cands, "  ")) {
					t.Errorf("the candidates stay after the next key")
				}
			})
		}
	}
}

func TestLanguageSwitchesLive(t *testing.T) {
	m := newTestModel(t, newFakeLab(), i18n.EN, 80, 24)
	if !strings.Contains(m.Render(), "requests") {
		t.Fatal("English screen has no 'requests'")
	}
	press(t, m, "L")
	if m.Lang() != i18n.ZH || !strings.Contains(m.Render(), "请求") {
		t.Errorf("after L: lang %s, want zh with 请求 on screen", m.Lang())
	}
	press(t, m, ":")
	typeText(m, "lang en")
	press(t, m, "enter")
	if m.Lang() != i18n.EN {
		t.Errorf("after :lang en: %s", m.Lang())
	}
}

func TestFilter(t *testing.T) {
	f := newFakeLab()
	m := newTestModel(t, f, i18n.EN, 80, 24)
	feed(t, m, f, hops(t))
	if n := m.reqs.Count(); n != 5 {
		t.Fatalf("got %d requests, want 5", n)
	}
	press(t, m, "/")
	typeText(m, "login")
	if n := m.reqs.Count(); n != 2 {
		t.Errorf("filtering as one types: got %d rows, want 2", n)
	}
	press(t, m, "enter")
	if n := m.reqs.Count(); n != 2 || m.reqs.Filter() != "login" {
		t.Errorf("after enter: %d rows, filter %q", n, m.reqs.Filter())
	}
	press(t, m, "esc")
	if n := m.reqs.Count(); n != 5 {
		t.Errorf("esc should clear the filter: got %d rows", n)
	}
	press(t, m, "/")
	typeText(m, "502")
	press(t, m, "enter")
	if r := m.reqs.Selected(); r == nil || r.Status != 502 {
		t.Errorf("filter 502 selected %+v", r)
	}
}

func TestSelectionAndDetail(t *testing.T) {
	f := newFakeLab()
	m := newTestModel(t, f, i18n.EN, 120, 36)
	feed(t, m, f, hops(t))
	if r := m.reqs.Selected(); r == nil || r.ID != "a5" {
		t.Fatalf("following the newest: selected %v, want a5", r)
	}
	press(t, m, "up", "up")
	if r := m.reqs.Selected(); r.ID != "a3" {
		t.Errorf("after up up: %s, want a3", r.ID)
	}
	press(t, m, "3")
	if m.det != detUwsgi || m.focus != focusDetail {
		t.Errorf("3 should open the uwsgi bytes: det %d focus %d", m.det, m.focus)
	}
	press(t, m, "down")
	if m.insp.Selected() != 1 {
		t.Errorf("down in the dump selects var %d, want 1", m.insp.Selected())
	}
	press(t, m, "esc")
	if m.focus != focusRequests {
		t.Errorf("esc from the detail: focus %d, want the list", m.focus)
	}
	// mouse: a click on the list's first row selects request #1
	m.Render()
	a := m.areas.list
	m.Update(tea.MouseClickMsg{X: a.x + 5, Y: a.y + 2, Button: tea.MouseLeft})
	if r := m.reqs.Selected(); r.Seq != 1 {
		t.Errorf("click on the first row selected #%d", r.Seq)
	}
	m.Render()
	m.Update(tea.MouseWheelMsg{X: a.x + 5, Y: a.y + 2, Button: tea.MouseWheelDown})
	if r := m.reqs.Selected(); r.Seq != 4 {
		t.Errorf("wheel down from #1 selected #%d, want #4", r.Seq)
	}
}

func TestStopStartFromTopology(t *testing.T) {
	f := newFakeLab()
	m := newTestModel(t, f, i18n.EN, 80, 24)
	press(t, m, "tab", "tab") // requests → detail → topology
	if m.focus != focusTopology {
		t.Fatalf("focus %d, want the topology", m.focus)
	}
	press(t, m, "down", "k")
	press(t, m, "k")
	want := []string{"stop uwsgi-2", "start uwsgi-2"}
	if strings.Join(f.did, ",") != strings.Join(want, ",") {
		t.Errorf("the lab ran %q, want %q", f.did, want)
	}
}

func TestReplayPausesStepsAndStopsTicking(t *testing.T) {
	f := newFakeLab()
	m := newTestModel(t, f, i18n.EN, 80, 24)
	now := base
	m.opts.Now = func() time.Time { return now }
	feed(t, m, f, hops(t))
	if !m.ticking {
		t.Fatal("requests arrived but the replay does not tick")
	}
	press(t, m, "space")
	if !m.paused {
		t.Fatal("space did not pause")
	}
	before := m.clock
	now = now.Add(time.Second)
	m.Update(frameMsg(now))
	if m.clock != before {
		t.Errorf("paused clock moved from %v to %v", before, m.clock)
	}
	if m.ticking {
		t.Errorf("a paused replay still ticks")
	}
	press(t, m, ".")
	if m.clock <= before {
		t.Errorf("step did not move the clock (%v)", m.clock)
	}
	press(t, m, "+")
	if speeds[m.speed] != 2 {
		t.Errorf("+ gave speed %v, want 2", speeds[m.speed])
	}
	press(t, m, "space")
	// play everything out: frames until nothing moves
	for i := 0; i < 1000 && m.ticking; i++ {
		now = now.Add(100 * time.Millisecond)
		m.Update(frameMsg(now))
	}
	if m.ticking {
		t.Fatal("the replay still ticks after 100 s of screen time")
	}
	// a5 is still in flight: it waits at the app, without ticking
	if len(m.anims) != 1 || m.anims[0].id != "a5" {
		t.Errorf("animations left: %v, want only a5 waiting", m.anims)
	}
	if cmd := m.startTicking(); cmd != nil {
		t.Errorf("idle screen asks for frames")
	}
}

func TestStartErrorRetry(t *testing.T) {
	f := newFakeLab()
	calls := 0
	start := func(ctx context.Context) (Lab, error) {
		calls++
		return f, nil
	}
	err := &explain.Error{What: explain.T("uwsgi: bind(): Address already in use [core/socket.c line 769]", ""),
		Where: "uwsgi-1.ini:5", Why: explain.T("port 9001 is busy", "")}
	m := New(nil, err, Options{Lang: i18n.EN, Start: start, Now: func() time.Time { return base },
		Getenv: func(string) string { return "" }})
	t.Cleanup(m.Close)
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	out := screentest.Plain(m.Render())
	for _, want := range []string{"Address already in use", "uwsgi-1.ini:5", "port 9001 is busy", "$EDITOR is not set"} {
		if !strings.Contains(out, want) {
			t.Errorf("error screen lacks %q", want)
		}
	}
	press(t, m, "e") // no editor: a message, not a crash
	if !strings.Contains(m.status, "EDITOR") {
		t.Errorf("e with no $EDITOR: status %q", m.status)
	}
	press(t, m, "g", "k", ":") // mashed keys on the error screen do nothing
	if len(f.did) != 0 || m.input != inputNone {
		t.Errorf("keys on the error screen reached the lab: %v", f.did)
	}
	press(t, m, "r")
	if calls != 1 || m.lab == nil || m.over != overNone {
		t.Errorf("retry: %d starts, lab %v, overlay %d", calls, m.lab, m.over)
	}
}

func TestEditorFailing(t *testing.T) {
	m := newTestModel(t, newFakeLab(), i18n.EN, 80, 24)
	m.opts.Getenv = func(k string) string {
		if k == "EDITOR" {
			return "/no/such/editor"
		}
		return ""
	}
	press(t, m, "e")
	if !strings.Contains(m.status, "/no/such/editor") {
		t.Errorf("status %q, want the failing editor named", m.status)
	}
	m.Update(editorClosedMsg{file: "nginx.conf", err: errors.New("exit status 1")})
	if !strings.Contains(m.status, "exit status 1") {
		t.Errorf("status %q, want the editor's failure", m.status)
	}
}

func TestControlRefusedShowsError(t *testing.T) {
	f := newFakeLab()
	f.fail = &explain.Error{What: explain.T(`nginx: [emerg] unknown directive "uwsgi_pas"`, ""),
		Where: "conf.d/ems.conf:27", Try: explain.T("did you mean uwsgi_pass?", "")}
	m := newTestModel(t, f, i18n.EN, 80, 24)
	press(t, m, ":")
	typeText(m, "reload")
	press(t, m, "enter")
	out := screentest.Plain(m.Render())
	if m.over != overError || !strings.Contains(out, "conf.d/ems.conf:27") || !strings.Contains(out, "uwsgi_pass?") {
		t.Errorf("a refused reload should show its error in full:\n%s", out)
	}
	press(t, m, "esc")
	if m.over != overNone {
		t.Errorf("esc does not close the error")
	}
}

func TestQuitKeys(t *testing.T) {
	for _, k := range []string{"q", "ctrl+c"} {
		m := newTestModel(t, newFakeLab(), i18n.EN, 80, 24)
		_, cmd := m.Update(key(k))
		if cmd == nil {
			t.Fatalf("%s: no command", k)
		}
		if _, ok := cmd().(tea.QuitMsg); !ok {
			t.Errorf("%s does not quit", k)
		}
	}
}

func TestResizeAnything(t *testing.T) {
	f := newFakeLab()
	m := newTestModel(t, f, i18n.ZH, 80, 24)
	feed(t, m, f, hops(t))
	for _, sz := range [][2]int{{0, 0}, {1, 1}, {79, 24}, {80, 23}, {80, 24}, {81, 25}, {119, 35}, {120, 36}, {300, 100}, {80, 200}} {
		m.Update(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		for _, k := range []string{"1", "3", "6", "7", "?", "esc"} {
			m.Update(key(k))
			out := m.Render()
			if sz[0] > 0 {
				screentest.Fits(t, out, sz[0], sz[1])
			}
		}
	}
}

func TestErrorFile(t *testing.T) {
	tests := []struct{ where, want string }{
		{"conf.d/ems.conf:10", "/ws/conf.d/ems.conf:10"},
		{"/ws/uwsgi-1.ini: http = 127.0.0.1:9000", "/ws/uwsgi-1.ini"},
		{"127.0.0.1:9001", "/ws/nginx.conf"},
		{"", "/ws/nginx.conf"},
	}
	for _, tt := range tests {
		err := &explain.Error{What: explain.T("x", ""), Where: tt.where}
		if got := errorFile(err, snapFor("/ws")); got != tt.want {
			t.Errorf("errorFile(%q) = %q, want %q", tt.where, got, tt.want)
		}
	}
}

// TestWalkOffersTheCaptchaFix: w asks the lab for virtual browsers; when
// the lab refuses for the captcha, the status line offers the fix on the
// same key, and w again sets a fixed captcha, then walks.
func TestWalkOffersTheCaptchaFix(t *testing.T) {
	f := newFakeLab()
	m := newTestModel(t, f, i18n.EN, 120, 36)
	press(t, m, "w")
	if m.over != overNone {
		t.Errorf("the captcha refusal covered the screen (overlay %d), want an offer in the status line", m.over)
	}
	if !strings.Contains(m.status, "press w again") || !strings.Contains(m.status, traffic.CaptchaCommand) {
		t.Errorf("status %q, want the offer to run %s", m.status, traffic.CaptchaCommand)
	}
	press(t, m, "w")
	want := []string{traffic.WalkCommand, traffic.CaptchaCommand, traffic.WalkCommand}
	if strings.Join(f.did, "|") != strings.Join(want, "|") {
		t.Fatalf("the lab ran %q, want %q", f.did, want)
	}
	if !strings.Contains(m.status, "started traffic 1") || !strings.Contains(m.status, ":"+traffic.WalkCommand) {
		t.Errorf("status %q, want what was done and the command the key typed", m.status)
	}
	if m.det != detTraffic {
		t.Errorf("detail %d, want the traffic pane", m.det)
	}
	out := screentest.Plain(m.Render())
	for _, w := range []string{"#1 running", "users 1–3, from 127.0.1.1–127.0.3.1"} {
		if !strings.Contains(out, w) {
			t.Errorf("the traffic pane lacks %q:\n%s", w, out)
		}
	}
	press(t, m, "9", "x")
	if got := f.did[len(f.did)-1]; got != "traffic stop 1" {
		t.Errorf("x in the traffic pane ran %q, want traffic stop 1", got)
	}
	press(t, m, "x")
	if !strings.Contains(m.status, "not running") {
		t.Errorf("x on a stopped run: status %q", m.status)
	}
	press(t, m, "X", "u")
	if got := f.did[len(f.did)-2:]; got[0] != "traffic stop all" || got[1] != traffic.LoadCommand {
		t.Errorf("X, u ran %q, want traffic stop all, %s", got, traffic.LoadCommand)
	}
}

// TestSingleKeys: each key a teacher uses often runs its lab control.
func TestSingleKeys(t *testing.T) {
	f := newFakeLab()
	m := newTestModel(t, f, i18n.EN, 120, 36)
	press(t, m, "s", "d", "f", "f", "b", "R", "K")
	want := []string{"strategy ip_hash", "db stop", "static toggle", "static toggle", "break app", "release all", "kill uwsgi-1"}
	if strings.Join(f.did, "|") != strings.Join(want, "|") {
		t.Errorf("the lab ran %q, want %q", f.did, want)
	}
	// with a breakpoint armed, b takes it off
	f.mu.Lock()
	f.snap.Breakpoints = []snap.Breakpoint{{ID: 1, Hop: "worker→app"}}
	f.mu.Unlock()
	m.refreshSnap(true)
	press(t, m, "b")
	if got := f.did[len(f.did)-1]; got != "clear all" {
		t.Errorf("b with a breakpoint armed ran %q, want clear all", got)
	}
}

// TestOutputOverlay: a typed command that prints (status, held) shows its
// output over the screen, scrolling when long; esc closes it.
func TestOutputOverlay(t *testing.T) {
	f := newFakeLab()
	for i := range 60 {
		f.output += fmt.Sprintf("line %d\n", i+1)
	}
	m := newTestModel(t, f, i18n.EN, 80, 24)
	press(t, m, ":")
	typeText(m, "status")
	press(t, m, "enter")
	if m.over != overOutput {
		t.Fatalf("overlay %d after :status, want the output", m.over)
	}
	out := screentest.Plain(m.Render())
	if !strings.Contains(out, "line 1\n") && !strings.Contains(out, "line 1 ") || !strings.Contains(out, "of 60") {
		t.Errorf("the output overlay does not start at line 1 or say how long it is:\n%s", out)
	}
	press(t, m, "end")
	if out := screentest.Plain(m.Render()); !strings.Contains(out, "line 60") {
		t.Errorf("end does not show the last line:\n%s", out)
	}
	press(t, m, "esc")
	if m.over != overNone {
		t.Errorf("esc left overlay %d", m.over)
	}
}

// TestStatusKeepsTheEquivalent: a control's result too long for the
// status line is cut before its real equivalent, never the equivalent.
func TestStatusKeepsTheEquivalent(t *testing.T) {
	m := newTestModel(t, newFakeLab(), i18n.EN, 80, 24)
	m.logAction(explain.T("stopped uwsgi-1 gracefully: it finished its requests in flight, then closed its sockets and removed its pidfile, "+
		"and the proxy marked it down after its next failed connect, as nginx does after max_fails", "已停止 uwsgi-1"),
		"uwsgi --stop uwsgi-1.pid", "")
	out := m.Render()
	screentest.Fits(t, out, 80, 24)
	lines := strings.Split(screentest.Plain(out), "\n")
	first, second := lines[len(lines)-4], lines[len(lines)-3]
	if !strings.HasSuffix(strings.TrimSpace(second), "≈ uwsgi --stop uwsgi-1.pid") || !strings.HasPrefix(first, " stopped uwsgi-1") {
		t.Errorf("status lines %q, %q, want what was done cut and the equivalent whole", first, second)
	}
}

// simCommands is the fake lab with the real lab's vocabulary.
type simCommands struct{ *fakeLab }

func (simCommands) Commands() []snap.Command { return (&SimLab{}).Commands() }

// TestEveryControlReachable: every control of the lab's vocabulary (and of
// a recording's) has help in both languages and is listed in the help
// overlay, whose every line the overlay scrolls to; every key of the help
// has both languages.
func TestEveryControlReachable(t *testing.T) {
	for _, lab := range []Lab{simCommands{newFakeLab()}, &ReplayLab{}} {
		for _, c := range lab.Commands() {
			if c.Summary.EN == "" || c.Summary.ZH == "" {
				t.Errorf("control %q lacks help in English or Chinese: %+v", c.Name, c.Summary)
			}
		}
	}
	for _, lang := range []i18n.Lang{i18n.EN, i18n.ZH} {
		m := newTestModel(t, simCommands{newFakeLab()}, lang, 80, 24)
		press(t, m, "?")
		var seen strings.Builder
		for range 20 {
			seen.WriteString(screentest.Plain(m.Render()))
			press(t, m, "pgdown")
		}
		for _, c := range (&SimLab{}).Commands() {
			if !strings.Contains(seen.String(), ":"+c.Name+" ") && !strings.Contains(seen.String(), ":"+c.Name+"\n") {
				t.Errorf("%s: the help does not list :%s", lang, c.Name)
			}
		}
		for _, b := range globalKeys {
			if strings.HasPrefix(lang.T(b.help), "[") {
				t.Errorf("key %s has no %s help", b.keys, lang)
			}
		}
	}
}
