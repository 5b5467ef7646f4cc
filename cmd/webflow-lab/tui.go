package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/term"

	"webflow-lab/lessons"
	"webflow-lab/sim"
	"webflow-lab/tui"
	"webflow-lab/tui/i18n"
	"webflow-lab/tui/lesson"
	"webflow-lab/tui/theme"
)

// runTUI is `webflow-lab` with no command: the lab and its screen. A lab
// that cannot start (a busy port, a broken config) still opens the screen,
// with the error in full and a way to fix it; quitting stops everything
// this process started.
func runTUI(args []string, stdout, stderr io.Writer) int {
	args, stopProfile, ok := withCPUProfile(args, stderr)
	if !ok {
		return 2
	}
	defer stopProfile()
	fs := flagSet("", stderr)
	dir := fs.String("workspace", "workspace", "the lab's workspace folder (created from the defaults if missing)")
	lang := fs.String("lang", "", "the screen's language, en or zh (default: from LC_ALL, LC_MESSAGES or LANG)")
	ascii := fs.Bool("ascii", false, "draw with ASCII only: for terminals that draw box characters badly or count ─ · → as two cells")
	presenter := fs.Bool("presenter", false, "projector mode: fewer panels, a slower replay, the keys always shown")
	teacher := fs.Bool("teacher", false, "the lesson panel's s applies a step's solution, so the class sees the lab before and after")
	port := fs.Int("port", sim.DefaultPorts.Proxy, "the proxy's port, written into a new workspace (as serve --port)")
	from := fs.String("lessons", "", "a folder of your own .lesson files instead of the built-in curriculum (as `webflow-lab lesson --lessons`)")
	appPort := fs.Int("app-port", sim.DefaultPorts.Instances[0].HTTP, "the first app server's http port, written into a new workspace (as serve --app-port)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: webflow-lab [--workspace DIR] [--lang en|zh] [--ascii] [--presenter] [--teacher] [--lessons DIR] [--port 8080] [--app-port 9000]\n\n")
		fmt.Fprintf(fs.Output(), "Starts the lab (as `serve` does) and its screen. NO_COLOR turns colour off.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitCode(err)
	}
	if !term.IsTerminal(os.Stdout.Fd()) || !term.IsTerminal(os.Stdin.Fd()) {
		fmt.Fprintln(stderr, "webflow-lab: not a terminal; running the lab as `webflow-lab serve` (see --help)")
		return runServe([]string{"--workspace", *dir}, stdout, stderr)
	}
	l := i18n.FromEnv()
	if *lang != "" {
		l = i18n.Parse(*lang)
	}

	// the lab this process started, whichever start (first or a retry) made it
	var mu sync.Mutex
	var running *sim.Lab
	opts := sim.Options{Ports: sim.PortsFrom(*port, *appPort)}
	start := func(ctx context.Context) (tui.Lab, error) {
		lab, err := sim.StartWith(*dir, opts)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		running = lab
		mu.Unlock()
		return tui.NewSimLab(lab), nil
	}
	lab, err := start(context.Background())
	firstRun := false
	mu.Lock()
	if running != nil {
		firstRun = running.Created()
	}
	mu.Unlock()
	th := theme.OptionsFromEnv()
	th.ASCII = *ascii
	// the lesson panel works on the lab this process runs, through the
	// same runner as `webflow-lab lesson`; a --lessons folder that does
	// not load is shown in the panel, and the lab runs on
	cur, curErr := loadCurriculum(*from)
	lessonCfg := func() (lesson.Config, bool) {
		mu.Lock()
		lab := running
		mu.Unlock()
		if lab == nil {
			return lesson.Config{}, false
		}
		return screenLesson(cur, curErr, lab, l.Code(), *dir, *teacher), true
	}
	m := tui.New(lab, err, tui.Options{Lang: l, Theme: th, FirstRun: firstRun, Presenter: *presenter,
		Start: start, Getenv: os.Getenv, Lesson: lessonCfg, Teacher: *teacher})
	p := tea.NewProgram(m, tea.WithFPS(60))

	// The lab's pid files name this process, so the real commands land
	// here as in `serve`: SIGHUP (`proxy -s reload`, `uwsgi --reload`)
	// reloads, SIGUSR1 reopens the proxy's logs, SIGQUIT and SIGTERM
	// (`-s quit`, `uwsgi --stop`) quit.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGHUP, sigReopen, syscall.SIGQUIT, syscall.SIGTERM)
	done := make(chan struct{})
	var sigWG sync.WaitGroup
	sigWG.Add(1)
	go func() {
		defer sigWG.Done()
		for {
			select {
			case <-done:
				return
			case sig := <-sigs:
				switch sig {
				case syscall.SIGHUP:
					// SIGHUP is also the terminal hanging up (its window
					// closed, tmux killed): then there is no screen to run
					// and the lab stops with it, as a foreground nginx does.
					if _, _, err := term.GetSize(os.Stdout.Fd()); err != nil {
						p.Quit()
						continue
					}
					p.Send(tui.RunCommandMsg{Command: "reload-all"})
				case sigReopen:
					p.Send(tui.RunCommandMsg{Command: "reload-logs"})
				default:
					p.Quit()
				}
			}
		}
	}()
	_, runErr := p.Run()
	signal.Stop(sigs)
	close(done)
	sigWG.Wait()
	m.Close()

	code := 0
	if runErr != nil {
		fmt.Fprintln(stderr, "webflow-lab:", runErr)
		code = 1
	}
	mu.Lock()
	defer mu.Unlock()
	if running != nil {
		fmt.Fprintln(stdout, "webflow-lab: stopping (in-flight requests finish first)")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := running.Shutdown(ctx); err != nil {
			fmt.Fprintln(stderr, err)
			code = 1
		}
	}
	return code
}

// screenLesson is the lesson panel's setup for the lab running in this
// process: curriculum cur (or the error loading it), the progress saved in
// lab's workspace (ws as the learner typed it), the runner.
func screenLesson(cur *lessons.Curriculum, curErr error, lab *sim.Lab, lang, ws string, teacher bool) lesson.Config {
	cfg := lesson.Config{Curriculum: cur, Err: curErr, Teacher: teacher}
	if curErr != nil {
		return cfg
	}
	prog, err := lessons.LoadProgress(lab.Dir())
	if err != nil {
		cfg.Err = err
		return cfg
	}
	cfg.Progress = prog
	cfg.Runner = &lessons.Runner{Lab: lessons.Local(lab), Lang: lang, Workspace: ws, Cmd: selfCommand()}
	return cfg
}
