package sim

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"webflow-lab/servers/explain"
	"webflow-lab/sim/load"
	"webflow-lab/sim/traffic"
)

// Traffic inside the running lab: the controls start a line of the traffic
// spec format ("3 browsers, journey login-list, every 2s", "load /employees/
// -c 20 -d 10s") as a run of its own, in goroutines the lab owns, and stop
// it; Shutdown stops them all first. Each run's virtual users connect from
// their own loopback address (user N from 127.0.N.1), so the lab can tell
// whose a request is from its connection alone (UserOf) without adding a
// byte to it; a load run connects from 127.0.0.2, 127.0.0.3, … for the same
// reason. While traffic runs, the lab's recorder shows it the proxy's events
// (tap), and it counts which instance answered each of its requests.

// A TrafficRun is one line of traffic the lab sends (or sent), as the
// screen shows it while it runs.
type TrafficRun struct {
	ID    int
	Spec  string // the line, as the spec format writes it: "3 browsers, journey login-list, every 2s"
	Kind  string // "browse" (browsers walking a journey), "fetch" (plain requests from users), "load"
	Users [2]int // the virtual users it numbers, first and last ("user 3"); 0, 0 for a load
	From  string // where its connections come from: "127.0.1.1–127.0.3.1", "127.0.0.2"
	State TrafficState

	Started time.Time
	Ended   time.Time // zero while it runs

	Sent   int64 // requests that went out
	Cached int64 // answered from a browser's own cache: nothing was sent
	Errors int64 // requests that got no answer (refused, reset, timed out)
	Walks  int64 // journeys walked to the end (browse)
	Failed int64 // journeys (browse) or requests (fetch) that ended in an error
	Status map[int]int64

	// Latency percentiles of the answered requests so far, from the
	// load generator's histogram (each within 0.8 % of the true value).
	P50, P90, P99, Max time.Duration
	RPS                float64 // answers a second since it started

	// Instances counts where the proxy sent the run's requests: by instance
	// ("uwsgi-1"), or "proxy" for those it answered itself (a static file,
	// its own error page). Seen is how many requests were counted there:
	// those that reached the proxy.
	Instances map[string]int64
	Seen      int64

	Error explain.Text // the first error, if any
	Note  explain.Text // something to know about the run (all users share one address)
}

// TrafficState is where a run is.
type TrafficState string

const (
	TrafficRunning TrafficState = "running"
	TrafficDone    TrafficState = "done"    // it ran its course
	TrafficStopped TrafficState = "stopped" // stopped by a control, or by the lab's shutdown
	TrafficFailed  TrafficState = "failed"  // every journey or request of it failed
)

// The commands of traffic, in the lab's vocabulary (command.go lists them).
var (
	trafficCmd = Command{Name: "traffic", Args: "[SPEC LINE | stop [ID|all]]",
		Summary: explain.T("send traffic: `traffic 3 browsers, journey login-list, every 2s`; alone: what runs",
			"发送流量：`traffic 3 browsers, journey login-list, every 2s`；不带参数：列出正在运行的流量"),
		Values: []string{"stop"},
		run: func(ctx context.Context, l *Lab, a []string) (Result, error) {
			switch {
			case len(a) == 0:
				return Result{Did: explain.T("traffic", "流量"), Output: FormatTraffic(l.Traffic())}, nil
			case a[0] == "stop":
				return stopArgs(ctx, l, a[1:], "traffic stop 1")
			}
			return l.StartTraffic(ctx, strings.Join(a, " "))
		}}
	browseCmd = Command{Name: "browse", Args: "N JOURNEY [every D] [for D] [N times]",
		Summary: explain.T("N virtual browsers walk a journey: `browse 3 login-list every 2s`",
			"N 个虚拟浏览器走一遍流程：`browse 3 login-list every 2s`"),
		run: func(ctx context.Context, l *Lab, a []string) (Result, error) {
			line, ok := browseLine(a)
			if !ok {
				return Result{}, usage("browse 3 login-list every 2s")
			}
			return l.StartTraffic(ctx, line)
		}}
	loadCmd = Command{Name: "load", Args: "[METHOD] PATH [-c N] [-n N | -d D] [--rate R]",
		Summary: explain.T("the load generator on the lab, as `webflow-lab bench`: `load /employees/ -c 20 -d 10s`",
			"对实验施加负载，同 `webflow-lab bench`：`load /employees/ -c 20 -d 10s`"),
		run: func(ctx context.Context, l *Lab, a []string) (Result, error) {
			if len(a) == 0 {
				return Result{}, usage("load /employees/ -c 20 -d 10s")
			}
			return l.StartTraffic(ctx, "load "+strings.Join(a, " "))
		}}
	captchaCmd = Command{Name: "captcha", Args: "fixed:CODE|real",
		Summary: explain.T("a fixed captcha (EMS_CAPTCHA) so virtual browsers can log in, or the real one back",
			"固定验证码（EMS_CAPTCHA），让虚拟浏览器能登录；或恢复真实验证码"),
		Values: []string{"fixed:1234", "real"},
		run: func(ctx context.Context, l *Lab, a []string) (Result, error) {
			if len(a) != 1 {
				return Result{}, usage("captcha fixed:1234")
			}
			return l.SetCaptcha(ctx, a[0])
		}}
)

