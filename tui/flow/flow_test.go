package flow

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"webflow-lab/servers/trace"
)

const us = time.Microsecond

// events of one dynamic request as the lab's servers report it (taken from
// a `webflow-lab serve` run), the proxy naming the peer by its address.
func dynamic(id string) []trace.Event {
	return []trace.Event{
		{ReqID: id, From: "browser", To: "proxy", Instance: "127.0.0.1:8080", Phase: trace.Arrived, At: 1000 * us, Bytes: 85, Why: "GET /login/ HTTP/1.1",
			PDU: &trace.PDU{Kind: trace.HTTPHead, Data: []byte("GET /login/ HTTP/1.1\r\nUser-Agent: curl/7.88.1\r\n\r\n")}},
		{ReqID: id, From: "proxy", To: "proxy", Phase: trace.Info, At: 1013 * us, Why: `location /: longest prefix "/"`},
		{ReqID: id, From: "proxy", To: "uwsgi", Instance: "127.0.0.1:9011", Phase: trace.Info, At: 1113 * us, Why: "round robin: weights 1,1, current 0,2 → peer 2"},
		{ReqID: id, From: "proxy", To: "uwsgi", Instance: "127.0.0.1:9011", Phase: trace.Sent, At: 1241 * us, Bytes: 413, Why: "GET"},
		{ReqID: "", From: "proxy", To: "uwsgi", Instance: "uwsgi-2", Phase: trace.Arrived, At: 1349 * us, Why: "connection accepted on 127.0.0.1:9011"},
		{ReqID: id, From: "proxy", To: "uwsgi", Instance: "uwsgi-2", Phase: trace.Arrived, At: 1414 * us, Bytes: 413, Why: "worker 2 core 0 took it"},
		{ReqID: id, From: "uwsgi", To: "app", Instance: "uwsgi-2", Phase: trace.Sent, At: 1427 * us, Why: "app called"},
		{ReqID: id, From: "app", To: "db", Instance: "uwsgi-2", Phase: trace.Sent, At: 1500 * us, Why: "SELECT sessions"},
		{ReqID: id, From: "app", To: "db", Instance: "uwsgi-2", Phase: trace.Returned, At: 1600 * us, Why: "SELECT sessions (90µs)"},
		{ReqID: id, From: "app", To: "uwsgi", Instance: "uwsgi-2", Phase: trace.Returned, At: 2241 * us, Status: 200, Why: "app returned 200 OK"},
		{ReqID: id, From: "uwsgi", To: "proxy", Instance: "uwsgi-2", Phase: trace.Returned, At: 2254 * us, Status: 200, Why: "worker 2 answered in 830µs"},
		{ReqID: id, From: "uwsgi", To: "proxy", Instance: "127.0.0.1:9011", Phase: trace.Returned, At: 2253 * us, Status: 200, Why: "200 OK"},
		{ReqID: id, From: "proxy", To: "browser", Instance: "127.0.0.1:8080", Phase: trace.Returned, At: 2392 * us, Status: 200, Bytes: 2949},
	}
}

func static(id string) []trace.Event {
	return []trace.Event{
		{ReqID: id, From: "browser", To: "proxy", Phase: trace.Arrived, At: 5000 * us, Why: "GET /static/ems/css/style.css HTTP/1.1"},
		{ReqID: id, From: "proxy", To: "proxy", Phase: trace.Info, At: 5007 * us, Why: `location /static/: longest prefix "/static/"`},
		{ReqID: id, From: "disk", To: "proxy", Phase: trace.Returned, At: 5050 * us, Bytes: 9614, Why: "/ws/static/ems/css/style.css"},
		{ReqID: id, From: "proxy", To: "browser", Phase: trace.Returned, At: 5091 * us, Status: 200, Bytes: 9853},
	}
}

func newStore() *Store {
	s := NewStore(10)
	s.Resolve = func(addr string) string {
		return map[string]string{"127.0.0.1:9001": "uwsgi-1", "127.0.0.1:9011": "uwsgi-2"}[addr]
	}
	return s
}

