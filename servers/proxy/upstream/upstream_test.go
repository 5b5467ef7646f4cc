package upstream

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"webflow-lab/servers/internal/testnet"
	"webflow-lab/servers/internal/tracetest"
	"webflow-lab/servers/proxy/balance"
	"webflow-lab/servers/trace"
	"webflow-lab/servers/uwsgiproto"
)

const okResponse = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nhello"

// TestErrorLogTable walks the rows of nginx.md §7.2 that concern upstreams:
// what the client gets and the exact error.log entries.
func TestErrorLogTable(t *testing.T) {
	fast := Settings{Protocol: "uwsgi", ConnectTimeout: 100 * time.Millisecond, ReadTimeout: 100 * time.Millisecond}
	tests := []struct {
		name  string
		setup func(t *testing.T) (Target, *Engine, []string) // target, engine, wanted log lines
		req   func() *Request
		s     Settings
		want  int
	}{
		{
			name: "TCP peer refuses",
			setup: func(t *testing.T) (Target, *Engine, []string) {
				a := refusedAddr(t)
				return Target{Addr: a}, &Engine{}, []string{
					`[error] connect() failed (111: Connection refused) while connecting to upstream, upstream: "uwsgi://` + a + `"`}
			},
			want: 502,
		},
		{
			name: "UNIX socket missing",
			setup: func(t *testing.T) (Target, *Engine, []string) {
				p := filepath.Join(t.TempDir(), "nope.sock")
				return Target{Addr: "unix:" + p}, &Engine{}, []string{
					`[crit] connect() to unix:` + p + ` failed (2: No such file or directory) while connecting to upstream, upstream: "uwsgi://unix:` + p + `:"`}
			},
			want: 502,
		},
		{
			name: "UNIX socket backlog full",
			setup: func(t *testing.T) (Target, *Engine, []string) {
				return Target{Addr: "unix:/run/app.sock"}, &Engine{Dialer: errDialer{11}}, []string{
					`[error] connect() to unix:/run/app.sock failed (11: Resource temporarily unavailable) while connecting to upstream, upstream: "uwsgi://unix:/run/app.sock:"`}
			},
			want: 502,
		},
		{
			name: "peer reached max_fails",
			setup: func(t *testing.T) (Target, *Engine, []string) {
				a := newBackend(t, "uwsgi", closeNow).addr
				b := newBackend(t, "uwsgi", respond(okResponse)).addr
				return Target{Group: group(t, "app", peer(a), peer(b))}, &Engine{}, []string{
					`[error] upstream prematurely closed connection while reading response header from upstream, upstream: "uwsgi://` + a + `"`,
					`[warn] upstream server temporarily disabled while reading response header from upstream, upstream: "uwsgi://` + a + `"`}
			},
			want: 200,
		},
		{
			name: "all peers unavailable",
			setup: func(t *testing.T) (Target, *Engine, []string) {
				u := group(t, "dead", peer("127.0.0.1:1", func(p *balance.Peer) { p.Down = true }), peer("127.0.0.1:2", func(p *balance.Peer) { p.Down = true }))
				return Target{Group: u}, &Engine{}, []string{
					`[error] no live upstreams while connecting to upstream, upstream: "http://dead/dead"`}
			},
			req:  func() *Request { return httpReq("GET", "/dead", "") },
			s:    Settings{Protocol: "http"},
			want: 502,
		},
		{
			name: "connect timeout",
			setup: func(t *testing.T) (Target, *Engine, []string) {
				return Target{Addr: "127.0.0.1:9001"}, &Engine{Dialer: stallDialer{}}, []string{
					`[error] upstream timed out (110: Connection timed out) while connecting to upstream, upstream: "uwsgi://127.0.0.1:9001"`}
			},
			s:    fast,
			want: 504,
		},
		{
			name: "connect timeout, the default dialer",
			setup: func(t *testing.T) (Target, *Engine, []string) {
				a := testnet.UnansweredAddr(t)
				return Target{Addr: a}, &Engine{}, []string{
					`[error] upstream timed out (110: Connection timed out) while connecting to upstream, upstream: "uwsgi://` + a + `"`}
			},
			s:    fast,
			want: 504,
		},
		{
			name: "read timeout",
			setup: func(t *testing.T) (Target, *Engine, []string) {
				a := newBackend(t, "uwsgi", hang).addr
				return Target{Addr: a}, &Engine{}, []string{
					`[error] upstream timed out (110: Connection timed out) while reading response header from upstream, upstream: "uwsgi://` + a + `"`}
			},
			s:    fast,
			want: 504,
		},
		{
			name: "app closed with no bytes",
			setup: func(t *testing.T) (Target, *Engine, []string) {
				a := newBackend(t, "uwsgi", closeNow).addr
				return Target{Addr: a}, &Engine{}, []string{
					`[error] upstream prematurely closed connection while reading response header from upstream, upstream: "uwsgi://` + a + `"`}
			},
			want: 502,
		},
		{
			name: "app closed inside the head",
			setup: func(t *testing.T) (Target, *Engine, []string) {
				a := newBackend(t, "uwsgi", partial("HTTP/1.1 200 OK\r\nContent-Ty")).addr
				return Target{Addr: a}, &Engine{}, []string{
					`[error] upstream prematurely closed connection while reading response header from upstream, upstream: "uwsgi://` + a + `"`}
			},
			want: 502,
		},
		{
			name: "app reset the connection",
			setup: func(t *testing.T) (Target, *Engine, []string) {
				a := newBackend(t, "uwsgi", reset).addr
				return Target{Addr: a}, &Engine{}, []string{
					`[error] recv() failed (104: Connection reset by peer) while reading response header from upstream, upstream: "uwsgi://` + a + `"`}
			},
			want: 502,
		},
		{
			name: "response head > buffer",
			setup: func(t *testing.T) (Target, *Engine, []string) {
				a := newBackend(t, "uwsgi", respond("HTTP/1.1 200 OK\r\nSet-Cookie: "+strings.Repeat("x", 5000)+"\r\n\r\n")).addr
				return Target{Addr: a}, &Engine{}, []string{
					`[error] upstream sent too big header while reading response header from upstream, upstream: "uwsgi://` + a + `"`}
			},
			want: 502,
		},
		{
			name: "garbage head",
			setup: func(t *testing.T) (Target, *Engine, []string) {
				a := newBackend(t, "uwsgi", respond("<html> oops</html>\r\n\r\n")).addr
				return Target{Addr: a}, &Engine{}, []string{
					`[error] upstream sent invalid header: "<html>\x20..." while reading response header from upstream, upstream: "uwsgi://` + a + `"`}
			},
			want: 502,
		},
		{
			name: "uwsgi packet over 65535 bytes",
			setup: func(t *testing.T) (Target, *Engine, []string) {
				return Target{Addr: refusedAddr(t)}, &Engine{}, []string{"[alert] uwsgi request is too big: " + strconv.Itoa(bigVars().Size())}
			},
			req: func() *Request {
				r := uwsgiReq("GET", "/", "")
				r.Vars = bigVars()
				return r
			},
			want: 500,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkLeaks(t)
			target, e, wantLogs := tt.setup(t)
			req := uwsgiReq("GET", "/", "")
			if tt.req != nil {
				req = tt.req()
			}
			res := e.Do(context.Background(), target, tt.s, req)
			if res.Body != nil {
				readBody(t, res)
			}
			if res.Status != tt.want {
				t.Errorf("got status %d, want %d", res.Status, tt.want)
			}
			if got := logLines(res); !reflect.DeepEqual(got, wantLogs) {
				t.Errorf("got logs\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(wantLogs, "\n\t"))
			}
		})
	}
}