func stopArgs(ctx context.Context, l *Lab, a []string, example string) (Result, error) {
	id := 0
	switch {
	case len(a) == 0 || len(a) == 1 && a[0] == "all":
	case len(a) == 1:
		n, err := strconv.Atoi(a[0])
		if err != nil || n <= 0 {
			return Result{}, usage(example)
		}
		id = n
	default:
		return Result{}, usage(example)
	}
	return l.StopTraffic(ctx, id)
}

// browseLine turns `browse 3 login-list every 2s for 1m 5 times` into the
// spec's "3 browsers, journey login-list, every 2s, for 1m, 5 times".
func browseLine(a []string) (string, bool) {
	if len(a) < 2 {
		return "", false
	}
	parts := []string{a[0] + " browsers", "journey " + a[1]}
	rest := a[2:]
	for len(rest) > 0 {
		if len(rest) < 2 {
			return "", false
		}
		parts = append(parts, rest[0]+" "+rest[1])
		rest = rest[2:]
	}
	return strings.Join(parts, ", "), true
}

// StartTraffic starts every line of a traffic spec as a run of its own
// ("3 browsers, journey login-list, every 2s"; see traffic.Spec), against
// the proxy, and returns at once; Traffic and Snapshot show the runs as
// they go. A journey that registers or logs in needs the instances to run
// with a fixed captcha (`captcha fixed:1234`), since a virtual browser
// cannot read a picture; without one it is refused, and so is a spec that
// does not parse (the error names its line).
func (l *Lab) StartTraffic(ctx context.Context, spec string) (Result, error) {
	s, err := traffic.Parse("traffic", spec)
	if err != nil {
		return Result{}, err
	}
	if len(s.Items) == 0 {
		return Result{}, &explain.Error{
			What: explain.T("lab: no traffic in "+strconv.Quote(spec), "lab: "+strconv.Quote(spec)+" 中没有流量"),
			Try: explain.T("for example: traffic 3 browsers, journey login-list, every 2s",
				"例如：traffic 3 browsers, journey login-list, every 2s")}
	}
	return l.control(func() (Result, error) {
		if l.proxy == nil || len(l.proxy.Addrs()) == 0 {
			return Result{}, stateError(explain.T("lab: the proxy is stopped", "lab: 代理已停止"),
				explain.T("the lab's traffic goes through the proxy, as a browser's does", "实验的流量和浏览器一样经过代理"),
				explain.T("start it: start proxy", "先启动它：start proxy"), "")
		}
		base := "http://" + l.proxy.Addrs()[0].String()
		captcha, why := l.fixedCaptcha()
		for i, it := range s.Items {
			if b, ok := it.(*traffic.Browse); ok && captcha == "" && slices.ContainsFunc(b.Journey, needsCaptcha) {
				return Result{}, captchaError(b.Journey, why, s.Lines[i])
			}
		}
		l.traffic.rec = l.rec
		runs, err := l.traffic.start(s.Items, traffic.Options{Base: base, Captcha: captcha})
		if err != nil {
			return Result{}, err
		}
		var en, zh, eq []string
		for _, r := range runs {
			who, whoZH := "", ""
			if r.first > 0 {
				who = fmt.Sprintf(" (users %d–%d, from %s)", r.first, r.last, r.fromText)
				whoZH = fmt.Sprintf("（用户 %d–%d，来自 %s）", r.first, r.last, r.fromText)
			}
			en = append(en, fmt.Sprintf("traffic %d: %s%s", r.id, r.spec, who))
			zh = append(zh, fmt.Sprintf("流量 %d：%s%s", r.id, r.spec, whoZH))
			if v, ok := r.item.(*traffic.Load); ok {
				eq = append(eq, benchEquivalent(base, v))
			}
		}
		return l.done(Result{Did: explain.T("started "+strings.Join(en, "; "), "已开始"+strings.Join(zh, "；")),
			Equivalent: strings.Join(eq, "; ")})
	})
}

func needsCaptcha(s traffic.Step) bool { return s == traffic.Register || s == traffic.Login }

