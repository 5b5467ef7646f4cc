package lessons

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"webflow-lab/servers/explain"
	"webflow-lab/servers/trace"
	"webflow-lab/servers/uwsgiproto"
	"webflow-lab/sim"
)

// httpCheck sends requests into the lab (sim's probe: real requests,
// followed hop by hop) and looks at the answers and the hops.
type httpCheck struct {
	req        request
	repeat     int           // sequential requests
	concurrent int           // requests at once
	stagger    time.Duration // between the starts of concurrent requests
	status     []int
	headers    [][2]string // name, substring
	body       []string
	lacks      []string
	servedBy   []servedRule
	failedAt   []string // "proxy→uwsgi"
	packet     []string // "KEY" or "KEY=VALUE"
	within     time.Duration
}

// servedRule is one served-by= expectation.
type servedRule struct {
	who string // an instance, "one", "each", "nginx"
	op  string // "", ">=", "<=", "="
	n   int
}

func parseHTTPCheck(args []word) (checker, error) {
	c := &httpCheck{repeat: 1}
	var reqWords []word
	for _, w := range args {
		var err error
		switch w.Key {
		case "status":
			for _, s := range strings.Split(w.Text, ",") {
				n, err := strconv.Atoi(s)
				if err != nil || n < 100 || n > 599 {
					return nil, errText("status= is an HTTP status: "+w.Text, "status= 应该是 HTTP 状态码："+w.Text)
				}
				c.status = append(c.status, n)
			}
		case "header":
			k, v, ok := strings.Cut(w.Text, ":")
			if !ok {
				return nil, errTry("header= is \"Name: text\"", "header= 的写法是 \"名称: 内容\"", `header="Content-Type: text/css"`, `header="Content-Type: text/css"`)
			}
			c.headers = append(c.headers, [2]string{strings.TrimSpace(k), strings.TrimSpace(v)})
		case "body":
			c.body = append(c.body, w.Text)
		case "lacks":
			c.lacks = append(c.lacks, w.Text)
		case "served-by":
			var r servedRule
			if r, err = parseServed(w.Text); err == nil {
				c.servedBy = append(c.servedBy, r)
			}
		case "failed-at":
			hop := strings.ReplaceAll(w.Text, "->", "→")
			if from, to, ok := strings.Cut(hop, "→"); !ok || !slices.Contains(nodes, from) || !slices.Contains(nodes, to) {
				return nil, errTry("failed-at= is a hop like proxy→uwsgi: "+w.Text, "failed-at= 应该是一跳，例如 proxy→uwsgi："+w.Text,
					"the nodes are "+strings.Join(nodes, ", "), "节点有："+strings.Join(nodes, "、"))
			}
			c.failedAt = append(c.failedAt, hop)
		case "packet":
			c.packet = append(c.packet, w.Text)
		case "within":
			c.within, err = time.ParseDuration(w.Text)
		case "repeat":
			c.repeat, err = strconv.Atoi(w.Text)
			if err == nil && (c.repeat < 1 || c.repeat > 50) {
				err = fmt.Errorf("1 to 50")
			}
		case "concurrent":
			c.concurrent, err = strconv.Atoi(w.Text)
			if err == nil && (c.concurrent < 2 || c.concurrent > 64) {
				err = fmt.Errorf("2 to 64")
			}
		case "stagger":
			c.stagger, err = time.ParseDuration(w.Text)
		default:
			reqWords = append(reqWords, w)
		}
		if err != nil {
			return nil, errText(w.Key+"= cannot be "+quote(w.Text), w.Key+"= 不能是 "+quote(w.Text))
		}
	}
	var err error
	if c.req, err = parseRequest("http", reqWords); err != nil {
		return nil, err
	}
	if len(c.status)+len(c.headers)+len(c.body)+len(c.lacks)+len(c.servedBy)+len(c.failedAt)+len(c.packet) == 0 && c.within == 0 {
		return nil, errTry("an http check says what it wants", "http 检查要写明期望什么",
			"add status=200, body=\"…\", served-by=uwsgi-1, failed-at=proxy→uwsgi, packet=… or within=…",
			"加上 status=200、body=\"…\"、served-by=uwsgi-1、failed-at=proxy→uwsgi、packet=… 或 within=…")
	}
	if c.concurrent > 0 && c.repeat > 1 {
		return nil, errText("repeat= and concurrent= do not go together", "repeat= 和 concurrent= 不能同时使用")
	}
	return c, nil
}

var nodes = []string{trace.Browser, trace.Proxy, trace.Uwsgi, trace.App, trace.DB, trace.Disk, trace.Backend}

