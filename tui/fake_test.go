package tui

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"webflow-lab/servers/explain"
	"webflow-lab/servers/trace"
	"webflow-lab/servers/uwsgiproto"
	"webflow-lab/tui/i18n"
	"webflow-lab/tui/snap"
	"webflow-lab/tui/theme"
)

// fakeLab is a lab made of plain data: a snapshot the test sets, a real
// trace.Broker for events, and the controls it was asked to run.
type fakeLab struct {
	mu      sync.Mutex
	snap    snap.Snapshot
	broker  *trace.Broker
	did     []string
	fail    error
	captcha bool // the instances answer a fixed captcha
	output  string
}

func newFakeLab() *fakeLab {
	s := snap.Snapshot{
		Dir: "/home/learner/workspace", URL: "http://127.0.0.1:8080",
		Proxy: snap.Proxy{Addrs: []string{"127.0.0.1:8080"}, Running: true, ConfFile: "/home/learner/workspace/nginx.conf"},
		Upstreams: []snap.Upstream{{Name: "ems", Strategy: "round robin", Where: "/home/learner/workspace/conf.d/ems.conf:4",
			Peers: []snap.Peer{{Addr: "127.0.0.1:9001", Instance: "uwsgi-1", Weight: 1, State: "up"},
				{Addr: "127.0.0.1:9011", Instance: "uwsgi-2", Weight: 1, State: "up"}}}},
		DB: snap.DB{Path: "/home/learner/workspace/db.sqlite3", Up: true},
	}
	for i, port := range []string{"9001", "9011"} {
		name := "uwsgi-" + string(rune('1'+i))
		in := snap.Instance{Name: name, State: snap.Running, Socket: "127.0.0.1:" + port, Processes: 2, Threads: 2,
			Ini: "/home/learner/workspace/" + name + ".ini", Requests: int64(120 + i), ListenQueue: 0}
		for w := 1; w <= 2; w++ {
			in.Workers = append(in.Workers, snap.Worker{ID: w, Requests: int64(60 + w), AvgTime: 850 * time.Microsecond})
		}
		s.Instances = append(s.Instances, in)
	}
	return &fakeLab{snap: s, broker: trace.NewBroker()}
}

func (f *fakeLab) Snapshot() snap.Snapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.snap
}

func (f *fakeLab) Watch(buffer int) Watcher { return subscription{f.broker.Subscribe(buffer)} }

func (f *fakeLab) Do(ctx context.Context, command string) (snap.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.did = append(f.did, command)
	if f.fail != nil {
		return snap.Result{}, f.fail
	}
	fs := strings.Fields(command)
	at := base.Add(time.Duration(len(f.did)) * time.Second)
	switch fs[0] {
	case "browse":
		if !f.captcha {
			return snap.Result{}, &explain.Error{What: explain.T("lab: journey login-list needs the captcha's answer", "lab: 流程 login-list 需要知道验证码"),
				Where: "traffic:1", Why: explain.T("uwsgi-1 draws a real captcha", "uwsgi-1 使用真实验证码"),
				Try: explain.T("give the instances a fixed one: `captcha fixed:1234`", "给实例设置固定验证码：`captcha fixed:1234`")}
		}
		id := len(f.snap.Traffic) + 1
		f.snap.Traffic = append(f.snap.Traffic, snap.TrafficRun{ID: id, Spec: "3 browsers, journey login-list, every 2s, 5 times",
			Kind: "browse", Users: [2]int{1, 3}, From: "127.0.1.1–127.0.3.1", State: snap.TrafficRunning, Started: base})
		return snap.Result{At: at, Did: explain.T(fmt.Sprintf("started traffic %d", id), fmt.Sprintf("已开始流量 %d", id))}, nil
	case "captcha":
		f.captcha = true
		return snap.Result{At: at, Did: explain.T("captcha fixed", "验证码已固定"), Equivalent: "edit env = EMS_CAPTCHA=fixed:1234 in each ini, then uwsgi --reload"}, nil
	case "traffic":
		if len(fs) >= 2 && fs[1] == "stop" {
			for i := range f.snap.Traffic {
				if len(fs) == 2 || fs[2] == "all" || fs[2] == fmt.Sprint(f.snap.Traffic[i].ID) {
					f.snap.Traffic[i].State = snap.TrafficStopped
				}
			}
			return snap.Result{At: at, Did: explain.T("stopped traffic", "已停止流量")}, nil
		}
	case "status":
		return snap.Result{At: at, Did: explain.T("status", "状态"), Output: f.output}, nil
	}
	if fs[0] == "stop" {
		for i := range f.snap.Instances {
			if f.snap.Instances[i].Name == fs[1] {
				f.snap.Instances[i].State = snap.Stopped
			}
		}
		return snap.Result{Did: explain.T("stopped "+fs[1], "已停止 "+fs[1]), Equivalent: "uwsgi --stop " + fs[1] + ".pid"}, nil
	}
	return snap.Result{Did: explain.T("did "+command, "已执行 "+command)}, nil
}