func TestRequest(t *testing.T) {
	tests := []struct {
		name   string
		events []trace.Event
		want   Request
	}{
		{"dynamic", dynamic("d"), Request{ID: "d", Method: "GET", Path: "/login/", Proto: "HTTP/1.1", Browser: "curl",
			Status: 200, Instance: "uwsgi-2", Done: true, Pick: "round robin: weights 1,1, current 0,2 → peer 2"}},
		{"static", static("s"), Request{ID: "s", Method: "GET", Path: "/static/ems/css/style.css", Proto: "HTTP/1.1",
			Status: 200, Instance: "nginx", Static: true, Done: true}},
		{"in flight", dynamic("f")[:7], Request{ID: "f", Method: "GET", Path: "/login/", Proto: "HTTP/1.1", Browser: "curl",
			Instance: "uwsgi-2", Pick: "round robin: weights 1,1, current 0,2 → peer 2"}},
		{"502 from the proxy", []trace.Event{
			{ReqID: "x", From: "browser", To: "proxy", Phase: trace.Arrived, At: 0, Why: "GET /employees/ HTTP/1.1"},
			{ReqID: "x", From: "proxy", To: "uwsgi", Instance: "127.0.0.1:9001", Phase: trace.Failed, At: 10 * us, Why: "connect() failed (111: Connection refused)"},
			{ReqID: "x", From: "proxy", To: "browser", Phase: trace.Returned, At: 20 * us, Status: 502},
		}, Request{ID: "x", Method: "GET", Path: "/employees/", Proto: "HTTP/1.1", Status: 502, Instance: "nginx", Failed: true, Done: true}},
		{"500 from an instance whose app did not load", []trace.Event{
			{ReqID: "n", From: "browser", To: "proxy", Phase: trace.Arrived, At: 0, Why: "GET /login/ HTTP/1.1"},
			{ReqID: "n", From: "proxy", To: "uwsgi", Instance: "127.0.0.1:9001", Phase: trace.Sent, At: 10 * us},
			{ReqID: "n", From: "proxy", To: "uwsgi", Instance: "uwsgi-1", Phase: trace.Arrived, At: 20 * us},
			{ReqID: "n", From: "uwsgi", To: "proxy", Instance: "uwsgi-1", Phase: trace.Returned, At: 50 * us, Status: 500},
			{ReqID: "n", From: "proxy", To: "browser", Phase: trace.Returned, At: 60 * us, Status: 500},
		}, Request{ID: "n", Method: "GET", Path: "/login/", Proto: "HTTP/1.1", Status: 500, Instance: "uwsgi-1", Done: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore()
			for _, e := range tt.events {
				s.Add(e)
			}
			r := s.Get(tt.want.ID)
			if r == nil {
				t.Fatal("no request")
			}
			got := *r
			got.Steps, got.Seq, got.Seen, got.Start, got.End = nil, 0, time.Time{}, 0, 0
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestStepsInTimeOrder(t *testing.T) {
	evs := dynamic("d")
	// the proxy's side of the answer reaches the screen before the app server's
	n := len(evs)
	evs[n-4], evs[n-2] = evs[n-2], evs[n-4]
	s := newStore()
	for _, e := range evs {
		s.Add(e)
	}
	r := s.Get("d")
	for i := 1; i < len(r.Steps); i++ {
		if r.Steps[i].At < r.Steps[i-1].At {
			t.Fatalf("step %d at %v before step %d at %v", i, r.Steps[i].At, i-1, r.Steps[i-1].At)
		}
	}
	if r.Status != 200 || !r.Done {
		t.Errorf("got status %d done %v", r.Status, r.Done)
	}
}

func TestStops(t *testing.T) {
	nodes := func(ss []Stop) []string {
		var out []string
		for _, s := range ss {
			out = append(out, s.Node)
		}
		return out
	}
	tests := []struct {
		name   string
		events []trace.Event
		want   []string
	}{
		{"dynamic goes to the database and back", dynamic("d"),
			[]string{"browser", "proxy", "uwsgi-2", "app@uwsgi-2", "db", "app@uwsgi-2", "uwsgi-2", "proxy", "browser"}},
		{"static turns back at the proxy", static("s"), []string{"browser", "proxy", "browser"}},
		{"in flight waits where it is", dynamic("f")[:7], []string{"browser", "proxy", "uwsgi-2", "app@uwsgi-2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore()
			var r *Request
			for _, e := range tt.events {
				if x := s.Add(e); x != nil {
					r = x
				}
			}
			if got := nodes(r.Stops()); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestReplay(t *testing.T) {
	s := newStore()
	for _, e := range dynamic("d") {
		s.Add(e)
	}
	r := s.Get("d")
	stops := r.Stops()
	p := DefaultReplay
	_, end := p.At(stops, 0, true)
	t.Run("starts at the browser moving to the proxy", func(t *testing.T) {
		pos, _ := p.At(stops, 0, true)
		if pos.From != "browser" || pos.To != "proxy" || pos.Back || pos.Done {
			t.Errorf("got %+v", pos)
		}
	})
	t.Run("every move is at least MinMove", func(t *testing.T) {
		if min := time.Duration(len(stops)-1) * p.MinMove; end < min {
			t.Errorf("replay lasts %v, want at least %v", end, min)
		}
	})
	t.Run("ends done at the browser", func(t *testing.T) {
		pos, _ := p.At(stops, end+time.Millisecond, true)
		if !pos.Done || pos.From != "browser" {
			t.Errorf("got %+v", pos)
		}
	})
	t.Run("an unfinished request waits at its last stop", func(t *testing.T) {
		pos, _ := p.At(stops[:4], time.Hour, false)
		if pos.Done || pos.From != "app@uwsgi-2" || pos.To != "app@uwsgi-2" {
			t.Errorf("got %+v", pos)
		}
	})
	t.Run("the answer moves back", func(t *testing.T) {
		b := p.Bounds(stops)
		pos, _ := p.At(stops, b[len(b)-2]+time.Millisecond, true)
		if !pos.Back || pos.To != "browser" {
			t.Errorf("got %+v", pos)
		}
	})
}

func TestCapacity(t *testing.T) {
	s := NewStore(3)
	s.keep = 1
	for i := range 5 {
		for _, e := range static(fmt.Sprint(i)) {
			e.PDU = &trace.PDU{Kind: trace.HTTPHead, Data: []byte("x")}
			s.Add(e)
		}
	}
	if s.Len() != 3 || s.Get("0") != nil || s.Get("4") == nil {
		t.Fatalf("kept %d, want the newest 3", s.Len())
	}
	if s.Get("2").Steps[0].PDU != nil || s.Get("4").Steps[0].PDU == nil {
		t.Errorf("bytes kept for old requests or dropped for the newest")
	}
}

func TestBrowser(t *testing.T) {
	tests := []struct{ ua, want string }{
		{"curl/7.88.1", "curl"},
		{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36", "Chrome"},
		{"Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0", "Firefox"},
		{"Mozilla/5.0 HeadlessChrome/120.0.0.0 Safari/537.36", "headless Chrome"},
		{"webflow-lab (you, from the TUI)", "you"},
		{"webflow-lab-bench", "bench"},
		{"Mozilla/5.0 (webflow-lab virtual browser)", "virtual"},
		{"", "-"},
		{"Python-urllib/3.11", "Python-urllib"},
	}
	for _, tt := range tests {
		if got := Browser(tt.ua); got != tt.want {
			t.Errorf("Browser(%q) = %q, want %q", tt.ua, got, tt.want)
		}
	}
}

// TestUserOf: a request is the lab's virtual user N's when UserOf names
// the connection of its arrival at the proxy; the store asks once.
func TestUserOf(t *testing.T) {
	asked := 0
	s := NewStore(10)
	s.UserOf = func(conn string) int {
		asked++
		if strings.HasPrefix(conn, "127.0.3.1:") {
			return 3
		}
		return 0
	}
	for _, tt := range []struct {
		id, conn string
		want     int
	}{{"u3", "127.0.3.1:40112→127.0.0.1:8080", 3}, {"me", "127.0.0.1:40113→127.0.0.1:8080", 0}, {"none", "", 0}} {
		s.Add(trace.Event{ReqID: tt.id, From: trace.Browser, To: trace.Proxy, Phase: trace.Arrived, First: true,
			Why: "GET / HTTP/1.1", Conn: tt.conn})
		s.Add(trace.Event{ReqID: tt.id, From: trace.Proxy, To: trace.Uwsgi, Phase: trace.Sent, Conn: "127.0.0.1:5→127.0.0.1:9001"})
		if got := s.Get(tt.id).User; got != tt.want {
			t.Errorf("%s from %q: user %d, want %d", tt.id, tt.conn, got, tt.want)
		}
	}
	if asked != 2 {
		t.Errorf("UserOf asked %d times, want 2 (once per request that has a connection)", asked)
	}
}

// FuzzAdd feeds a request whatever a server might put in an event's text
// and bytes: the store never panics and the replay always has a stop.
func FuzzAdd(f *testing.F) {
	f.Add("GET /login/ HTTP/1.1", []byte("GET / HTTP/1.1\r\nUser-Agent: curl/8\r\n\r\n"), "REQUEST_METHOD=GET\n")
	f.Add("", []byte{0, 1, 2}, "=\n==")
	f.Fuzz(func(t *testing.T, why string, head []byte, env string) {
		s := NewStore(4)
		s.Add(trace.Event{ReqID: "a", From: "browser", To: "proxy", Phase: trace.Arrived, Why: why,
			PDU: &trace.PDU{Kind: trace.HTTPHead, Data: head}})
		s.Add(trace.Event{ReqID: "a", From: "uwsgi", To: "app", Instance: "uwsgi-1", Phase: trace.Sent,
			PDU: &trace.PDU{Kind: trace.Environ, Data: []byte(env)}})
		r := s.Get("a")
		if len(r.Stops()) == 0 {
			t.Fatal("no stop")
		}
		DefaultReplay.At(r.Stops(), time.Second, r.Done)
	})
}
