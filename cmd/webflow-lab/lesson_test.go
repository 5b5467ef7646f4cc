package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"webflow-lab/lessons"
	"webflow-lab/sim"
	"webflow-lab/tui/lesson"
)

// startLessonLab runs a lab in a new workspace on free ports, with its
// control endpoint, as `serve` in another terminal would.
func startLessonLab(t *testing.T) *sim.Lab {
	t.Helper()
	var ps []int
	var lns []net.Listener
	for range 7 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		ps = append(ps, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		ln.Close()
	}
	dir := filepath.Join(t.TempDir(), "ws")
	lab, err := sim.StartWith(dir, sim.Options{Ports: sim.Ports{Proxy: ps[0], Instances: []sim.InstancePorts{
		{Socket: ps[1], HTTP: ps[2], Stats: ps[3]}, {Socket: ps[4], HTTP: ps[5], Stats: ps[6]}}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		lab.Shutdown(ctx)
	})
	return lab
}

func lessonCmd(t *testing.T, dir string, args ...string) (string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(append([]string{"lesson", "--workspace", dir, "--lang", "en"}, args...), &out, &errb)
	return out.String() + errb.String(), code
}

func visit(t *testing.T, url string) {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

// TestLessonCommands: lesson 1 from a shell, as the README's first five
// minutes tell it: start, a failing check, the request, a passing check that
// moves on, a wrong and a right answer, hints down to the solution, status,
// progress kept in the workspace.
func TestLessonCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a lab")
	}
	lab := startLessonLab(t)
	dir := lab.Dir()
	steps := []struct {
		name string
		args []string
		do   func()
		code int
		want []string
	}{
		{"list", []string{"list"}, nil, 0, []string{"1  One request, hop by hop  (0/3)", "14  Troubleshooting drill"}},
		{"start", []string{"start", "1"}, nil, 0, []string{"1.1  Your first request", lab.URL() + "/login/", "lesson check"}},
		{"check before", []string{"check"}, nil, 0, []string{"✗ logs/access.log gets a line with", "nothing was written to logs/access.log since the step began", "Not yet."}},
		{"check after", []string{"check"}, func() { visit(t, lab.URL()+"/login/") }, 0, []string{"✓ logs/access.log", "✓ Step 1 done.", "1.2  Static or dynamic?"}},
		{"wrong answer", []string{"answer", "uwsgi-1"}, func() { visit(t, lab.URL()+"/static/ems/css/style.css") }, 0, []string{`“uwsgi-1” is not it`}},
		{"hints", []string{"hint"}, nil, 0, []string{"Hint 1/2:"}},
		{"more hints", []string{"hint"}, nil, 0, []string{"Hint 2/2:"}},
		{"the solution", []string{"hint"}, nil, 0, []string{"No more hints.", "run: curl -I '" + lab.URL() + "/static/ems/css/style.css'", "lesson answer nginx"}},
		{"right answer", []string{"answer", "nginx"}, nil, 0, []string{`“nginx” is right`, "✓ Step 2 done.", "1.3  Register, log in, see the list"}},
		{"skip", []string{"skip"}, nil, 0, []string{"Skipped step 3", "Lesson 1 (One request, hop by hop) is done: 2 of 3 steps passed, 1 skipped", "Next: lesson 2"}},
		{"status", []string{"status"}, nil, 0, []string{"No step in progress.", "1 of 14 lessons finished, 2 of", "✓  1  One request"}},
		{"no such lesson", []string{"start", "99"}, nil, 1, []string{`no lesson "99"`}},
	}
	for _, s := range steps {
		if s.do != nil {
			s.do()
		}
		out, code := lessonCmd(t, dir, s.args...)
		if code != s.code {
			t.Errorf("%s: exit code %d, want %d\n%s", s.name, code, s.code, out)
		}
		for _, w := range s.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: output lacks %q:\n%s", s.name, w, out)
			}
		}
	}
	p, err := lessons.LoadProgress(dir)
	if err != nil || p.Lessons["01-one-request"] == nil || len(p.Lessons["01-one-request"].Passed) != 2 {
		t.Errorf("progress in the workspace: got %+v, %v; want lesson 1 with 2 steps passed", p, err)
	}
}

// TestLessonTeach: teacher mode shows each step's checks before and after
// its solution, one key at a time, and asks a person to do the captcha.
func TestLessonTeach(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a lab")
	}
	lab := startLessonLab(t)
	stdin = strings.NewReader("\n\n\n\n\n\n\n")
	defer func() { stdin = os.Stdin }()
	out, code := lessonCmd(t, lab.Dir(), "teach", "1")
	if code != 0 {
		t.Fatalf("exit code %d\n%s", code, out)
	}
	for _, w := range []string{
		"Teacher mode: lesson 1", "Before:", "✗ logs/access.log", "▸ GET /login/ → 200", "After:", "✓ logs/access.log",
		"Do that in the browser for the class", "End of lesson 1.",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("teacher mode's output lacks %q:\n%s", w, out)
		}
	}
}