func parseServed(s string) (servedRule, error) {
	for _, op := range []string{">=", "<=", "="} {
		if who, n, ok := strings.Cut(s, op); ok {
			v, err := strconv.Atoi(n)
			if err != nil || who == "" {
				break
			}
			return servedRule{who: who, op: op, n: v}, nil
		}
	}
	if s == "" || strings.ContainsAny(s, "<>=") {
		return servedRule{}, errText("served-by= is an instance, one, each, nginx or uwsgi-1>=3", "served-by= 应该是实例名、one、each、nginx 或 uwsgi-1>=3")
	}
	return servedRule{who: s}, nil
}

func (c *httpCheck) count() int { return max(c.repeat, c.concurrent) }

func (c *httpCheck) what() Text {
	method := c.req.Method
	if method == "" {
		method = "GET"
		if c.req.Data != "" {
			method = "POST"
		}
	}
	via, viaZH := "through nginx", "经过 nginx"
	if c.req.To != "" {
		via, viaZH = "straight to "+c.req.To, "直接发给 "+c.req.To
	}
	times, timesZH := "", ""
	switch {
	case c.concurrent > 0:
		times, timesZH = fmt.Sprintf(", %d at once", c.concurrent), fmt.Sprintf("，同时 %d 个", c.concurrent)
	case c.repeat > 1:
		times, timesZH = fmt.Sprintf(", %d times", c.repeat), fmt.Sprintf("，%d 次", c.repeat)
	}
	var want, wantZH []string
	if len(c.status) > 0 {
		want = append(want, "answers "+joinInts(c.status))
		wantZH = append(wantZH, "返回 "+joinInts(c.status))
	}
	for _, h := range c.headers {
		want = append(want, h[0]+" has "+show(h[1]))
		wantZH = append(wantZH, h[0]+" 包含 "+show(h[1]))
	}
	for _, b := range c.body {
		want = append(want, "the page has "+show(b))
		wantZH = append(wantZH, "页面包含 "+show(b))
	}
	for _, b := range c.lacks {
		want = append(want, "the page has no "+show(b))
		wantZH = append(wantZH, "页面不含 "+show(b))
	}
	for _, s := range c.servedBy {
		en, zh := s.what()
		want, wantZH = append(want, en), append(wantZH, zh)
	}
	for _, h := range c.failedAt {
		want = append(want, "fails at "+h)
		wantZH = append(wantZH, "在 "+h+" 这一跳失败")
	}
	for _, p := range c.packet {
		want = append(want, "its uwsgi packet carries "+p)
		wantZH = append(wantZH, "uwsgi 数据包中带有 "+p)
	}
	if c.within > 0 {
		want = append(want, "all answered within "+c.within.String())
		wantZH = append(wantZH, "全部在 "+c.within.String()+" 内返回")
	}
	return explain.T(fmt.Sprintf("%s %s %s%s: %s", method, c.req.Path, via, times, strings.Join(want, ", ")),
		fmt.Sprintf("%s %s %s%s：%s", method, c.req.Path, viaZH, timesZH, strings.Join(wantZH, "，")))
}

func (s servedRule) what() (string, string) {
	switch {
	case s.op != "":
		return fmt.Sprintf("%s serves %s %d", s.who, s.op, s.n), fmt.Sprintf("%s 处理的请求 %s %d", s.who, s.op, s.n)
	case s.who == "one":
		return "all served by one instance", "全部由同一个实例处理"
	case s.who == "each":
		return "every instance serves some", "每个实例都处理了一部分"
	case s.who == "nginx":
		return "nginx answers itself (no app server)", "由 nginx 自己应答（不经过应用服务器）"
	}
	return "served by " + s.who, "由 " + s.who + " 处理"
}

func joinInts(ns []int) string {
	var s []string
	for _, n := range ns {
		s = append(s, strconv.Itoa(n))
	}
	return strings.Join(s, " or ")
}

// probe is one request's outcome as the check sees it.
type probe struct {
	res sim.ProbeResult
	err error
}

