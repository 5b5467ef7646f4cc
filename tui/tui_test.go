package tui

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"webflow-lab/lessons"
	"webflow-lab/servers/explain"
	"webflow-lab/tui/i18n"
	"webflow-lab/tui/internal/screentest"
	"webflow-lab/tui/lesson"
	"webflow-lab/tui/snap"
)

var missingKey = regexp.MustCompile(`\[[a-z]+\.[a-z.]+\]`)

// screens are the views every golden test draws, each reached by keys.
var screens = []struct {
	name  string
	setup func(m *Model)
}{
	{"main", func(m *Model) {}},
	{"waterfall", func(m *Model) { m.Update(key("up")); m.Update(key("up")); m.Update(key("enter")) }},
	{"uwsgi", func(m *Model) { m.Update(key("up")); m.Update(key("up")); m.Update(key("3")); m.Update(key("down")) }},
	{"environ", func(m *Model) { m.Update(key("up")); m.Update(key("up")); m.Update(key("4")) }},
	{"sql", func(m *Model) { m.Update(key("up")); m.Update(key("up")); m.Update(key("5")) }},
	{"http", func(m *Model) { m.Update(key("up")); m.Update(key("up")); m.Update(key("2")) }},
	{"stats", func(m *Model) { m.Update(key("7")) }},
	{"breakpoints", func(m *Model) {
		f := m.lab.(*fakeLab)
		f.mu.Lock()
		f.snap.Breakpoints = []snap.Breakpoint{{ID: 1, Hop: "app", PathPrefix: "/employees/", Hits: 1}}
		f.snap.Held = []snap.Held{{ID: 1, ReqID: "a5", Hop: "app", Method: "GET", Path: "/employees/", Instance: "uwsgi-1",
			Since: base.Add(-12 * time.Second), Deadline: base.Add(48 * time.Second)}}
		f.mu.Unlock()
		m.refreshSnap(true)
		m.Update(key("8"))
	}},
	{"logs", func(m *Model) {
		m.logs.Append("access.log", []string{`127.0.0.1 - - [07/Dec/2026:12:01:03 +0000] "GET /login/ HTTP/1.1" 200 2589 "-" "curl/7.88.1"`})
		m.Update(key("6"))
	}},
	{"help", func(m *Model) { m.Update(key("?")) }},
	{"command", func(m *Model) { m.Update(key(":")); typeText(m, "st"); m.Update(key("tab")) }},
	{"filter", func(m *Model) { m.Update(key("/")); typeText(m, "login"); m.Update(key("enter")) }},
	{"topology", func(m *Model) { m.Update(key("tab")); m.Update(key("tab")); m.Update(key("tab")) }},
	{"compare", func(m *Model) {
		// the 502 pinned, the healthy POST selected beside it
		m.Update(key("up"))
		m.Update(key("2"))
		m.Update(key("c"))
		m.Update(key("esc"))
		m.Update(key("up"))
		m.Update(key("2"))
	}},
	{"traffic-empty", func(m *Model) { m.Update(key("9")) }},
	{"traffic", func(m *Model) {
		f := m.lab.(*fakeLab)
		f.mu.Lock()
		f.snap.Traffic = sampleTraffic()
		f.mu.Unlock()
		m.refreshSnap(true)
		m.Update(key("9"))
	}},
	{"animated", func(m *Model) {
		m.clock += 1200 * time.Millisecond // a moment into the replay
	}},
}

func TestScreensGolden(t *testing.T) {
	for _, sc := range screens {
		for _, lang := range []i18n.Lang{i18n.EN, i18n.ZH} {
			for _, sz := range screentest.Sizes {
				t.Run(fmt.Sprintf("%s-%s-%dx%d", sc.name, lang, sz.W, sz.H), func(t *testing.T) {
					f := newFakeLab()
					m := newTestModel(t, f, lang, sz.W, sz.H)
					feed(t, m, f, hops(t))
					if sc.name != "animated" {
						settle(m) // the screen at rest: the replays over
					}
					sc.setup(m)
					out := m.Render()
					screentest.Fits(t, out, sz.W, sz.H)
					if k := missingKey.FindString(out); k != "" {
						t.Errorf("screen shows the missing catalog key %s", k)
					}
					screentest.Check(t, out)
				})
			}
		}
	}
}

