// Package tui is webflow-lab's screen: a bubbletea program that is a client
// of the lab and nothing more. It shows the deployment as boxes with each
// request moving along the edges on a slowed clock that replays its real hop
// times, the request list, a waterfall of the selected request, the bytes of
// each hop, the real log files, per-instance stats and breakpoints; and it
// drives the lab's controls, each echoed with its real equivalent.
//
// Everything it knows of the lab comes through the Lab interface (lab.go):
// a snapshot, a bounded stream of hop events, controls by name. Events reach
// the program through a command that waits on the stream and is re-armed
// after each delivery (never Program.Send from a server goroutine), at most
// about 30 deliveries a second; the animation ticks only while something
// moves, so an idle lab costs no frames.
package tui

import (
	"context"
	"os/exec"
	"time"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"webflow-lab/servers/trace"
	"webflow-lab/tui/breakpoints"
	"webflow-lab/tui/flow"
	"webflow-lab/tui/i18n"
	"webflow-lab/tui/inspector"
	"webflow-lab/tui/lesson"
	"webflow-lab/tui/logs"
	"webflow-lab/tui/requests"
	"webflow-lab/tui/snap"
	"webflow-lab/tui/stats"
	"webflow-lab/tui/theme"
	"webflow-lab/tui/topology"
	"webflow-lab/tui/traffic"
	"webflow-lab/tui/waterfall"
)

// Options configure the screen.
type Options struct {
	Lang      i18n.Lang
	Theme     theme.Options
	FirstRun  bool // show the welcome
	Presenter bool // projector mode: fewer panels, slower, keys always shown
	// Start starts (or restarts, after a fix) the lab. Nil: the lab given to
	// New is all there is.
	Start func(ctx context.Context) (Lab, error)
	// Getenv reads $VISUAL and $EDITOR (tests pass their own).
	Getenv func(string) string
	// Exec runs the editor, the screen paused meanwhile; nil is
	// tea.ExecProcess (tests see the command instead).
	Exec func(*exec.Cmd, tea.ExecCallback) tea.Cmd
	// Now is the wall clock (tests fix it).
	Now func() time.Time
	// Lesson configures the lesson panel for the lab now running (its
	// runner works on that lab); nil, or ok false: no lesson panel.
	Lesson func() (cfg lesson.Config, ok bool)
	// Teacher lets the lesson panel apply a step's solution (s).
	Teacher bool
}

// focus is the panel that takes keys.
type focus int

const (
	focusTopology focus = iota
	focusRequests
	focusDetail
	focusLesson // the lesson panel, when shown
)

// detail is what the right-hand (or second) panel shows.
type detail int

const (
	detWaterfall detail = iota
	detHTTP
	detUwsgi
	detEnviron
	detSQL
	detLogs
	detStats
	detBreakpoints
	detTraffic
	numDetails
)

// overlay is what covers the screen.
type overlay int

const (
	overNone overlay = iota
	overHelp
	overWelcome
	overError
	overOutput // a command's output
)

// input is what the bottom line is editing.
type input int

const (
	inputNone input = iota
	inputCommand
	inputFilter
)

// Model is the root model.
type Model struct {
	opts   Options
	lab    Lab
	startE error // why the lab did not start
	ctx    context.Context
	cancel context.CancelFunc
	watch  Watcher
	th     theme.Theme
	lang   i18n.Lang
	w, h   int

	snap        snap.Snapshot
	snapAt      time.Time
	prevReqs    map[string]int64
	rps         map[string]float64
	store       *flow.Store
	buf         []trace.Event
	dropped     int64
	skippedReqs int64 // whole requests the event stream did not follow
	busy        bool  // the last delivery said the lab is under load
	browsers    []string

	// the replay
	replay   flow.Replay
	anims    []anim
	clock    time.Duration // the replay's screen clock
	lastTick time.Time
	speed    int // index into speeds
	paused   bool
	ticking  bool
	living   bool  // the live refresh is armed
	skipped  int64 // requests not animated because too many were moving

	focus      focus
	det        detail
	over       overlay
	overErr    error // the error overlay's error
	outTitle   string
	outLines   []string // the output overlay's text
	overTop    int      // the help's or output's first line shown
	overMax    int      // its last possible first line
	inst       int      // the instance selected in the topology
	input      input
	ti         textinput.Model
	status     string // the last action and its real equivalent
	statusOK   bool
	statusOf   func(i18n.Lang) string // renders status in a language (status.go)
	statusWas  string                 // status as statusOf last rendered it
	cands      []string               // the last tab's candidates, shown above the ':' line
	statusAt   time.Time              // when a control last wrote the status line
	seenAction time.Time              // the newest of the lab's actions already logged
	startedAt  time.Time              // actions before this one happened before the screen
	actions    []string
	// typedAs is the ':' command a single key ran, by its result's time,
	// for results that name no real equivalent
	typedAs      map[int64]string
	captchaOffer bool // w refused for the captcha: w again sets a fixed one first

	topo     topology.Model
	reqs     requests.Model
	wf       waterfall.Model
	insp     inspector.Model
	logs     logs.Model
	stats    stats.Model
	bps      breakpoints.Model
	traffic  traffic.Model
	lesson   *lesson.Model // nil: no lessons (a recording, or the lab did not start)
	lessonOn bool
	// lessonPolling: a poll of the saved progress is armed (lessonpanel.go)
	lessonPolling bool
	tail          logs.Tail
	reading       bool // a log read is on its way

	// where panels were drawn, for the mouse
	areas layoutAreas
}

type anim struct {
	id    string
	start time.Duration
}

// speeds are the replay's speeds: 1 is DefaultReplay (1 ms shown as 1 s).
var speeds = []float64{0.25, 0.5, 1, 2, 4}