func bigVars() uwsgiproto.Vars {
	return append(uwsgiReq("GET", "/", "").Vars, uwsgiproto.Var{Key: "HTTP_COOKIE", Value: strings.Repeat("c", 70000)})
}

// TestRetries checks *_next_upstream: what is retried, on which peer, and
// what the client finally gets.
func TestRetries(t *testing.T) {
	const bad502 = "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 3\r\n\r\nbad"
	const fine = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nfine"
	tests := []struct {
		name     string
		protocol string
		first    behaviour // nil: connection refused
		method   string
		next     []string // *_next_upstream words; nil = default
		want     int
		wantBody string
		second   int // hits wanted on the second peer
	}{
		{name: "GET retried after a 0-byte close", protocol: "uwsgi", first: closeNow, method: "GET", want: 200, wantBody: "fine", second: 1},
		{name: "GET retried after a reset", protocol: "uwsgi", first: reset, method: "GET", want: 200, wantBody: "fine", second: 1},
		{name: "POST not retried once sent", protocol: "uwsgi", first: closeNow, method: "POST", want: 502, second: 0},
		{name: "PATCH not retried once sent", protocol: "http", first: closeNow, method: "PATCH", want: 502, second: 0},
		{name: "POST retried after connect refused", protocol: "uwsgi", first: nil, method: "POST", want: 200, wantBody: "fine", second: 1},
		{name: "POST retried with non_idempotent", protocol: "uwsgi", first: closeNow, method: "POST", next: []string{"error", "timeout", "non_idempotent"}, want: 200, wantBody: "fine", second: 1},
		{name: "nothing retried with off", protocol: "uwsgi", first: nil, method: "GET", next: []string{"off"}, want: 502, second: 0},
		{name: "502 relayed when http_502 not listed", protocol: "http", first: respond(bad502), method: "GET", want: 502, wantBody: "bad", second: 0},
		{name: "502 retried when http_502 listed", protocol: "http", first: respond(bad502), method: "GET", next: []string{"error", "http_502"}, want: 200, wantBody: "fine", second: 1},
		{name: "502 of a POST kept without non_idempotent", protocol: "http", first: respond(bad502), method: "POST", next: []string{"error", "http_502"}, want: 502, wantBody: "bad", second: 0},
		{name: "invalid header not retried by default", protocol: "uwsgi", first: respond("Bad Head\r\n\r\n"), method: "GET", want: 502, second: 0},
		{name: "invalid header retried when listed", protocol: "uwsgi", first: respond("Bad Head\r\n\r\n"), method: "GET", next: []string{"error", "invalid_header"}, want: 200, wantBody: "fine", second: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkLeaks(t)
			var a string
			if tt.first == nil {
				a = refusedAddr(t)
			} else {
				a = newBackend(t, tt.protocol, tt.first).addr
			}
			b := newBackend(t, tt.protocol, respond(fine))
			s := Settings{Protocol: tt.protocol}
			if tt.next != nil {
				var err error
				if s.NextUpstream, _, err = ParseNextUpstream(tt.protocol, tt.next); err != nil {
					t.Fatal(err)
				}
			}
			req := uwsgiReq(tt.method, "/x", "payload")
			if tt.protocol == "http" {
				req = httpReq(tt.method, "/x", "payload")
			}
			res := (&Engine{}).Do(context.Background(), Target{Group: group(t, "app", peer(a), peer(b.addr))}, s, req)
			body := ""
			if res.Body != nil {
				var err error
				if body, err = readBody(t, res); err != nil {
					t.Errorf("reading body: %v", err)
				}
			}
			if res.Status != tt.want || body != tt.wantBody {
				t.Errorf("got %d %q, want %d %q (logs %q)", res.Status, body, tt.want, tt.wantBody, logLines(res))
			}
			if got := b.Hits(); got != tt.second {
				t.Errorf("second peer: got %d requests, want %d", got, tt.second)
			}
			wantAddr := a
			if tt.second > 0 {
				wantAddr = a + ", " + b.addr
			}
			if got := res.UpstreamAddr(); got != wantAddr {
				t.Errorf("$upstream_addr: got %q, want %q", got, wantAddr)
			}
		})
	}
}

