package traffic_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"webflow-lab/servers/ems/emstest"
	"webflow-lab/servers/proxy/balance"
	"webflow-lab/servers/trace"
	"webflow-lab/sim/simtest"
	"webflow-lab/sim/traffic"
)

func newBrowser(t *testing.T, n int, base string) *traffic.Browser {
	t.Helper()
	b, err := traffic.NewBrowser(n, traffic.Options{Base: base, Captcha: emstest.Captcha, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

// TestJourneyThroughProxy: a browser walks the whole journey through the
// proxy; every request it sent — pages, forms, CSS, JS, icons, the
// captcha, the avatar — arrived at the proxy (the trace has it), nothing
// else did, each arrival's connection names user 3, and the access log
// names the browser's own address.
func TestJourneyThroughProxy(t *testing.T) {
	lab, _ := simtest.Start(t, simtest.Options{})
	sub := lab.Watch(1 << 16)
	defer sub.Close()
	users := &traffic.Users{}
	b, err := traffic.NewBrowser(3, traffic.Options{Base: lab.URL(), Captcha: emstest.Captcha, Timeout: 20 * time.Second, Users: users})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	j := traffic.Journey{traffic.Open, traffic.Register, traffic.Login, traffic.List, traffic.Add, traffic.List, traffic.Edit, traffic.Delete, traffic.Logout}
	reqs, err := b.Walk(context.Background(), j)
	if err != nil {
		for _, r := range reqs {
			t.Logf("%v %v %s %s %d %v", r.Step, r.Kind, r.Method, r.URL, r.Status, r.Err)
		}
		t.Fatal(err)
	}
	for _, r := range reqs {
		t.Logf("%-8v %-10v %-4s %-40s %3d %8v cached=%v %s", r.Step, r.Kind, r.Method, r.URL, r.Status, r.Duration.Round(time.Microsecond), r.Cached, r.From)
	}
	sent := map[string]int{}
	kinds := map[traffic.Kind]int{}
	steps := map[traffic.Step]bool{}
	for _, r := range reqs {
		if r.Err != nil || r.Browser != 3 {
			t.Errorf("%s %s: browser %d, err %v; want browser 3, no error", r.Method, r.URL, r.Browser, r.Err)
		}
		steps[r.Step] = true
		kinds[r.Kind]++
		if r.Cached {
			continue
		}
		if ok, _ := traffic.OwnAddresses(); ok && !strings.HasPrefix(r.From, "127.0.3.1:") {
			t.Errorf("%s %s left from %q, want 127.0.3.1", r.Method, r.URL, r.From)
		}
		if n := users.Who(r.From); n != 3 {
			t.Errorf("%s %s from %q: Who says user %d, want 3", r.Method, r.URL, r.From, n)
		}
		sent[r.Method+" "+r.URL+" HTTP/1.1"]++
	}
	for _, k := range []traffic.Kind{traffic.Document, traffic.Form, traffic.Stylesheet, traffic.Script, traffic.Icon, traffic.Captcha, traffic.Image} {
		if kinds[k] == 0 {
			t.Errorf("no %v request in the journey; kinds: %v", k, kinds)
		}
	}
	for _, s := range j {
		if !steps[s] {
			t.Errorf("no request tagged with step %v", s)
		}
	}
	// Every request reached the proxy: count browser→proxy arrivals.
	want := 0
	for _, n := range sent {
		want += n
	}
	arrived := map[string]int{}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for got := 0; got < want; {
		e, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("waiting for %d arrivals at the proxy, saw %d: %v\nsaw %v\nsent %v", want, got, err, arrived, sent)
		}
		if e.From == trace.Browser && e.To == trace.Proxy && e.Phase == trace.Arrived {
			arrived[e.Why]++
			got++
			// The lab's tag for the request, from nothing but its
			// connection: the client's address and port.
			client, _, _ := strings.Cut(e.Conn, "→")
			if n := users.Who(client); n != 3 {
				t.Errorf("%s on %q: Who says user %d, want 3", e.Why, e.Conn, n)
			}
		}
	}
	for line, n := range sent {
		if arrived[line] != n {
			t.Errorf("%s: sent %d, the proxy saw %d", line, n, arrived[line])
		}
	}
	for line, n := range arrived {
		if sent[line] == 0 {
			t.Errorf("%s: the proxy saw %d, the browser sent none", line, n)
		}
	}
	if sub.Skipped() != 0 {
		t.Errorf("the watcher skipped %d requests (and dropped %d events)", sub.Skipped(), sub.Dropped())
	}
	if ok, _ := traffic.OwnAddresses(); ok {
		log, _ := os.ReadFile(filepath.Join(lab.Dir(), "logs", "access.log"))
		if !strings.Contains(string(log), "127.0.3.1 - - [") {
			t.Errorf("access.log has no line from 127.0.3.1:\n%.1000s", log)
		}
	}
}

// TestIPHashSourceAddresses: under ip_hash, browsers from different
// source addresses land where nginx's hash sends them, page after page.
func TestIPHashSourceAddresses(t *testing.T) {
	if ok, note := traffic.OwnAddresses(); !ok {
		t.Skipf("no own source addresses here: %s", note.EN)
	}
	lab, ports := simtest.Start(t, simtest.Options{Edit: func(dir string) {
		conf := filepath.Join(dir, "conf.d", "ems.conf")
		b, err := os.ReadFile(conf)
		if err != nil {
			t.Fatal(err)
		}
		s := strings.Replace(string(b), "upstream ems {", "upstream ems {\n    ip_hash;", 1)
		os.WriteFile(conf, []byte(s), 0o644)
	}})
	iphash, _ := balance.ByDirective("ip_hash", nil, nil)
	var peers []*balance.Peer
	for _, in := range ports.Instances {
		peers = append(peers, balance.NewPeer(fmt.Sprintf("127.0.0.1:%d", in.Socket)))
	}
	up, err := balance.NewUpstream("ems", peers, iphash)
	if err != nil {
		t.Fatal(err)
	}
	landed := map[string]bool{}
	for _, n := range []int{1, 2, 3, 4} {
		r := up.NewRequest(traffic.SourceAddr(n), "")
		p, why, err := up.Get(r)
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("uwsgi-%d", p.Index()+1)
		b := newBrowser(t, n, lab.URL())
		for range 3 {
			if _, err := b.Open(context.Background(), "/login/"); err != nil {
				t.Fatal(err)
			}
			if got := b.ServedBy(); got != want {
				t.Errorf("user %d from %v: served by %q, want %q (%s)", n, b.Addr(), got, want, why)
			}
		}
		landed[want] = true
	}
	if len(landed) != 2 {
		t.Errorf("four users landed on %v, want both instances", landed)
	}
}

// TestRunSpec: a spec's three kinds of line at once against the lab.
func TestRunSpec(t *testing.T) {
	lab, _ := simtest.Start(t, simtest.Options{})
	spec, err := traffic.Parse("demo.traffic", `
2 browsers, journey open-login-list, every 50ms, 2 times
10 GET /login/ from 3 users
load /static/ems/css/style.css -n 200 -c 4
`)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	users := map[int]int{}
	sums, err := traffic.Run(context.Background(), spec, traffic.Options{
		Base: lab.URL(), Captcha: emstest.Captcha,
		OnRequest: func(r traffic.Request) {
			mu.Lock()
			users[r.Browser]++
			mu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sums {
		if s.Err != nil {
			t.Errorf("line %d: %v", s.Line, s.Err)
		}
	}
	if sums[0].Walks != 4 || sums[0].Line != 2 {
		t.Errorf("browsers line: %d walks (line %d), want 4 (line 2)", sums[0].Walks, sums[0].Line)
	}
	if sums[1].Requests != 10 {
		t.Errorf("request line: %d requests, want 10", sums[1].Requests)
	}
	if r := sums[2].Load; r == nil || r.Requests != 200 || r.Status[200] != 200 {
		t.Errorf("load line: got %+v, want 200 answers of 200", r)
	}
	// users 1–2 walked, users 3–5 shared the 10 requests 4, 3, 3.
	if len(users) != 5 || users[3] != 4 || users[4] != 3 || users[5] != 3 || users[1] == 0 || users[2] == 0 {
		t.Errorf("requests by user: %v, want users 1 and 2 walking, then 4, 3, 3 for users 3, 4, 5", users)
	}
}