func (f *fakeLab) Complete(line string) []string {
	fs := strings.Fields(line)
	if len(fs) == 0 {
		return nil
	}
	var vals []string
	switch fs[0] {
	case "stop", "start":
		vals = []string{"proxy", "uwsgi-1", "uwsgi-2"}
	case "strategy":
		vals = []string{"round-robin", "weight", "ip_hash", "least_conn", "hash", "random"}
	case "break":
		vals = []string{"proxy", "upstream", "queue", "app", "db", "db-return", "app-return", "uwsgi-return", "response"}
	case "browse":
		vals = []string{"3", "open-list", "login-list"}
	}
	var out []string
	for _, v := range vals {
		out = append(out, fs[0]+" "+v)
	}
	return out
}

// UserOf names user N for 127.0.N.1, as the lab does.
func (f *fakeLab) UserOf(conn string) int {
	var a, b, n, c int
	if k, _ := fmt.Sscanf(conn, "%d.%d.%d.%d:", &a, &b, &n, &c); k == 4 && a == 127 && b == 0 && c == 1 && n > 0 {
		return n
	}
	return 0
}

func (f *fakeLab) Commands() []snap.Command {
	return []snap.Command{
		{Name: "stop", Args: "INSTANCE", Summary: explain.T("stop an app server", "停止应用服务器")},
		{Name: "start", Args: "INSTANCE", Summary: explain.T("start an app server", "启动应用服务器")},
		{Name: "strategy", Args: "NAME", Summary: explain.T("switch the balancing strategy", "切换负载均衡策略")},
		{Name: "reload", Summary: explain.T("reload nginx.conf", "重新加载 nginx.conf")},
		{Name: "break", Args: "HOP [PATH]", Summary: explain.T("hold requests at a hop", "在某一跳暂停请求")},
		{Name: "release", Args: "ID|all", Summary: explain.T("let a held request go on", "放行被暂停的请求")},
	}
}

var base = time.Date(2026, 12, 7, 12, 1, 3, 0, time.UTC)

// newTestModel returns a screen over lab at w×h, no colour, clock fixed.
func newTestModel(t testing.TB, lab Lab, lang i18n.Lang, w, h int) *Model {
	t.Helper()
	now := base
	m := New(lab, nil, Options{Lang: lang, Theme: theme.Options{}, Now: func() time.Time { return now },
		Getenv: func(k string) string {
			if k == "EDITOR" {
				return "nano"
			}
			return ""
		}})
	t.Cleanup(m.Close)
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	return m
}