func captchaError(j traffic.Journey, why explain.Text, line int) error {
	return &explain.Error{
		What:  explain.T("lab: journey "+j.String()+" needs the captcha's answer", "lab: 流程 "+j.String()+" 需要知道验证码"),
		Where: fmt.Sprintf("traffic:%d", line),
		Why: explain.T(why.EN+"; the captcha is a picture for a person, and a virtual browser reads no pictures",
			why.ZH+"；验证码是给人看的图片，虚拟浏览器不会识图"),
		Try: explain.T("give the instances a fixed one: `captcha fixed:1234` (sets env = EMS_CAPTCHA=fixed:1234 in each uwsgi-N.ini and restarts them), or walk without registering: journey open-list",
			"给实例设置固定验证码：`captcha fixed:1234`（在每个 uwsgi-N.ini 中写入 env = EMS_CAPTCHA=fixed:1234 并重启），或者走不需要注册登录的流程：journey open-list"),
	}
}

// fixedCaptcha is the code every running instance's EMS answers to
// (EMS_CAPTCHA=fixed:CODE), or "" and why not. The caller holds l.mu.
func (l *Lab) fixedCaptcha() (string, explain.Text) {
	code := ""
	for _, in := range l.instances {
		if in.state != Running {
			continue
		}
		v := iniEnv(in, "EMS_CAPTCHA")
		c, ok := strings.CutPrefix(v, "fixed:")
		switch {
		case !ok:
			if v == "" {
				v = "real"
			}
			return "", explain.T(in.name+" draws a real captcha (EMS_CAPTCHA="+v+")", in.name+" 使用真实验证码（EMS_CAPTCHA="+v+"）")
		case code != "" && c != code:
			return "", explain.T("the instances' fixed captchas differ ("+code+", "+c+")", "各实例的固定验证码不同（"+code+"、"+c+"）")
		}
		code = c
	}
	if code == "" {
		return "", explain.T("no instance is running", "没有正在运行的实例")
	}
	return code, explain.Text{}
}

var captchaRE = regexp.MustCompile(`^(real|fixed:[0-9]{1,6})$`)

// SetCaptcha sets every instance's EMS_CAPTCHA ("fixed:1234" or "real") in
// its ini file and restarts the running ones: a fixed captcha is how the
// EMS's own tests, and the lab's virtual browsers, log in.
func (l *Lab) SetCaptcha(ctx context.Context, value string) (Result, error) {
	if !captchaRE.MatchString(value) {
		return Result{}, &explain.Error{
			What: explain.T("lab: captcha "+strconv.Quote(value), "lab: captcha "+strconv.Quote(value)),
			Why:  explain.T("EMS_CAPTCHA is real, or fixed: and 1 to 6 digits", "EMS_CAPTCHA 只能是 real，或 fixed: 加 1 到 6 位数字"),
			Try:  explain.T("captcha fixed:1234, or captcha real", "captcha fixed:1234，或 captcha real")}
	}
	return l.control(func() (Result, error) {
		var edits []fileEdit
		for _, in := range l.instances {
			e, err := setIniEnv(in.ini, "EMS_CAPTCHA", value)
			if err != nil {
				return Result{}, err
			}
			edits = append(edits, e)
		}
		did := explain.T("every instance draws a real captcha again", "所有实例重新使用真实验证码")
		if code, ok := strings.CutPrefix(value, "fixed:"); ok {
			did = explain.T("every instance's captcha is now always "+code+": virtual browsers (and lesson checks) can log in",
				"所有实例的验证码固定为 "+code+"：虚拟浏览器（和课程检查）可以登录了")
		}
		return l.editAndRestart(ctx, did, "edit env = EMS_CAPTCHA="+value+" in each ini, then uwsgi --reload", edits, l.instances)
	})
}

func benchEquivalent(base string, v *traffic.Load) string {
	var b strings.Builder
	fmt.Fprintf(&b, "webflow-lab bench %s%s", base, v.Path)
	if v.Method != "" && v.Method != "GET" {
		fmt.Fprintf(&b, " -m %s", v.Method)
	}
	if v.Connections > 0 {
		fmt.Fprintf(&b, " -c %d", v.Connections)
	}
	if v.Requests > 0 {
		fmt.Fprintf(&b, " -n %d", v.Requests)
	}
	if v.Duration > 0 {
		fmt.Fprintf(&b, " -d %s", v.Duration)
	}
	if v.Rate > 0 {
		fmt.Fprintf(&b, " --rate %g", v.Rate)
	}
	return b.String()
}