// TestLastPeerAnswerRelayed: with http_502 listed and every peer answering
// 502, nginx relays the last peer's own 502 (test_next needs tries > 1).
func TestLastPeerAnswerRelayed(t *testing.T) {
	checkLeaks(t)
	a := newBackend(t, "http", respond("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 1\r\n\r\na"))
	b := newBackend(t, "http", respond("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 1\r\n\r\nb"))
	res := (&Engine{}).Do(context.Background(), Target{Group: group(t, "app", peer(a.addr), peer(b.addr))},
		Settings{Protocol: "http", NextUpstream: NextError | NextHTTP502}, httpReq("GET", "/", ""))
	body, err := readBody(t, res)
	if res.Status != 502 || body != "b" || err != nil {
		t.Errorf("got %d %q %v, want 502 \"b\"", res.Status, body, err)
	}
	if got, want := res.UpstreamStatus(), "502, 502"; got != want {
		t.Errorf("$upstream_status: got %q, want %q", got, want)
	}
	if len(res.Logs) != 1 || res.Logs[0].Msg != "upstream server temporarily disabled" {
		t.Errorf("got logs %q, want only the first peer's disabling", logLines(res))
	}
}

// TestNeverRetryAfterBytesRelayed: a peer that dies mid-body is not replaced;
// the body read fails with nginx's "while reading upstream" entry.
func TestNeverRetryAfterBytesRelayed(t *testing.T) {
	checkLeaks(t)
	a := newBackend(t, "uwsgi", partial("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789"))
	b := newBackend(t, "uwsgi", respond(okResponse))
	res := (&Engine{}).Do(context.Background(), Target{Group: group(t, "app", peer(a.addr), peer(b.addr))}, Settings{}, uwsgiReq("GET", "/", ""))
	if res.Status != 200 {
		t.Fatalf("got status %d, want 200", res.Status)
	}
	body, err := readBody(t, res)
	var be *BodyError
	if body != "0123456789" || !errors.As(err, &be) {
		t.Fatalf("got %q, %v; want the 10 bytes and a *BodyError", body, err)
	}
	if got, want := be.Entry.String(), `[error] upstream prematurely closed connection while reading upstream, upstream: "uwsgi://`+a.addr+`"`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if b.Hits() != 0 {
		t.Errorf("second peer got %d requests, want 0", b.Hits())
	}
}