// settle plays the replays to their end, as a minute of frames would.
func settle(m *Model) {
	m.clock += time.Minute
	m.prune()
}

func TestSpecialScreensGolden(t *testing.T) {
	for _, lang := range []i18n.Lang{i18n.EN, i18n.ZH} {
		t.Run("too-small-"+string(lang), func(t *testing.T) {
			m := newTestModel(t, newFakeLab(), lang, 79, 23)
			out := m.Render()
			screentest.Fits(t, out, 79, 23)
			screentest.Check(t, out)
		})
		for _, sz := range screentest.Sizes {
			t.Run(fmt.Sprintf("welcome-%s-%dx%d", lang, sz.W, sz.H), func(t *testing.T) {
				f := newFakeLab()
				m := New(f, nil, Options{Lang: lang, FirstRun: true, Now: func() time.Time { return base }})
				t.Cleanup(m.Close)
				m.Update(tea.WindowSizeMsg{Width: sz.W, Height: sz.H})
				out := m.Render()
				screentest.Fits(t, out, sz.W, sz.H)
				screentest.Check(t, out)
			})
			t.Run(fmt.Sprintf("presenter-%s-%dx%d", lang, sz.W, sz.H), func(t *testing.T) {
				f := newFakeLab()
				m := New(f, nil, Options{Lang: lang, Presenter: true, Now: func() time.Time { return base }})
				t.Cleanup(m.Close)
				m.Update(tea.WindowSizeMsg{Width: sz.W, Height: sz.H})
				feed(t, m, f, hops(t))
				settle(m)
				out := m.Render()
				screentest.Fits(t, out, sz.W, sz.H)
				for _, k := range []string{"w:", "u:", "K:", "f:", "b:"} {
					if !strings.Contains(screentest.Plain(out), k) {
						t.Errorf("the presenter's legend lacks %s", k)
					}
				}
				screentest.Check(t, out)
			})
			t.Run(fmt.Sprintf("lesson-%s-%dx%d", lang, sz.W, sz.H), func(t *testing.T) {
				f := newFakeLab()
				m := New(f, nil, Options{Lang: lang, Now: func() time.Time { return base }, Lesson: lessonConfig(t)})
				t.Cleanup(m.Close)
				m.Update(tea.WindowSizeMsg{Width: sz.W, Height: sz.H})
				feed(t, m, f, hops(t))
				settle(m)
				m.Update(key("t"))
				out := m.Render()
				screentest.Fits(t, out, sz.W, sz.H)
				if !strings.Contains(screentest.Plain(out), "7.1") {
					t.Errorf("the lesson panel does not show step 7.1:\n%s", screentest.Plain(out))
				}
				screentest.Check(t, out)
			})
			t.Run(fmt.Sprintf("start-error-%s-%dx%d", lang, sz.W, sz.H), func(t *testing.T) {
				err := &explain.Error{
					What:  explain.T(`nginx: [emerg] bind() to 127.0.0.1:8080 failed (98: Address already in use)`, `nginx: [emerg] bind() to 127.0.0.1:8080 failed (98: Address already in use)`),
					Where: "conf.d/ems.conf:10",
					Why:   explain.T("another program (or a second lab) already listens on 127.0.0.1:8080", "另一个程序（或另一个实验环境）已经在 127.0.0.1:8080 上监听：端口被占用"),
					Try:   explain.T("stop the other program, or change the port in conf.d/ems.conf:10 and press r", "停止另一个程序，或修改 conf.d/ems.conf:10 中的端口后按 r"),
				}
				m := New(nil, err, Options{Lang: lang, Now: func() time.Time { return base },
					Getenv: func(string) string { return "" }})
				t.Cleanup(m.Close)
				m.Update(tea.WindowSizeMsg{Width: sz.W, Height: sz.H})
				out := m.Render()
				screentest.Fits(t, out, sz.W, sz.H)
				if !strings.Contains(screentest.Plain(out), "conf.d/ems.conf:10") {
					t.Errorf("the error screen does not say where")
				}
				screentest.Check(t, out)
			})
		}
	}
}