// TestLessonNoLab: without a running lab, the lesson commands say how to
// start one (and list still lists).
func TestLessonNoLab(t *testing.T) {
	dir := t.TempDir()
	out, code := lessonCmd(t, dir, "check")
	if code != 1 || !strings.Contains(out, "no lab is running") || !strings.Contains(out, "webflow-lab serve") {
		t.Errorf("got %d\n%s\nwant 1 and how to start the lab", code, out)
	}
	if out, code := lessonCmd(t, dir, "list"); code != 0 || !strings.Contains(out, "Troubleshooting drill") {
		t.Errorf("list without a lab: got %d\n%s", code, out)
	}
	if out, code := lessonCmd(t, dir, "--lessons", "../../lessons/testdata/teacher", "list"); code != 0 || !strings.Contains(out, "Maintenance without downtime") {
		t.Errorf("list --lessons: got %d\n%s", code, out)
	}
}

// TestLessonTextFits: every step of the built-in curriculum, as `lesson
// start` and `lesson teach` print it on an 80-column terminal, keeps its
// lines inside 80 columns (display width) and its words whole; teacher
// mode does not tell the class to run `lesson check`.
func TestLessonTextFits(t *testing.T) {
	for _, lang := range []string{"en", "zh"} {
		var out bytes.Buffer
		c := &lessonCLI{out: &out, lang: lang, width: 80}
		if err := c.load(""); err != nil {
			t.Fatal(err)
		}
		for _, l := range c.cur.Lessons {
			for _, st := range l.Steps {
				state := &lessons.StepState{Lesson: l.ID, Step: st.N, Vars: map[string]string{
					"url": "http://127.0.0.1:28380", "workspace": "/home/student/webflow-lab/workspace", "cmd": "webflow-lab", "proxy.port": "28380"}}
				for _, teacher := range []bool{false, true} {
					out.Reset()
					c.show(l, st, state, teacher)
					for i, line := range strings.Split(out.String(), "\n") {
						if w := displayWidth(line); w > 80 {
							t.Errorf("%s %d.%d: line %d is %d columns, want at most 80: %q", lang, l.N, st.N, i+1, w, line)
						}
					}
					if lang == "en" {
						text := state.Expand(c.t(st.Text))
						for _, word := range strings.Fields(text) {
							if displayWidth(word) == len(word) && len(word) < 70 && !strings.Contains(out.String(), word) {
								t.Errorf("%d.%d: the word %q is broken:\n%s", l.N, st.N, word, out.String())
							}
						}
					}
					if says := strings.Contains(out.String(), "When you are done:"); lang == "en" && says == teacher {
						t.Errorf("%d.%d teacher=%v: says `lesson check`: %v\n%s", l.N, st.N, teacher, says, out.String())
					}
				}
			}
		}
	}
}

// TestScreenLessons: the screen's --lessons DIR gives its lesson panel a
// teacher's own lessons, as `webflow-lab lesson --lessons DIR` has them; a
// folder with a mistake is shown in the panel, where and why.
func TestScreenLessons(t *testing.T) {
	var out bytes.Buffer
	if code := runTUI([]string{"--help"}, &out, &out); code == 1 || !strings.Contains(out.String(), "-lessons") {
		t.Errorf("webflow-lab --help (%d) lacks --lessons:\n%s", code, out.String())
	}
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "01-bad.lesson"), []byte("title: A broken lesson\nstep: One\ncheck: bogus thing\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cur, err := loadCurriculum(bad)
	if err == nil {
		t.Fatal("a malformed folder loads")
	}
	p := lesson.New(screenLesson(cur, err, nil, "en", "ws", false))
	p.SetSize(80, 24)
	if v := p.View(); !strings.Contains(v, "The lessons did not load") || !strings.Contains(v, "01-bad.lesson") {
		t.Errorf("the panel does not show the folder's mistake:\n%s", v)
	}
	if testing.Short() {
		t.Skip("starts a lab")
	}
	lab := startLessonLab(t)
	cur, err = loadCurriculum("../../lessons/testdata/teacher")
	cfg := screenLesson(cur, err, lab, "en", "ws", false)
	if cfg.Err != nil || cfg.Runner == nil || cfg.Curriculum.Lessons[0].Title.EN != "Maintenance without downtime" {
		t.Errorf("--lessons DIR: got %+v, want the teacher's lessons and a runner", cfg)
	}
}