func TestTriesLimit(t *testing.T) {
	checkLeaks(t)
	var peers []*balance.Peer
	var backends []*backend
	for range 3 {
		b := newBackend(t, "uwsgi", closeNow)
		backends = append(backends, b)
		peers = append(peers, peer(b.addr))
	}
	tests := []struct {
		name  string
		tries int
		want  int
	}{
		{"unlimited tries every peer", 0, 3},
		{"next_upstream_tries 2", 2, 2},
		{"next_upstream_tries 1", 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A fresh upstream each time: the previous run disabled its peers.
			res := (&Engine{}).Do(context.Background(), Target{Group: group(t, "app", peers...)}, Settings{Tries: tt.tries}, uwsgiReq("GET", "/", ""))
			if res.Status != 502 || len(res.Attempts) != tt.want {
				t.Errorf("got %d after %d attempts (%s), want 502 after %d", res.Status, len(res.Attempts), res.UpstreamAddr(), tt.want)
			}
		})
	}
}

func TestTriesTimeout(t *testing.T) {
	checkLeaks(t)
	a := newBackend(t, "uwsgi", hang)
	b := newBackend(t, "uwsgi", respond(okResponse))
	s := Settings{ReadTimeout: 50 * time.Millisecond, TriesTimeout: time.Millisecond}
	res := (&Engine{}).Do(context.Background(), Target{Group: group(t, "app", peer(a.addr), peer(b.addr))}, s, uwsgiReq("GET", "/", ""))
	if res.Status != 504 || len(res.Attempts) != 1 || b.Hits() != 0 {
		t.Errorf("got %d after %s, second peer %d hits; want 504 after the first peer only", res.Status, res.UpstreamAddr(), b.Hits())
	}
}

// TestMaxFails: the default max_fails=1 takes a failing peer out for the
// next request, which goes straight to the other peer.
func TestMaxFails(t *testing.T) {
	checkLeaks(t)
	a := newBackend(t, "uwsgi", closeNow)
	b := newBackend(t, "uwsgi", respond(okResponse))
	u := group(t, "app", peer(a.addr), peer(b.addr))
	e := &Engine{}
	first := e.Do(context.Background(), Target{Group: u}, Settings{}, uwsgiReq("GET", "/", ""))
	readBody(t, first)
	if got, want := first.UpstreamAddr(), a.addr+", "+b.addr; got != want {
		t.Errorf("first request: got $upstream_addr %q, want %q", got, want)
	}
	for i := range 3 {
		res := e.Do(context.Background(), Target{Group: u}, Settings{}, uwsgiReq("GET", "/", ""))
		readBody(t, res)
		if res.Status != 200 || res.UpstreamAddr() != b.addr {
			t.Errorf("request %d: got %d from %q, want 200 from %q", i+2, res.Status, res.UpstreamAddr(), b.addr)
		}
	}
	if a.Hits() != 1 {
		t.Errorf("disabled peer got %d requests, want 1", a.Hits())
	}
}

// TestNoLiveAfterFailure: the only other peer is disabled, the one tried
// fails: nginx logs "no live upstreams" and answers 502 ($upstream_addr
// ends with the group's name).
func TestNoLiveAfterFailure(t *testing.T) {
	checkLeaks(t)
	a := newBackend(t, "uwsgi", closeNow)
	b := newBackend(t, "uwsgi", closeNow)
	u := group(t, "app", peer(a.addr), peer(b.addr))
	e := &Engine{}
	readBody(t, e.Do(context.Background(), Target{Group: u}, Settings{Tries: 1}, uwsgiReq("GET", "/", ""))) // disables a
	res := e.Do(context.Background(), Target{Group: u}, Settings{}, uwsgiReq("GET", "/", ""))
	if got, want := res.UpstreamAddr(), b.addr+", app"; res.Status != 502 || got != want {
		t.Errorf("got %d from %q, want 502 from %q", res.Status, got, want)
	}
	if n := len(res.Logs); n == 0 || res.Logs[n-1].Text() != "no live upstreams while connecting to upstream" {
		t.Errorf("got logs %q, want them to end with no live upstreams", logLines(res))
	}
}

