package tui

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"webflow-lab/servers/explain"
	"webflow-lab/tui/logs"
	"webflow-lab/tui/snap"
	"webflow-lab/tui/traffic"
)

type (
	// controlDoneMsg is a control's outcome.
	controlDoneMsg struct {
		command string
		key     bool // sent by a single key, not typed
		res     snap.Result
		err     error
	}
	// controlsDoneMsg is the outcomes of controls run one after another.
	controlsDoneMsg []controlDoneMsg
	// requestSentMsg is the answer to a request the screen sent itself.
	requestSentMsg struct {
		path   string
		status int
		err    error
	}
	// editorClosedMsg says the editor returned.
	editorClosedMsg struct {
		file string
		err  error
	}
	// labStartedMsg is a retry's outcome.
	labStartedMsg struct {
		lab Lab
		err error
	}
)

func itoa(i int) string { return strconv.Itoa(i) }

// run sends a command typed on the ':' line (or sent by a real command's
// signal) to the lab in the background.
func (m *Model) run(command string) tea.Cmd { return m.control(false, command) }

// runKey sends the command behind a single key: when the lab names no
// real equivalent, the echo names the ':' command instead, so the key
// teaches the command line.
func (m *Model) runKey(command string) tea.Cmd { return m.control(true, command) }

// control runs commands in order in the background, until one fails.
func (m *Model) control(key bool, commands ...string) tea.Cmd {
	if m.lab == nil {
		return nil
	}
	lab, ctx := m.lab, m.ctx
	m.sayKey(true, "status.running", strings.Join(commands, "; "))
	return func() tea.Msg {
		var out controlsDoneMsg
		for _, c := range commands {
			ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			res, err := lab.Do(ctx, c)
			cancel()
			out = append(out, controlDoneMsg{command: c, key: key, res: res, err: err})
			if err != nil {
				break
			}
		}
		if len(out) == 1 {
			return out[0]
		}
		return out
	}
}

func (m *Model) onControl(msg controlDoneMsg) tea.Cmd {
	if msg.err == nil && msg.key && msg.res.Equivalent == "" && !msg.res.At.IsZero() {
		m.typedAs[msg.res.At.UnixNano()] = msg.command
	}
	m.refreshSnap(true)
	if msg.err != nil {
		if msg.command == traffic.WalkCommand && captchaRefusal(msg.err) {
			// a virtual browser cannot read the captcha: offer the fix on
			// the same key rather than an error to read
			m.captchaOffer = true
			m.sayKey(false, "status.captcha", traffic.CaptchaCommand)
			m.logs.Append(logs.Actions, []string{m.opts.Now().Format("15:04:05") + "  " + msg.command + ": " +
				firstLine(errText(msg.err, m.lang.Code()))})
			return nil
		}
		var e *explain.Error
		if errors.As(msg.err, &e) && (e.Where != "" || e.Why.EN != "") {
			m.over, m.overErr = overError, msg.err
		}
		m.sayErr(msg.err)
		m.logs.Append(logs.Actions, []string{m.opts.Now().Format("15:04:05") + "  " + msg.command + ": " + m.status})
		return nil
	}
	switch msg.command {
	case "pause", "resume", "restart":
		if m.snap.Recording != nil {
			m.paused = msg.command == "pause"
			if msg.command == "restart" {
				m.forgetRequests() // the recording's requests come again
			}
		}
	}
	if msg.res.At.IsZero() || msg.res.At.After(m.seenAction) {
		eq := msg.res.Equivalent
		m.logAction(msg.res.Did, eq, m.typedAs[msg.res.At.UnixNano()])
		if msg.res.At.After(m.seenAction) {
			m.seenAction = msg.res.At
		}
	}
	m.logDetails(msg.res)
	if msg.res.Output != "" && !msg.key {
		m.showOutput(":"+msg.command, msg.res.Output)
	}
	return tea.Batch(m.readLogs(100*time.Millisecond), m.startLive(), m.startTicking())
}

// forgetRequests empties the request list and the animation.
func (m *Model) forgetRequests() {
	m.store.Reset()
	m.anims, m.browsers = nil, nil
	m.reqs.Follow()
}

// logDetails adds a result's config diff and output to the action log,
// indented under it.
func (m *Model) logDetails(r snap.Result) {
	var lines []string
	for _, text := range []string{r.Diff, r.Output} {
		for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
			if l != "" {
				lines = append(lines, "          "+l)
			}
		}
	}
	if len(lines) > 0 {
		m.logs.Append(logs.Actions, lines)
	}
}

// captchaRefusal reports whether err is the lab refusing a journey that
// logs in while the instances draw a real captcha.
func captchaRefusal(err error) bool {
	var e *explain.Error
	return errors.As(err, &e) && strings.Contains(e.Try.EN, traffic.CaptchaCommand)
}