func (c *httpCheck) run(ctx context.Context, e *env) (bool, Text) {
	req := c.req.expand(e)
	p := sim.ProbeRequest{Method: req.Method, Path: req.Path, To: req.To, Host: req.Host, Body: req.Data, Timeout: req.Timeout}
	if p.Method == "" && p.Body != "" {
		p.Method = http.MethodPost
	}
	if len(req.Header) > 0 {
		p.Header = map[string]string{}
		for _, h := range req.Header {
			k, v, _ := strings.Cut(h, ":")
			p.Header[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	n := c.count()
	probes := make([]probe, n)
	start := time.Now()
	if c.concurrent > 0 {
		var wg sync.WaitGroup
		for i := range probes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if c.stagger > 0 && i > 0 {
					t := time.NewTimer(time.Duration(i) * c.stagger) // a deliberate gap between starts
					select {
					case <-t.C:
					case <-ctx.Done():
						t.Stop()
					}
				}
				r, err := e.lab.Probe(ctx, p)
				probes[i] = probe{r, err}
			}()
		}
		wg.Wait()
	} else {
		for i := range probes {
			r, err := e.lab.Probe(ctx, p)
			probes[i] = probe{r, err}
			if err != nil {
				break
			}
		}
	}
	took := time.Since(start)
	label := p.Path
	if p.To != "" {
		label += " @" + p.To
	}
	for _, pr := range probes {
		if pr.err != nil {
			return false, tf("%s could not be sent: %v", "%s 无法发送：%v", label, pr.err)
		}
	}
	// Per request: status, headers, body, failed hop, packet.
	for i, pr := range probes {
		r := pr.res
		nth := ""
		if n > 1 {
			nth = fmt.Sprintf(" (request %d of %d)", i+1, n)
		}
		if len(c.status) > 0 && !slices.Contains(c.status, r.Status) {
			return false, outcome(label+nth, p.To, r, fmt.Sprintf("want %s", joinInts(c.status)), fmt.Sprintf("期望 %s", joinInts(c.status)))
		}
		for _, h := range c.headers {
			if got := r.Header.Get(h[0]); !strings.Contains(strings.ToLower(got), strings.ToLower(h[1])) {
				return false, tf("%s%s: %s is “%s”, want it to contain “%s”", "%s%s：%s 是 “%s”，期望包含 “%s”", label, nth, h[0], got, h[1])
			}
		}
		for _, b := range c.body {
			if b = e.expand(b); !strings.Contains(r.Body, b) {
				return false, outcome(label+nth, p.To, r, fmt.Sprintf("the page has no “%s”", b), fmt.Sprintf("页面中没有 “%s”", b))
			}
		}
		for _, b := range c.lacks {
			if b = e.expand(b); strings.Contains(r.Body, b) {
				return false, outcome(label+nth, p.To, r, fmt.Sprintf("the page has “%s”", b), fmt.Sprintf("页面中有 “%s”", b))
			}
		}
		for _, h := range c.failedAt {
			if !failedAt(r.Events, h) {
				return false, outcome(label+nth, p.To, r, "no hop failed at "+h, "没有在 "+h+" 这一跳失败")
			}
		}
		for _, want := range c.packet {
			if ok, saw := packetHas(r.Events, want); !ok {
				return false, explain.T(label+nth+": "+saw.EN, label+nth+"："+saw.ZH)
			}
		}
	}
	// Over all requests: who served them, how long it took.
	served := make([]string, n)
	for i, pr := range probes {
		served[i] = servedBy(pr.res, p.To)
	}
	for _, s := range c.servedBy {
		if ok, saw := s.check(served, e); !ok {
			return false, explain.T(label+": "+saw.EN, label+"："+saw.ZH)
		}
	}
	if c.within > 0 && took > c.within {
		return false, tf("%s: %d request(s) took %s in all, want at most %s (%s)", "%s：%d 个请求共用了 %s，期望不超过 %s（%s）",
			label, n, took.Round(time.Millisecond), c.within, spreadOf(served))
	}
	last := probes[n-1].res
	saw := outcomeText(last, p.To)
	if n > 1 {
		saw = tf("%d answers, %s", "%d 个应答，%s", n, spreadOf(served))
	}
	return true, explain.T(label+": "+saw.EN, label+"："+saw.ZH)
}

// servedBy is the instance that ran the request's app; "nginx" when the
// proxy answered alone (from disk, or an error page); the instance itself
// for a request sent straight to one whose static-map answered; what the
// page footer says when the events were skipped.
func servedBy(r sim.ProbeResult, to string) string {
	if r.Status == http.StatusBadGateway || r.Status == http.StatusGatewayTimeout {
		return "nginx" // its own error page, for the server behind it
	}
	for _, ev := range r.Events {
		if ev.To == trace.App && ev.Instance != "" && ev.Phase != trace.Failed {
			return ev.Instance
		}
	}
	for _, ev := range r.Events { // a static-map answered, without the app
		if ev.To == trace.Uwsgi && ev.Phase == trace.Arrived && ev.Instance != "" && !strings.Contains(ev.Instance, ":") {
			return ev.Instance
		}
	}
	if m := servedByRE.FindStringSubmatch(r.Body); m != nil {
		return m[1]
	}
	if len(r.Events) > 0 {
		if to != "" && to != "proxy" && to != "nginx" {
			return to
		}
		return "nginx"
	}
	return "?"
}

func (s servedRule) check(served []string, e *env) (bool, Text) {
	count := map[string]int{}
	for _, w := range served {
		count[w]++
	}
	spread := spreadOf(served)
	switch {
	case s.op != "":
		got := count[s.who]
		ok := s.op == ">=" && got >= s.n || s.op == "<=" && got <= s.n || s.op == "=" && got == s.n
		if !ok {
			return false, tf("%s served %d of %d, want %s %d (%s)", "%s 处理了 %d 个（共 %d 个），期望 %s %d（%s）", s.who, got, len(served), s.op, s.n, spread)
		}
	case s.who == "one":
		if len(count) != 1 {
			return false, tf("the answers came from different servers: %s; want them all from one", "应答来自不同的服务器：%s；期望全部来自同一个", spread)
		}
	case s.who == "each":
		var missing []string
		for _, name := range e.instances() {
			if count[name] == 0 {
				missing = append(missing, name)
			}
		}
		if len(missing) > 0 {
			return false, tf("%s served none (%s); want every instance to serve some", "%s 一个也没处理（%s）；期望每个实例都处理一部分", strings.Join(missing, ", "), spread)
		}
	default:
		if count[s.who] != len(served) {
			return false, tf("want every answer from %s, got %s", "期望全部由 %s 应答，实际 %s", s.who, spread)
		}
	}
	return true, Text{}
}

// spreadOf says who served how many: "uwsgi-1 ×3, uwsgi-2 ×1".
func spreadOf(served []string) string {
	count := map[string]int{}
	for _, w := range served {
		count[w]++
	}
	var names []string
	for k := range count {
		names = append(names, k)
	}
	sort.Strings(names)
	var parts []string
	for _, k := range names {
		who := k
		if k == "nginx" {
			who = "nginx itself"
		}
		parts = append(parts, fmt.Sprintf("%s ×%d", who, count[k]))
	}
	return "served by " + strings.Join(parts, ", ")
}

// outcome says what one request got, and why that is not what is wanted.
func outcome(label, to string, r sim.ProbeResult, want, wantZH string) Text {
	o := outcomeText(r, to)
	return explain.T(label+" got "+o.EN+"; "+want, label+" 得到 "+o.ZH+"；"+wantZH)
}

// outcomeText is a request's answer as the lab saw it: the status, who gave
// it, and the failed hop's reason.
func outcomeText(r sim.ProbeResult, to string) Text {
	if r.Status == 0 {
		return tf("no answer (%s)", "没有应答（%s）", r.Err)
	}
	who := servedBy(r, to)
	from := "from " + who
	fromZH := "来自 " + who
	if who == "nginx" {
		from, fromZH = "from nginx", "来自 nginx"
	}
	why, whyZH := "", ""
	for _, ev := range r.Events {
		if r.Status >= 400 && ev.Phase == trace.Failed && ev.Why != "" {
			why, whyZH = ": "+ev.Why, "："+ev.WhyIn("zh")
			break
		}
	}
	if why == "" && r.Status == http.StatusNotFound {
		for _, ev := range r.Events {
			if ev.From == trace.Disk || ev.To == trace.Disk {
				why, whyZH = ": "+ev.Why, "："+ev.WhyIn("zh")
				break
			}
		}
	}
	return explain.T(fmt.Sprintf("%d %s%s", r.Status, from, why), fmt.Sprintf("%d，%s%s", r.Status, fromZH, whyZH))
}

func failedAt(events []trace.Event, hop string) bool {
	for _, ev := range events {
		if ev.Phase == trace.Failed && ev.From+"→"+ev.To == hop {
			return true
		}
	}
	return false
}

// packetHas reads the uwsgi packets the request's events carry and looks
// for the var KEY (with VALUE, when given).
func packetHas(events []trace.Event, want string) (bool, Text) {
	key, val, withVal := strings.Cut(want, "=")
	seen := false
	for _, ev := range events {
		if ev.PDU == nil || ev.PDU.Kind != trace.UwsgiPacket {
			continue
		}
		seen = true
		pkt, err := uwsgiproto.PacketReader{BufferSize: 1 << 16}.Read(bufio.NewReader(bytes.NewReader(ev.PDU.Data)))
		if err != nil {
			return false, tf("its uwsgi packet does not decode: %v", "它的 uwsgi 数据包无法解码：%v", err)
		}
		vars := pkt.Vars
		for _, v := range vars {
			if v.Key == key && (!withVal || v.Value == val) {
				return true, Text{}
			}
		}
		for _, v := range vars {
			if v.Key == key {
				return false, tf("its uwsgi packet has %s=“%s”, want “%s”", "它的 uwsgi 数据包中 %s=“%s”，期望 “%s”", key, v.Value, val)
			}
		}
	}
	if !seen {
		return false, tf("no uwsgi packet went to an app server (nginx answered alone, or the request was not followed)",
			"没有 uwsgi 数据包发给应用服务器（nginx 自己应答了，或者这个请求没有被跟踪）")
	}
	return false, tf("its uwsgi packet has no %s", "它的 uwsgi 数据包里没有 %s", key)
}