func TestBackupUsedWhenPrimariesFail(t *testing.T) {
	checkLeaks(t)
	a := refusedAddr(t)
	b := newBackend(t, "uwsgi", respond(okResponse))
	res := (&Engine{}).Do(context.Background(), Target{Group: group(t, "app", peer(a), peer(b.addr, asBackup))}, Settings{}, uwsgiReq("GET", "/", ""))
	body, _ := readBody(t, res)
	if res.Status != 200 || body != "hello" || res.UpstreamAddr() != a+", "+b.addr {
		t.Errorf("got %d %q from %q, want 200 \"hello\" from the backup", res.Status, body, res.UpstreamAddr())
	}
}

// TestSinglePeer: one server (or a literal address) ignores max_fails and
// is never "no live upstreams".
func TestSinglePeer(t *testing.T) {
	checkLeaks(t)
	a := newBackend(t, "uwsgi", closeNow)
	for _, target := range []Target{{Group: group(t, "one", peer(a.addr))}, {Addr: a.addr}} {
		for i := range 3 {
			res := (&Engine{}).Do(context.Background(), target, Settings{}, uwsgiReq("GET", "/", ""))
			if res.Status != 502 || res.UpstreamAddr() != a.addr || len(res.Logs) != 1 {
				t.Errorf("request %d: got %d from %q, logs %q; want 502 from %q with one entry", i, res.Status, res.UpstreamAddr(), logLines(res), a.addr)
			}
		}
	}
}

// TestClientAbort: the client leaves while nginx waits for the head.
func TestClientAbort(t *testing.T) {
	t.Run("closes the upstream too", func(t *testing.T) {
		checkLeaks(t)
		a := newBackend(t, "uwsgi", hang)
		gone := make(chan struct{})
		req := uwsgiReq("GET", "/", "")
		req.ClientGone = gone
		done := make(chan *Result)
		go func() { done <- (&Engine{}).Do(context.Background(), Target{Addr: a.addr}, Settings{}, req) }()
		<-a.got // the request reached the app
		close(gone)
		res := <-done
		want := `[info] epoll_wait() reported that client prematurely closed connection, so upstream connection is closed too while sending request to upstream, upstream: "uwsgi://` + a.addr + `"`
		if res.Status != 499 || res.Body != nil || !reflect.DeepEqual(logLines(res), []string{want}) {
			t.Errorf("got %d, logs %q; want 499 and %q", res.Status, logLines(res), want)
		}
	})
	t.Run("ignore_client_abort lets it finish", func(t *testing.T) {
		checkLeaks(t)
		release := make(chan struct{})
		a := newBackend(t, "uwsgi", func(c net.Conn) {
			<-release
			respond(okResponse)(c)
		})
		gone := make(chan struct{})
		req := uwsgiReq("GET", "/", "")
		req.ClientGone = gone
		done := make(chan *Result)
		go func() {
			done <- (&Engine{}).Do(context.Background(), Target{Addr: a.addr}, Settings{IgnoreClientAbort: true}, req)
		}()
		<-a.got
		close(gone)
		close(release)
		res := <-done
		if res.Status != 200 || res.Body == nil || len(res.Logs) != 0 {
			t.Fatalf("got %d, logs %q; want 200 with a body", res.Status, logLines(res))
		}
		res.Body.Close() // drains the rest, then frees the peer
	})
}

func TestUnixSocketPeer(t *testing.T) {
	checkLeaks(t)
	p := filepath.Join(t.TempDir(), "app.sock")
	ln, err := net.Listen("unix", p)
	if err != nil {
		t.Fatal(err)
	}
	b := serveBackend(t, "uwsgi", ln, respond(okResponse))
	res := (&Engine{}).Do(context.Background(), Target{Addr: b.addr}, Settings{}, uwsgiReq("GET", "/", ""))
	body, err := readBody(t, res)
	if res.Status != 200 || body != "hello" || err != nil {
		t.Errorf("got %d %q %v, want 200 \"hello\"", res.Status, body, err)
	}
}