// feed records events on the lab's broker and delivers them as the event
// command would.
func feed(t testing.TB, m *Model, f *fakeLab, evs []trace.Event) {
	t.Helper()
	for _, e := range evs {
		f.broker.Record(e)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	e, err := m.watch.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	m.Update(eventArrivedMsg{e: e})
}

func key(s string) tea.KeyPressMsg {
	switch s {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	}
	r := []rune(s)[0]
	return tea.KeyPressMsg{Code: r, Text: s}
}

func typeText(m *Model, s string) {
	for _, r := range s {
		m.Update(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

// hops is the events of a few requests as the lab reports them: a
// dynamic login page, a static file, a POST with SQL, a 502 with both
// instances down, and one still in flight.
func hops(t testing.TB) []trace.Event {
	ms := time.Millisecond
	us := time.Microsecond
	var evs []trace.Event
	add := func(e ...trace.Event) { evs = append(evs, e...) }
	dyn := func(id string, at time.Duration, method, path, inst string, status int, ua string, sql bool) {
		vs := uwsgiproto.Vars{{Key: "REQUEST_METHOD", Value: method}, {Key: "REQUEST_URI", Value: path},
			{Key: "PATH_INFO", Value: path}, {Key: "SERVER_PROTOCOL", Value: "HTTP/1.1"}, {Key: "HTTP_X_REQUEST_ID", Value: id}}
		pkt, err := uwsgiproto.EncodePacket(0, 0, vs)
		if err != nil {
			t.Fatal(err)
		}
		addr := map[string]string{"uwsgi-1": "127.0.0.1:9001", "uwsgi-2": "127.0.0.1:9011"}[inst]
		head := method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: " + ua + "\r\n\r\n"
		add(trace.Event{ReqID: id, From: trace.Browser, To: trace.Proxy, Instance: "127.0.0.1:8080", Phase: trace.Arrived,
			At: at, Bytes: len(head), Why: method + " " + path + " HTTP/1.1", PDU: &trace.PDU{Kind: trace.HTTPHead, Data: []byte(head)}},
			trace.Event{ReqID: id, From: trace.Proxy, To: trace.Uwsgi, Instance: addr, Phase: trace.Info, At: at + 90*us,
				Why: "round robin: weights 1,1 → " + inst},
			trace.Event{ReqID: id, From: trace.Proxy, To: trace.Uwsgi, Instance: addr, Phase: trace.Sent, At: at + 200*us,
				Bytes: len(pkt), Why: method, PDU: &trace.PDU{Kind: trace.UwsgiPacket, Data: pkt}},
			trace.Event{ReqID: id, From: trace.Proxy, To: trace.Uwsgi, Instance: inst, Phase: trace.Arrived, At: at + 350*us,
				Bytes: len(pkt), Why: "worker 1 core 0 took it", PDU: &trace.PDU{Kind: trace.UwsgiPacket, Data: pkt}},
			trace.Event{ReqID: id, From: trace.Uwsgi, To: trace.App, Instance: inst, Phase: trace.Sent, At: at + 400*us,
				Why: "app called", PDU: &trace.PDU{Kind: trace.Environ, Data: []byte("REQUEST_METHOD=" + method + "\nPATH_INFO=" + path + "\n")}})
		if sql {
			add(trace.Event{ReqID: id, From: trace.App, To: trace.DB, Instance: inst, Phase: trace.Sent, At: at + 600*us, Why: "SELECT users"},
				trace.Event{ReqID: id, From: trace.App, To: trace.DB, Instance: inst, Phase: trace.Returned, At: at + 700*us,
					Why: "SELECT users (96µs)", PDU: &trace.PDU{Kind: trace.SQL, Data: []byte("SELECT id FROM users WHERE username = ?\n-- args: [\"alice\"]\n-- took: 96µs\n")}})
		}
		add(trace.Event{ReqID: id, From: trace.App, To: trace.Uwsgi, Instance: inst, Phase: trace.Returned, At: at + 9*ms, Status: status},
			trace.Event{ReqID: id, From: trace.Uwsgi, To: trace.Proxy, Instance: inst, Phase: trace.Returned, At: at + 9*ms + 100*us, Status: status},
			trace.Event{ReqID: id, From: trace.Proxy, To: trace.Browser, Instance: "127.0.0.1:8080", Phase: trace.Returned,
				At: at + 9*ms + 200*us, Status: status, Bytes: 2949})
	}
	dyn("a1", 10*ms, "GET", "/login/", "uwsgi-1", 200, "Mozilla/5.0 Chrome/120.0", false)
	add(trace.Event{ReqID: "a2", From: trace.Browser, To: trace.Proxy, Phase: trace.Arrived, At: 30 * ms, Why: "GET /static/ems/css/style.css HTTP/1.1",
		PDU: &trace.PDU{Kind: trace.HTTPHead, Data: []byte("GET /static/ems/css/style.css HTTP/1.1\r\nUser-Agent: Mozilla/5.0 Chrome/120.0\r\n\r\n")}},
		trace.Event{ReqID: "a2", From: trace.Disk, To: trace.Proxy, Phase: trace.Returned, At: 30*ms + 80*us, Bytes: 9614, Why: "/home/learner/workspace/static/ems/css/style.css"},
		trace.Event{ReqID: "a2", From: trace.Proxy, To: trace.Browser, Phase: trace.Returned, At: 30*ms + 120*us, Status: 200, Bytes: 9853})
	dyn("a3", 50*ms, "POST", "/login/", "uwsgi-2", 302, "curl/7.88.1", true)
	add(trace.Event{ReqID: "a4", From: trace.Browser, To: trace.Proxy, Phase: trace.Arrived, At: 80 * ms, Why: "GET /employees/ HTTP/1.1"},
		trace.Event{ReqID: "a4", From: trace.Proxy, To: trace.Uwsgi, Instance: "127.0.0.1:9001", Phase: trace.Failed, At: 80*ms + 300*us,
			Why: "connect() failed (111: Connection refused) while connecting to upstream"},
		trace.Event{ReqID: "a4", From: trace.Proxy, To: trace.Uwsgi, Instance: "127.0.0.1:9011", Phase: trace.Failed, At: 80*ms + 500*us,
			Why: "connect() failed (111: Connection refused) while connecting to upstream"},
		trace.Event{ReqID: "a4", From: trace.Proxy, To: trace.Browser, Phase: trace.Returned, At: 80*ms + 600*us, Status: 502, Bytes: 497})
	add(trace.Event{ReqID: "a5", From: trace.Browser, To: trace.Proxy, Phase: trace.Arrived, At: 100 * ms, Why: "GET /employees/ HTTP/1.1"},
		trace.Event{ReqID: "a5", From: trace.Proxy, To: trace.Uwsgi, Instance: "127.0.0.1:9001", Phase: trace.Sent, At: 100*ms + 200*us, Why: "GET"},
		trace.Event{ReqID: "a5", From: trace.Proxy, To: trace.Uwsgi, Instance: "uwsgi-1", Phase: trace.Arrived, At: 100*ms + 300*us, Why: "worker 2 core 0 took it"},
		trace.Event{ReqID: "a5", From: trace.Uwsgi, To: trace.App, Instance: "uwsgi-1", Phase: trace.Sent, At: 100*ms + 400*us, Why: "app called"})
	// mark each request's first and last event, as the proxy does
	seen := map[string]bool{}
	for i := range evs {
		if !seen[evs[i].ReqID] {
			evs[i].First, seen[evs[i].ReqID] = true, true
		}
		if evs[i].To == trace.Browser {
			evs[i].Last = true
		}
	}
	return evs
}

func asciiOpts() theme.Options { return theme.Options{ASCII: true} }

func snapFor(dir string) snap.Snapshot { return snap.Snapshot{Dir: dir} }