// TestASCIIMode checks that --ascii draws nothing past 0x7f but CJK text.
func TestASCIIMode(t *testing.T) {
	for _, lang := range []i18n.Lang{i18n.EN, i18n.ZH} {
		f := newFakeLab()
		m2 := New(f, nil, Options{Lang: lang, Now: func() time.Time { return base }, Theme: asciiOpts()})
		t.Cleanup(m2.Close)
		m2.Update(tea.WindowSizeMsg{Width: 120, Height: 36})
		feed(t, m2, f, hops(t))
		m2.clock += time.Second
		for _, k := range []string{"", "3", "1", "?"} {
			if k != "" {
				m2.Update(key(k))
			}
			v := m2.View()
			for _, r := range screentest.Plain(v.Content) {
				if r >= 0x80 && !isCJK(r) {
					t.Fatalf("%s, after %q: ASCII mode drew %q", lang, k, r)
				}
			}
		}
	}
}

func isCJK(r rune) bool {
	return r >= 0x3000 && r <= 0x9fff || r >= 0xff00 && r <= 0xffef
}

// sampleTraffic is a journey of three browsers under way beside a load run
// that ended, as the lab reports them.
func sampleTraffic() []snap.TrafficRun {
	ms := time.Millisecond
	return []snap.TrafficRun{
		{ID: 1, Spec: "load /employees/ -c 4 -d 2s", Kind: "load", From: "127.0.0.2", State: snap.TrafficDone,
			Started: base.Add(-40 * time.Second), Ended: base.Add(-38 * time.Second), Sent: 1175, RPS: 584.2,
			Status: map[int]int64{302: 1175}, P50: 813 * time.Microsecond, P90: 11 * ms, P99: 98 * ms, Max: 445 * ms,
			Instances: map[string]int64{"uwsgi-1": 587, "uwsgi-2": 588}, Seen: 1175},
		{ID: 2, Spec: "3 browsers, journey login-list, every 2s, 5 times", Kind: "browse", Users: [2]int{1, 3},
			From: "127.0.1.1–127.0.3.1", State: snap.TrafficRunning, Started: base.Add(-12 * time.Second),
			Sent: 103, Cached: 24, Walks: 7, RPS: 20.2, Status: map[int]int64{200: 47, 302: 11, 304: 45},
			P50: 7520 * time.Microsecond, P90: 349 * ms, P99: 870 * ms, Max: 876 * ms,
			Instances: map[string]int64{"uwsgi-1": 26, "uwsgi-2": 25, "proxy": 52}, Seen: 103},
	}
}

// lessonConfig is the lesson panel on lesson 7, step 1 (the alias without
// its slash), with no runner: what it shows, not what it does to a lab.
func lessonConfig(t testing.TB) func() (lesson.Config, bool) {
	c, err := lessons.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	state := &lessons.StepState{Lesson: c.Lessons[6].ID, Step: 1, Vars: map[string]string{
		"url": "http://127.0.0.1:8080", "workspace": "workspace", "cmd": "webflow-lab", "proxy.port": "8080"}}
	return func() (lesson.Config, bool) {
		return lesson.Config{Curriculum: c, Progress: &lessons.Progress{Current: state, Lessons: map[string]*lessons.Record{}}}, true
	}
}