// TestUwsgiWire checks the bytes a peer receives: the packet nginx builds
// (modifiers, vars in order) followed by exactly the body.
func TestUwsgiWire(t *testing.T) {
	checkLeaks(t)
	b := newBackend(t, "uwsgi", respond(okResponse))
	req := uwsgiReq("POST", "/employees", "name=张三")
	rec := &tracetest.Recorder{}
	res := (&Engine{Recorder: rec}).Do(context.Background(), Target{Addr: b.addr}, Settings{Modifier1: 0, Modifier2: 0}, req)
	readBody(t, res)
	got := <-b.got
	if !reflect.DeepEqual(got.packet.Vars, req.Vars) || string(got.body) != "name=张三" {
		t.Errorf("got vars %q body %q, want %q %q", got.packet.Vars, got.body, req.Vars, "name=张三")
	}
	want, _ := uwsgiproto.EncodePacket(0, 0, req.Vars)
	if !bytes.Equal(got.packet.Raw, want) {
		t.Errorf("got packet % x, want % x", got.packet.Raw, want)
	}
	// The trace: the balancer's pick, the packet sent, the head returned.
	var kinds []string
	for _, ev := range rec.Events() {
		k := ev.From + "→" + ev.To + " " + ev.Phase.String()
		if ev.PDU != nil {
			k += " pdu"
			if ev.Phase == trace.Sent && !bytes.Equal(ev.PDU.Data, want) {
				t.Errorf("sent PDU: got % x, want % x", ev.PDU.Data, want)
			}
			if ev.Phase == trace.Returned && string(ev.PDU.Data) != "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n" {
				t.Errorf("returned PDU: got %q", ev.PDU.Data)
			}
		}
		kinds = append(kinds, k)
	}
	if wantKinds := []string{"proxy→uwsgi info", "proxy→uwsgi sent pdu", "uwsgi→proxy returned pdu"}; !reflect.DeepEqual(kinds, wantKinds) {
		t.Errorf("got events %q, want %q", kinds, wantKinds)
	}
}