// walk starts virtual browsers on a journey; after the lab refused one
// for want of a fixed captcha, the same key sets it first.
func (m *Model) walk() tea.Cmd {
	m.det = detTraffic
	if m.captchaOffer {
		m.captchaOffer = false
		return m.control(true, traffic.CaptchaCommand, traffic.WalkCommand)
	}
	return m.runKey(traffic.WalkCommand)
}

// toggleStatic breaks the static path the course's way, or fixes it.
func (m *Model) toggleStatic() tea.Cmd {
	return m.runKey("static toggle") // the config says which: another client may have changed it
}

// killInstance kills the selected instance (kill -9).
func (m *Model) killInstance() tea.Cmd {
	if len(m.snap.Instances) == 0 {
		return nil
	}
	return m.runKey("kill " + m.snap.Instances[min(m.inst, len(m.snap.Instances)-1)].Name)
}

func errText(err error, lang string) string {
	var e *explain.Error
	if errors.As(err, &e) {
		return e.Block(lang)
	}
	return err.Error()
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// toggleInstance stops the selected instance, or starts it when stopped.
func (m *Model) toggleInstance() tea.Cmd {
	if len(m.snap.Instances) == 0 {
		return nil
	}
	in := m.snap.Instances[min(m.inst, len(m.snap.Instances)-1)]
	if in.State == snap.Running {
		return m.runKey("stop " + in.Name)
	}
	return m.runKey("start " + in.Name)
}

// firstPath is what g sends: the EMS's "is this username taken?" check,
// which the register form calls as one types. Unlike "/" (a redirect the
// app answers alone) it goes all the way to the database and back, as the
// welcome promises, without changing anything there.
const firstPath = "/api/check-username/?username=admin"

// sendRequest sends GET path through the proxy, as a browser would: the
// newcomer's first animated request is one key away.
func (m *Model) sendRequest(path string) tea.Cmd {
	if m.snap.Recording != nil {
		return m.runKey("send " + path) // the recording says why it cannot
	}
	url := m.snap.URL
	if m.lab == nil || url == "" {
		m.sayKey(false, "status.noproxy")
		return nil
	}
	m.sayKey(true, "status.sending", "GET "+path, url)
	m.reqs.Follow() // the request about to appear is the one to watch
	ctx := m.ctx
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Minute) // a breakpoint may hold it a while
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+path, nil)
		if err != nil {
			return requestSentMsg{path: path, err: err}
		}
		req.Header.Set("User-Agent", "webflow-lab (you, from the TUI)")
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.Do(req)
		if err != nil {
			return requestSentMsg{path: path, err: err}
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return requestSentMsg{path: path, status: resp.StatusCode}
	}
}

func (m *Model) onSent(msg requestSentMsg) {
	if msg.err != nil {
		m.sayKey(false, "status.sendfailed", "GET "+msg.path, msg.err)
		return
	}
	m.sayKey(msg.status < 500, "status.sent", "GET "+msg.path, msg.status, m.snap.URL+msg.path)
}

// editor returns the learner's editor: $VISUAL, then $EDITOR, then on
// Windows Notepad (always there; Unix has no editor every newcomer can
// leave, so there the screen asks for one).
func (m *Model) editor() []string {
	for _, k := range []string{"VISUAL", "EDITOR"} {
		if ed := editorCommand(m.opts.Getenv(k)); ed != nil {
			return ed
		}
	}
	if runtime.GOOS == "windows" {
		return []string{"notepad"}
	}
	return nil
}

// editorCommand splits an $EDITOR value into program and arguments the way
// a learner writes it: `vim`, `code --wait`, a program path with spaces
// (C:\Program Files\Notepad++\notepad++.exe, as it is when nothing is
// quoted) or a quoted one followed by arguments.
func editorCommand(v string) []string {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	if q := v[0]; q == '"' || q == '\'' {
		if prog, rest, ok := strings.Cut(v[1:], string(q)); ok {
			return append([]string{prog}, strings.Fields(rest)...)
		}
	}
	if _, err := os.Stat(v); err == nil {
		return []string{v}
	}
	return strings.Fields(v)
}

// editConfig opens the config that fits the focus: the selected
// instance's ini from the topology, nginx.conf otherwise.
func (m *Model) editConfig() tea.Cmd {
	if m.snap.Recording != nil {
		return m.runKey("edit") // the recording says why it cannot
	}
	if m.focus == focusTopology && len(m.snap.Instances) > 0 {
		return m.editFile(m.snap.Instances[min(m.inst, len(m.snap.Instances)-1)].Ini)
	}
	f := m.snap.Proxy.ConfFile
	if f == "" && m.snap.Dir != "" {
		f = filepath.Join(m.snap.Dir, "nginx.conf")
	}
	// the upstream block lives in an included file: open that one
	if len(m.snap.Upstreams) > 0 {
		if file, _ := splitWhere(m.snap.Upstreams[0].Where); file != "" {
			f = file
		}
	}
	return m.editFile(f)
}

