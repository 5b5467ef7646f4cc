package sim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"webflow-lab/servers/errno"
	"webflow-lab/servers/explain"
	"webflow-lab/servers/trace"
)

// A lesson check looks at the lab the way a learner does — a request sent
// with curl, the hops it crossed, the state `status` prints — but from
// another process too: `webflow-lab lesson check` runs beside the screen or
// `serve`. Two words of the control vocabulary carry what such a client
// cannot see from outside: `probe` sends one request from inside the lab
// while watching its hop events, and `snapshot` hands over the typed
// Snapshot. Both answer in JSON in Result.Output when asked with --json.

// A ProbeRequest is one HTTP request the lab sends and follows hop by hop.
type ProbeRequest struct {
	Method string            // "GET" when empty
	Path   string            // "/login/?next=/employees/"
	To     string            // "" or "proxy": through the proxy; "uwsgi-1": straight to that instance's http router
	Host   string            // the Host header ("" for the address's own)
	Header map[string]string // more request headers
	Body   string
	// Timeout is when the client gives up, as a browser whose user
	// presses Esc: the connection is closed, and nginx logs 499. 0 waits
	// up to a minute.
	Timeout time.Duration
}

// A ProbeResult is what the request got and what the lab saw of it.
type ProbeResult struct {
	URL    string
	Status int // 0 when no answer came
	Header http.Header
	Body   string        // the first maxProbeBody bytes
	Err    string        // why no answer came: "connection refused", "the client gave up after 500ms"
	Took   time.Duration // until the answer (or the error)
	// Events are the request's hop events, in order, as the screen shows
	// them: which instance served it, which hop failed, the uwsgi packet.
	// Empty when the request never reached a server of the lab, or when
	// the watcher skipped it under load (then Skipped says so).
	Events  []trace.Event
	Skipped bool
}

// ProbeAgent is the User-Agent of a probe's request, as access.log shows it.
const ProbeAgent = "webflow-lab-probe"

const (
	maxProbeBody   = 256 << 10
	probeDefault   = time.Minute
	probeEventWait = 3 * time.Second // for the last events after the answer
)

// Probe sends one request into the lab and follows it: the answer and every
// hop event of that request. The request is real — it goes through the
// proxy's port (or an instance's http port) like a browser's, and lands in
// access.log like one.
func (l *Lab) Probe(ctx context.Context, p ProbeRequest) (ProbeResult, error) {
	base, err := l.probeBase(p.To)
	if err != nil {
		return ProbeResult{}, err
	}
	method := p.Method
	if method == "" {
		method = http.MethodGet
	}
	path := p.Path
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	res := ProbeResult{URL: base + path}
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = probeDefault
	}
	var body io.Reader
	if p.Body != "" {
		body = strings.NewReader(p.Body)
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, method, res.URL, body)
	if err != nil {
		return ProbeResult{}, &explain.Error{What: explain.T("lab: probe: "+err.Error(), "lab: 探测请求："+err.Error()),
			Try: explain.T("for example: probe GET /login/", "例如：probe GET /login/")}
	}
	if p.Host != "" {
		req.Host = p.Host
	}
	// A lesson's log checks count what a learner sent, not what the checks
	// sent: access.log names this client.
	req.Header.Set("User-Agent", ProbeAgent)
	for k, v := range p.Header {
		req.Header.Set(k, v)
	}
	if p.Body != "" && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}

	sub := l.Watch(4096)
	defer sub.Close()
	var mu sync.Mutex
	local := ""
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			var d net.Dialer
			c, err := d.DialContext(ctx, network, addr)
			if err == nil {
				mu.Lock()
				local = c.LocalAddr().String()
				mu.Unlock()
			}
			return c, err
		},
		DisableKeepAlives: true,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	start := time.Now()
	resp, err := client.Do(req)
	if err == nil {
		b, rerr := io.ReadAll(io.LimitReader(resp.Body, maxProbeBody))
		resp.Body.Close()
		res.Status, res.Header, res.Body = resp.StatusCode, resp.Header, string(b)
		if rerr != nil {
			res.Err = "the answer was cut short: " + rerr.Error()
		}
	} else {
		res.Err = probeErr(err, rctx, timeout)
	}
	res.Took = time.Since(start)
	mu.Lock()
	from := local
	mu.Unlock()
	if from != "" {
		res.Events, res.Skipped = followRequest(ctx, sub, from)
	}
	return res, nil
}

// probeBase is the URL the probe goes to: the proxy, or an instance's http
// router.
func (l *Lab) probeBase(to string) (string, error) {
	if to == "" || to == "proxy" || to == "nginx" {
		if u := l.URL(); u != "" {
			return u, nil
		}
		return "", &explain.Error{What: explain.T("lab: the proxy is not running", "lab: 代理没有在运行"),
			Try: explain.T("start it: start proxy", "启动它：start proxy")}
	}
	for _, in := range l.Snapshot().Instances {
		if in.Name != to {
			continue
		}
		if in.HTTP == "" {
			return "", &explain.Error{What: explain.T("lab: "+to+" has no http port", "lab: "+to+" 没有 http 端口"),
				Where: l.rel(in.Ini), Try: explain.T("give it one: http = 127.0.0.1:PORT", "为它加上：http = 127.0.0.1:端口")}
		}
		return "http://" + in.HTTP, nil
	}
	_, err := func() (*instance, error) { l.mu.Lock(); defer l.mu.Unlock(); return l.instance(to) }()
	return "", err
}