// TestBodies checks how much of the body is relayed: Content-Length, EOF,
// chunked (proxy_pass), nothing for 204 and for HEAD through proxy_pass.
func TestBodies(t *testing.T) {
	tests := []struct {
		name     string
		protocol string
		method   string
		raw      string
		want     string
	}{
		{"uwsgi to EOF", "uwsgi", "GET", "HTTP/1.1 200 OK\r\n\r\nall of it", "all of it"},
		{"uwsgi Content-Length stops early", "uwsgi", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcdef", "abc"},
		{"uwsgi CGI head", "uwsgi", "GET", "Status: 404 Not Found\r\n\r\nnope", "nope"},
		{"uwsgi HEAD reads to EOF", "uwsgi", "HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", ""},
		{"204 has no body", "http", "GET", "HTTP/1.1 204 No Content\r\n\r\nignored", ""},
		{"proxy HEAD has no body", "http", "HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", ""},
		{"proxy chunked", "http", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world"},
		{"proxy HTTP/0.9", "http", "GET", "just bytes", "just bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkLeaks(t)
			b := newBackend(t, tt.protocol, respond(tt.raw))
			req := uwsgiReq(tt.method, "/", "")
			if tt.protocol == "http" {
				req = httpReq(tt.method, "/", "")
			}
			res := (&Engine{}).Do(context.Background(), Target{Addr: b.addr}, Settings{Protocol: tt.protocol}, req)
			body, err := readBody(t, res)
			if err != nil || body != tt.want {
				t.Errorf("got %q, %v; want %q", body, err, tt.want)
			}
		})
	}
}

func TestBodyReadTimeout(t *testing.T) {
	checkLeaks(t)
	b := newBackend(t, "uwsgi", func(c net.Conn) {
		io.WriteString(c, "HTTP/1.1 200 OK\r\n\r\nstart")
		hang(c)
	})
	res := (&Engine{}).Do(context.Background(), Target{Addr: b.addr}, Settings{ReadTimeout: 50 * time.Millisecond}, uwsgiReq("GET", "/", ""))
	body, err := readBody(t, res)
	var be *BodyError
	if body != "start" || !errors.As(err, &be) || be.Entry.Text() != "upstream timed out (110: Connection timed out) while reading upstream" {
		t.Errorf("got %q, %v; want \"start\" and a read timeout", body, err)
	}
}

func TestParseNextUpstream(t *testing.T) {
	tests := []struct {
		name     string
		protocol string
		args     []string
		want     NextUpstream
		warnings []string
		err      string
	}{
		{"default words", "uwsgi", []string{"error", "timeout"}, NextError | NextTimeout, nil, ""},
		{"http codes for proxy", "http", []string{"error", "http_502", "http_504"}, NextError | NextHTTP502 | NextHTTP504, nil, ""},
		{"uwsgi has no http_502", "uwsgi", []string{"error", "http_502"}, 0, nil, `invalid value "http_502"`},
		{"duplicate warns", "uwsgi", []string{"error", "error", "timeout"}, NextError | NextTimeout, []string{`duplicate value "error"`}, ""},
		{"off wins", "uwsgi", []string{"error", "off"}, NextOff, nil, ""},
		{"unknown", "http", []string{"http_418"}, 0, nil, `invalid value "http_418"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, warnings, err := ParseNextUpstream(tt.protocol, tt.args)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err || !errors.Is(err, ErrInvalidValue) {
					t.Fatalf("got error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want || !reflect.DeepEqual(warnings, tt.warnings) {
				t.Errorf("got %v %q %v, want %v %q", got, warnings, err, tt.want, tt.warnings)
			}
		})
	}
}

// TestClientAbortWhileConnecting: the client leaves while connect() is
// still pending; nginx's action is still "connecting to upstream".
func TestClientAbortWhileConnecting(t *testing.T) {
	checkLeaks(t)
	gone := make(chan struct{})
	req := uwsgiReq("GET", "/", "")
	req.ClientGone = gone
	close(gone)
	res := (&Engine{Dialer: stallDialer{}}).Do(context.Background(), Target{Addr: "127.0.0.1:9001"}, Settings{}, req)
	want := []string{`[info] epoll_wait() reported that client prematurely closed connection, so upstream connection is closed too while connecting to upstream, upstream: "uwsgi://127.0.0.1:9001"`}
	if res.Status != 499 || !reflect.DeepEqual(logLines(res), want) {
		t.Errorf("got %d %q, want 499 %q", res.Status, logLines(res), want)
	}
	if got := res.UpstreamStatus(); got != "-" {
		t.Errorf("$upstream_status: got %q, want %q", got, "-")
	}
}

// TestShutdownCancels: the caller's ctx ending (a fast shutdown) stops a
// request stuck on a silent peer, even with ignore_client_abort on.
func TestShutdownCancels(t *testing.T) {
	checkLeaks(t)
	a := newBackend(t, "uwsgi", hang)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan *Result)
	go func() {
		done <- (&Engine{}).Do(ctx, Target{Addr: a.addr}, Settings{IgnoreClientAbort: true}, uwsgiReq("GET", "/", ""))
	}()
	<-a.got
	cancel()
	if res := <-done; res.Status != 499 || res.Body != nil {
		t.Errorf("got %d, want 499 without a body", res.Status)
	}
}

// TestTimeoutAfterDisable: for a timeout nginx writes the balancer's warning
// first and "upstream timed out" after it (both from ngx_http_upstream_next).
func TestTimeoutAfterDisable(t *testing.T) {
	checkLeaks(t)
	a := newBackend(t, "uwsgi", hang)
	b := newBackend(t, "uwsgi", respond(okResponse))
	res := (&Engine{}).Do(context.Background(), Target{Group: group(t, "app", peer(a.addr), peer(b.addr))},
		Settings{ReadTimeout: 50 * time.Millisecond}, uwsgiReq("GET", "/", ""))
	readBody(t, res)
	want := []string{
		`[warn] upstream server temporarily disabled while reading response header from upstream, upstream: "uwsgi://` + a.addr + `"`,
		`[error] upstream timed out (110: Connection timed out) while reading response header from upstream, upstream: "uwsgi://` + a.addr + `"`,
	}
	if res.Status != 200 || !reflect.DeepEqual(logLines(res), want) {
		t.Errorf("got %d %q, want 200 %q", res.Status, logLines(res), want)
	}
}

// FuzzParseNextUpstream: whatever words parse, the mask's String parses back to itself.
func FuzzParseNextUpstream(f *testing.F) {
	f.Add("error timeout", true)
	f.Add("error http_502 non_idempotent", true)
	f.Add("off error", false)
	f.Add("http_500 http_503 http_403 http_404 http_429 invalid_header updating", false)
	f.Fuzz(func(t *testing.T, words string, http bool) {
		protocol := "uwsgi"
		if http {
			protocol = "http"
		}
		m, _, err := ParseNextUpstream(protocol, strings.Fields(words))
		if err != nil {
			return
		}
		again, warnings, err := ParseNextUpstream(protocol, strings.Fields(m.String()))
		if m == 0 {
			return // no words at all: String says "off", which is another mask
		}
		if err != nil || again != m || len(warnings) != 0 {
			t.Fatalf("%q → %v (%q) → %v %q %v", words, m, m.String(), again, warnings, err)
		}
	})
}

// TestSendTimeout: a peer that stops reading while a big body is sent;
// send_timeout is between two writes, so the stall ends the attempt with 504.
func TestSendTimeout(t *testing.T) {
	checkLeaks(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.ReadFull(c, make([]byte, 4)) // the packet header, then nothing more
		<-release
	}()
	t.Cleanup(func() { close(release); ln.Close(); <-done })
	body := strings.Repeat("x", 24<<20) // more than loopback's socket buffers hold (wmem 4 MB, rmem grows only when read)
	res := (&Engine{}).Do(context.Background(), Target{Addr: ln.Addr().String()}, Settings{SendTimeout: 100 * time.Millisecond}, uwsgiReq("POST", "/upload", body))
	want := []string{`[error] upstream timed out (110: Connection timed out) while sending request to upstream, upstream: "uwsgi://` + ln.Addr().String() + `"`}
	if res.Status != 504 || !reflect.DeepEqual(logLines(res), want) {
		t.Errorf("got %d %q, want 504 %q", res.Status, logLines(res), want)
	}
}

// TestBufferingFreesPeerEarly: like nginx with uwsgi_buffering on, the
// upstream connection is read to its end and closed, and the peer freed in
// the balancer, before the client has read a byte.
func TestBufferingFreesPeerEarly(t *testing.T) {
	checkLeaks(t)
	hungUp := make(chan struct{})
	a := newBackend(t, "uwsgi", func(c net.Conn) {
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
		waitEOF(c)
		close(hungUp)
	})
	u := group(t, "app", peer(a.addr), peer(refusedAddr(t)))
	res := (&Engine{}).Do(context.Background(), Target{Group: u}, Settings{}, uwsgiReq("GET", "/", ""))
	<-hungUp // the proxy hung up on the app server while the client has read nothing
	for _, p := range u.Snapshot() {
		if p.Conns != 0 {
			t.Errorf("peer %s: got %d conns, want 0 once the upstream is done", p.Addr, p.Conns)
		}
	}
	if body, err := readBody(t, res); body != "hello" || err != nil {
		t.Errorf("got %q, %v; want \"hello\"", body, err)
	}
}

// TestSlowClientBounded: a body bigger than MaxBuffered waits for the
// client; closing early cuts the upstream off.
func TestSlowClientBounded(t *testing.T) {
	checkLeaks(t)
	big := strings.Repeat("z", 3*MaxBuffered)
	a := newBackend(t, "uwsgi", func(c net.Conn) {
		io.WriteString(c, "HTTP/1.1 200 OK\r\n\r\n"+big)
		hang(c)
	})
	res := (&Engine{}).Do(context.Background(), Target{Addr: a.addr}, Settings{}, uwsgiReq("GET", "/", ""))
	p := make([]byte, 10)
	if n, err := io.ReadFull(res.Body, p); n != 10 || err != nil {
		t.Fatalf("got %d, %v", n, err)
	}
	res.Body.Close() // the pump stops and the app server sees the hang-up
	if n, err := res.Body.Read(p); n != 0 || err == nil {
		t.Errorf("read after Close: got %d, %v; want an error", n, err)
	}
}

// TestBufferingHoldsPeer: a body the pump cannot take in at once keeps the
// peer busy until the client has read it; with buffering off that happens
// past BufferSize, with it on past MaxBuffered.
func TestBufferingHoldsPeer(t *testing.T) {
	tests := []struct {
		name string
		s    Settings
		size int
	}{
		{"buffering off", Settings{NoBuffering: true}, 256 << 10},
		{"buffering on", Settings{}, 3 * MaxBuffered},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkLeaks(t)
			big := strings.Repeat("z", tt.size)
			a := newBackend(t, "uwsgi", respond("HTTP/1.1 200 OK\r\nContent-Length: "+strconv.Itoa(len(big))+"\r\n\r\n"+big))
			u := group(t, "app", peer(a.addr), peer(refusedAddr(t)))
			res := (&Engine{}).Do(context.Background(), Target{Group: u}, tt.s, uwsgiReq("GET", "/", ""))
			if _, err := io.ReadFull(res.Body, make([]byte, 10)); err != nil {
				t.Fatal(err)
			}
			if got := u.Snapshot()[0].Conns; got != 1 {
				t.Errorf("while the client reads: got %d conns, want 1", got)
			}
			rest, err := io.ReadAll(res.Body)
			res.Body.Close()
			if err != nil || len(rest) != tt.size-10 {
				t.Errorf("got %d more bytes, %v; want %d", len(rest), err, tt.size-10)
			}
			if got := u.Snapshot()[0].Conns; got != 0 {
				t.Errorf("after the body: got %d conns, want 0", got)
			}
		})
	}
}