// StopTraffic stops run id (0: every run), waits until its requests in
// flight have been abandoned, and says what it did.
func (l *Lab) StopTraffic(ctx context.Context, id int) (Result, error) {
	runs, err := l.traffic.stop(id)
	if err != nil {
		return Result{}, err
	}
	for _, r := range runs {
		select {
		case <-r.done:
		case <-ctx.Done():
			return Result{}, ctx.Err()
		}
	}
	var en, zh []string
	for _, r := range runs {
		st := r.view()
		en = append(en, fmt.Sprintf("traffic %d (%s) after %s", r.id, r.spec, summaryEN(st)))
		zh = append(zh, fmt.Sprintf("流量 %d（%s），%s", r.id, r.spec, summaryZH(st)))
	}
	return l.control(func() (Result, error) {
		return l.done(Result{Did: explain.T("stopped "+strings.Join(en, "; "), "已停止"+strings.Join(zh, "；"))})
	})
}

func summaryEN(t TrafficRun) string {
	return fmt.Sprintf("%d requests (%s), %d errors, p50 %s p99 %s", t.Sent, statusText(t.Status), t.Errors, load.Dur(t.P50), load.Dur(t.P99))
}

func summaryZH(t TrafficRun) string {
	return fmt.Sprintf("共 %d 个请求（%s），%d 个错误，p50 %s p99 %s", t.Sent, statusText(t.Status), t.Errors, load.Dur(t.P50), load.Dur(t.P99))
}

func statusText(m map[int]int64) string {
	var parts []string
	for _, code := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%d: %d", code, m[code]))
	}
	return strings.Join(parts, ", ")
}

// Traffic returns the lab's traffic runs, running and recently ended, in
// the order they started. It never waits for a control.
func (l *Lab) Traffic() []TrafficRun {
	l.traffic.mu.Lock()
	runs := slices.Clone(l.traffic.runs)
	l.traffic.mu.Unlock()
	out := make([]TrafficRun, 0, len(runs))
	for _, r := range runs {
		out = append(out, r.view())
	}
	return out
}

// UserOf names the virtual user a connection came from: N for the lab's
// virtual browser "user N", 0 for anyone else (a learner's own browser,
// curl, the load generator). conn is an event's Conn as the proxy reports
// a browser's arrival ("127.0.3.1:40112→127.0.0.1:8080"), or the client's
// address alone. User N connects from 127.0.N.1, so the address says it;
// where the system has only 127.0.0.1 (macOS), the lab knows the source
// ports of its browsers' open connections instead, and a connection that
// has closed is no one's.
func (l *Lab) UserOf(conn string) int {
	client, _, _ := strings.Cut(conn, "→")
	return l.traffic.users.Who(client)
}

// FormatTraffic renders the runs as plain text lines, for `traffic` and
// `webflow-lab ctl traffic`.
func FormatTraffic(runs []TrafficRun) string {
	if len(runs) == 0 {
		return "no traffic: start some with `traffic 3 browsers, journey login-list, every 2s` or `load /employees/ -c 10 -d 10s`\n"
	}
	var b strings.Builder
	for _, t := range runs {
		fmt.Fprintf(&b, "traffic %d  %-8s %s\n", t.ID, t.State, t.Spec)
		if t.Users[0] > 0 {
			fmt.Fprintf(&b, "          users %d–%d from %s\n", t.Users[0], t.Users[1], t.From)
		} else {
			fmt.Fprintf(&b, "          from %s\n", t.From)
		}
		fmt.Fprintf(&b, "          %d sent", t.Sent)
		if t.Cached > 0 {
			fmt.Fprintf(&b, ", %d from cache", t.Cached)
		}
		if t.Kind == "browse" {
			fmt.Fprintf(&b, ", %d journeys", t.Walks)
		}
		fmt.Fprintf(&b, ", %d errors, %.1f req/s; status %s\n", t.Errors, t.RPS, statusText(t.Status))
		fmt.Fprintf(&b, "          latency p50 %s  p90 %s  p99 %s  max %s\n", load.Dur(t.P50), load.Dur(t.P90), load.Dur(t.P99), load.Dur(t.Max))
		if len(t.Instances) > 0 {
			var parts []string
			for _, name := range slices.Sorted(maps.Keys(t.Instances)) {
				parts = append(parts, fmt.Sprintf("%s %d", name, t.Instances[name]))
			}
			fmt.Fprintf(&b, "          served by %s\n", strings.Join(parts, ", "))
		}
		if t.Error != (explain.Text{}) {
			fmt.Fprintf(&b, "          error: %s\n", t.Error.EN)
		}
		if t.Note != (explain.Text{}) {
			fmt.Fprintf(&b, "          note: %s\n", t.Note.EN)
		}
	}
	return b.String()
}