// editFile runs the editor on file (file:line opens at the line where the
// editor takes +N) and reloads what it edited when the editor returns.
func (m *Model) editFile(where string) tea.Cmd {
	ed := m.editor()
	if where == "" {
		m.sayKey(false, "status.nofile")
		return nil
	}
	file, line := splitWhere(where)
	if !filepath.IsAbs(file) && m.snap.Dir != "" {
		// the lab names files relative to its workspace; the editor runs
		// in the terminal's folder, which need not be the workspace
		file = filepath.Join(m.snap.Dir, file)
	}
	if ed == nil {
		m.sayKey(false, "status.noeditor", file)
		return nil
	}
	if _, err := exec.LookPath(ed[0]); err != nil {
		m.sayKey(false, "status.editorfailed", strings.Join(ed, " "), err)
		return nil
	}
	args := append([]string(nil), ed[1:]...)
	if line > 0 && takesPlusLine(ed[0]) {
		args = append(args, "+"+strconv.Itoa(line))
	}
	args = append(args, file)
	c := exec.Command(ed[0], args...)
	return m.opts.Exec(c, func(err error) tea.Msg { return editorClosedMsg{file: file, err: err} })
}

func takesPlusLine(ed string) bool {
	switch strings.TrimSuffix(strings.ToLower(filepath.Base(ed)), ".exe") {
	case "vi", "vim", "nvim", "nano", "emacs", "micro", "kak", "joe", "mg", "ne", "hx", "helix":
		return true
	}
	return false
}

// splitWhere splits "path:line" at its last colon (a Windows path has one
// after its drive letter); with no line after it, where is all path.
func splitWhere(w string) (string, int) {
	i := strings.LastIndex(w, ":")
	if i < 0 {
		return w, 0
	}
	n, err := strconv.Atoi(strings.TrimSpace(w[i+1:]))
	if err != nil {
		return w, 0
	}
	return w[:i], n
}

// afterEdit reloads what the learner edited: nginx.conf or an included
// file → reload the proxy; uwsgi-N.ini → restart that instance; with no
// lab yet → retry starting it.
func (m *Model) afterEdit(msg editorClosedMsg) tea.Cmd {
	if msg.err != nil {
		m.sayKey(false, "status.editorfailed", strings.Join(m.editor(), " "), msg.err)
		return nil
	}
	if m.lab == nil {
		return m.retry()
	}
	base := filepath.Base(msg.file)
	if strings.HasSuffix(base, ".ini") {
		return m.run("restart " + strings.TrimSuffix(base, ".ini"))
	}
	return m.run("reload")
}

// retry starts the lab again (after a fix).
func (m *Model) retry() tea.Cmd {
	if m.opts.Start == nil {
		return nil
	}
	start := m.opts.Start
	m.sayKey(true, "status.starting")
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		lab, err := start(ctx)
		return labStartedMsg{lab: lab, err: err}
	}
}

func (m *Model) onStarted(msg labStartedMsg) tea.Cmd {
	if msg.err != nil {
		m.overErr = msg.err
		m.sayKey(false, "status.stillfails")
		return nil
	}
	m.setLab(msg.lab, nil)
	m.sayKey(true, "status.started")
	return tea.Batch(m.waitEvents(time.Time{}), m.readLogs(0), m.startLive())
}

// errorFile is the file to open to fix err: its Where (file:line), else the
// workspace's nginx.conf.
func errorFile(err error, s snap.Snapshot) string {
	var e *explain.Error
	if errors.As(err, &e) && e.Where != "" {
		// "conf.d/ems.conf:10", "uwsgi-1.ini: http = 127.0.0.1:9000"
		w := strings.TrimSuffix(strings.Fields(e.Where)[0], ":")
		if file, _ := splitWhere(w); strings.HasSuffix(file, ".conf") || strings.HasSuffix(file, ".ini") ||
			strings.Contains(file, "/") {
			if !filepath.IsAbs(file) && s.Dir != "" {
				return filepath.Join(s.Dir, w)
			}
			return w
		}
	}
	if s.Dir != "" {
		return filepath.Join(s.Dir, "nginx.conf")
	}
	return ""
}

// selectFromLog selects the request a log line was written for.
func (m *Model) selectFromLog(line string) {
	if r := logs.FindRequest(m.store.All(), line); r != nil {
		m.reqs.Select(r.ID)
		m.sayKey(true, "status.fromlog", r.Seq)
		return
	}
	m.sayKey(false, "status.nolinkedreq")
}

func errorsAs(err error, target any) bool { return err != nil && errors.As(err, target) }