// New returns the screen for lab (nil when it did not start: startErr says
// why, and the screen offers to fix it).
func New(lab Lab, startErr error, opts Options) *Model {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Exec == nil {
		opts.Exec = tea.ExecProcess
	}
	if opts.Getenv == nil {
		opts.Getenv = func(string) string { return "" }
	}
	if opts.Lang == "" {
		opts.Lang = i18n.EN
	}
	opts.Theme.Presenter = opts.Presenter || opts.Theme.Presenter
	th := theme.New(opts.Theme)
	m := &Model{opts: opts, th: th, lang: opts.Lang, store: flow.NewStore(500), replay: flow.DefaultReplay,
		speed: 2, prevReqs: map[string]int64{}, rps: map[string]float64{}, tail: logs.Tail{}, typedAs: map[int64]string{}}
	if opts.Presenter {
		m.speed = 1
	}
	m.store.Now = opts.Now
	m.startedAt = opts.Now()
	m.ctx, m.cancel = context.WithCancel(context.Background())
	m.ti = textinput.New()
	m.topo = topology.New(th, m.lang)
	m.reqs = requests.New(th, m.lang, m.store)
	m.wf = waterfall.New(th, m.lang)
	m.insp = inspector.New(th, m.lang)
	m.logs = logs.New(th, m.lang)
	m.stats = stats.New(th, m.lang)
	m.bps = breakpoints.New(th, m.lang)
	m.traffic = traffic.New(th, m.lang)
	m.focus = focusRequests
	m.setLab(lab, startErr)
	if opts.FirstRun && lab != nil {
		m.over = overWelcome
	}
	return m
}

// setLab switches to a (re)started lab, or to the error screen.
func (m *Model) setLab(lab Lab, err error) {
	if m.watch != nil {
		m.watch.Close()
		m.watch = nil
	}
	m.lab, m.startE = lab, err
	if lab == nil {
		m.over, m.overErr = overError, err
		return
	}
	if m.over == overError {
		m.over, m.overErr = overNone, nil
	}
	m.watch = lab.Watch(watchBuffer)
	m.store.UserOf = lab.UserOf
	m.refreshSnap(true)
	m.openLesson()
	if rec := m.snap.Recording; rec != nil {
		created := rec.Created
		m.store.SeenAt = func(at time.Duration) time.Time { return created.Add(at) }
	}
}

// Close ends the event stream (the lab itself belongs to whoever started it).
func (m *Model) Close() {
	m.cancel()
	if m.watch != nil {
		m.watch.Close()
	}
}

// Lab returns the lab the screen ended with (a retry may have started a new one).
func (m *Model) Lab() Lab { return m.lab }

// Init starts the event stream and the first log read.
func (m *Model) Init() tea.Cmd {
	return tea.Batch(m.waitEvents(time.Time{}), m.readLogs(0), m.startLive())
}

func (m *Model) refreshSnap(force bool) {
	if m.lab == nil {
		return
	}
	now := m.opts.Now()
	if !force && now.Sub(m.snapAt) < 250*time.Millisecond {
		return
	}
	s := m.lab.Snapshot()
	if dt := now.Sub(m.snapAt).Seconds(); dt > 0 && !m.snapAt.IsZero() {
		for _, in := range s.Instances {
			if prev, ok := m.prevReqs[in.Name]; ok && in.Requests >= prev {
				// smooth over the sample, as uwsgitop does between reads
				m.rps[in.Name] = float64(in.Requests-prev) / dt
			}
		}
	}
	for _, in := range s.Instances {
		m.prevReqs[in.Name] = in.Requests
	}
	m.snap, m.snapAt = s, now
	// what the lab's controls did, from anywhere: this screen, a lesson, a
	// command typed in another terminal
	for _, a := range s.Actions {
		if a.At.After(m.seenAction) {
			m.seenAction = a.At
			if !a.At.Before(m.startedAt) {
				m.logAction(a.Did, a.Equivalent, m.typedAs[a.At.UnixNano()])
			}
		}
	}
	m.store.Resolve = s.InstanceByAddr
	m.inst = min(m.inst, max(len(s.Instances)-1, 0))
}

// setLang switches every panel's language.
func (m *Model) setLang(l i18n.Lang) {
	m.lang = l
	m.topo.SetLang(l)
	m.reqs.SetLang(l)
	m.wf.SetLang(l)
	m.insp.SetLang(l)
	m.logs.SetLang(l)
	m.stats.SetLang(l)
	m.bps.SetLang(l)
	m.traffic.SetLang(l)
	if m.lesson != nil {
		m.lesson.SetLang(l.Code())
	}
	m.restatus()
}

// Lang is the screen's language.
func (m *Model) Lang() i18n.Lang { return m.lang }

// RunCommandMsg asks the screen to run a lab control, as if typed after ':'
// — how a signal from a real command (`webflow-lab proxy -s reload`) reaches
// the running screen.
type RunCommandMsg struct{ Command string }

// reapplyTheme hands m.th to every panel.
func (m *Model) reapplyTheme() {
	m.topo.SetTheme(m.th)
	m.reqs.SetTheme(m.th)
	m.wf.SetTheme(m.th)
	m.insp.SetTheme(m.th)
	m.logs.SetTheme(m.th)
	m.stats.SetTheme(m.th)
	m.bps.SetTheme(m.th)
	m.traffic.SetTheme(m.th)
}

// watchBuffer is how many per-request events may wait for the screen. The
// lab follows whole requests while fewer wait (trace.Broker.Subscribe), so
// under load the screen shows a sample of whole requests and counts the
// rest; 1024 events are a few seconds of a learner's clicking and about
// 80 requests per delivery.
const watchBuffer = 1024