func probeErr(err error, ctx context.Context, timeout time.Duration) string {
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Sprintf("the client gave up after %s", timeout)
	case errno.Is(err, errno.ECONNREFUSED):
		return "connection refused"
	case errno.Is(err, errno.ECONNRESET):
		return "connection reset by peer"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the server closed the connection without an answer"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// followRequest reads sub for the request that came from the client
// address from: its First event names the connection, and every event with
// its id follows until its Last (or a short wait once the answer is in).
func followRequest(ctx context.Context, sub *trace.Subscription, from string) ([]trace.Event, bool) {
	wctx, cancel := context.WithTimeout(ctx, probeEventWait)
	defer cancel()
	var id string
	var out []trace.Event
	for {
		e, err := sub.Next(wctx)
		if err != nil {
			return out, id == "" && sub.Skipped() > 0
		}
		if id == "" {
			if e.First && strings.HasPrefix(e.Conn, from+"→") {
				id = e.ReqID
			} else {
				continue
			}
		}
		if e.ReqID != id {
			continue
		}
		out = append(out, e)
		if e.Last {
			return out, false
		}
	}
}

// probeCommand is `probe [--json] METHOD PATH [@INSTANCE] [host=H]
// [timeout=D]`, or `probe --json '{…ProbeRequest…}'` from a client.
var probeCommand = Command{Name: "probe", Args: "[METHOD] PATH [@INSTANCE] [host=NAME] [timeout=2s]",
	Summary: explain.T("send one request into the lab and show the hops it crossed", "向实验发送一个请求，并显示它经过的每一跳"),
	run: func(ctx context.Context, l *Lab, a []string) (Result, error) {
		asJSON := len(a) > 0 && a[0] == "--json"
		if asJSON {
			a = a[1:]
		}
		var p ProbeRequest
		if asJSON && len(a) == 1 && strings.HasPrefix(a[0], "{") {
			if err := json.Unmarshal([]byte(a[0]), &p); err != nil {
				return Result{}, usage("probe GET /login/")
			}
		} else {
			var err error
			if p, err = parseProbeArgs(a); err != nil {
				return Result{}, err
			}
		}
		r, err := l.Probe(ctx, p)
		if err != nil {
			return Result{}, err
		}
		out := Result{Did: explain.T(fmt.Sprintf("%s %s: %s", orGET(p.Method), r.URL, probeOutcome(r)),
			fmt.Sprintf("%s %s：%s", orGET(p.Method), r.URL, probeOutcome(r))), Equivalent: "curl -i " + r.URL}
		if asJSON {
			b, err := json.Marshal(r)
			if err != nil {
				return Result{}, err
			}
			out.Output = string(b)
			return out, nil
		}
		var b strings.Builder
		for _, e := range r.Events {
			b.WriteString(FormatEvent(e))
			b.WriteByte('\n')
		}
		out.Output = b.String()
		return out, nil
	}}

func orGET(m string) string {
	if m == "" {
		return http.MethodGet
	}
	return m
}

func probeOutcome(r ProbeResult) string {
	if r.Status == 0 {
		return r.Err
	}
	return fmt.Sprintf("%d %s (%s)", r.Status, http.StatusText(r.Status), r.Took.Round(time.Millisecond))
}

func parseProbeArgs(a []string) (ProbeRequest, error) {
	var p ProbeRequest
	for _, w := range a {
		switch {
		case strings.HasPrefix(w, "@"):
			p.To = w[1:]
		case strings.HasPrefix(w, "host="):
			p.Host = w[len("host="):]
		case strings.HasPrefix(w, "timeout="):
			d, err := time.ParseDuration(w[len("timeout="):])
			if err != nil || d <= 0 {
				return p, usage("probe GET /login/ timeout=2s")
			}
			p.Timeout = d
		case strings.HasPrefix(w, "/"):
			p.Path = w
		case p.Method == "" && p.Path == "" && strings.ToUpper(w) == w:
			p.Method = w
		default:
			return p, usage("probe GET /login/ @uwsgi-1")
		}
	}
	if p.Path == "" {
		return p, usage("probe GET /login/")
	}
	return p, nil
}

// snapshotCommand is `snapshot`: the typed Snapshot as JSON, for a client
// in another process (a lesson check). Errors keep their four fields; the
// Go cause behind them stays in the lab.
var snapshotCommand = Command{Name: "snapshot", Summary: explain.T("the lab's state as JSON (for lesson checks and scripts)", "以 JSON 输出实验状态（供课程检查和脚本使用）"),
	run: func(_ context.Context, l *Lab, _ []string) (Result, error) {
		s := l.Snapshot()
		s.Proxy.LastError = bare(s.Proxy.LastError)
		for i := range s.Instances {
			s.Instances[i].LastError = bare(s.Instances[i].LastError)
		}
		b, err := json.Marshal(s)
		if err != nil {
			return Result{}, err
		}
		return Result{Did: explain.T("snapshot", "快照"), Output: string(b)}, nil
	}}

func bare(e *explain.Error) *explain.Error {
	if e == nil {
		return nil
	}
	c := *e
	c.Err = nil
	return &c
}
