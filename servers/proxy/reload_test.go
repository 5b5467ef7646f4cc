package proxy

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"webflow-lab/servers/proxy/config"
	"webflow-lab/servers/trace"
)

// TestReloadUnderLoad: 100 reloads while bounded clients keep sending
// requests, on kept-alive and new connections; no request may fail because
// of a reload, and every answer comes from one of the two configs.
func TestReloadUnderLoad(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	confA := fmt.Sprintf("events {}\nhttp { access_log off; server { listen 127.0.0.1:%s; location / { return 200 \"A\"; } } }\n", port)
	confB := fmt.Sprintf("events {}\nhttp { access_log off; server { listen 127.0.0.1:%s; location / { return 200 \"B\"; } } }\n", port)
	load := func(text string) *config.Config {
		p := filepath.Join(dir, "nginx.conf")
		os.WriteFile(p, []byte(text), 0o644)
		cfg, err := config.Load(p)
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	a, b := load(confA), load(confB)
	errLog := &syncBuffer{}
	srv, err := New(a, Options{Prefix: dir, ErrorLog: errLog})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	url := "http://127.0.0.1:" + port + "/"

	var (
		wg       sync.WaitGroup
		ok, bad  atomic.Int64
		failures = make(chan string, 16)
		stop     = make(chan struct{})
	)
	for i := 0; i < 8; i++ {
		keepAlive := i%2 == 0
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Transport: &http.Transport{DisableKeepAlives: !keepAlive}, Timeout: 10 * time.Second}
			defer client.CloseIdleConnections()
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := client.Get(url)
				if err != nil {
					bad.Add(1)
					select {
					case failures <- err.Error():
					default:
					}
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || (string(body) != "A" && string(body) != "B") {
					bad.Add(1)
					select {
					case failures <- fmt.Sprintf("%d %q", resp.StatusCode, body):
					default:
					}
					continue
				}
				ok.Add(1)
			}
		}()
	}
	for i := 0; i < 100; i++ {
		cfg := a
		if i%2 == 0 {
			cfg = b
		}
		if err := srv.Reload(cfg); err != nil {
			t.Fatalf("reload %d: %v", i, err)
		}
		// let some requests through on this config before the next reload
		for n, deadline := ok.Load(), time.Now().Add(10*time.Second); ok.Load() < n+5 && bad.Load() == 0; {
			if time.Now().After(deadline) {
				t.Fatalf("no request finished within 10s of reload %d", i)
			}
			runtimeGosched()
		}
	}
	close(stop)
	wg.Wait()
	close(failures)
	for f := range failures {
		t.Errorf("failed request: %s", f)
	}
	if bad.Load() != 0 || ok.Load() < 500 {
		t.Errorf("got %d good and %d failed requests; want ≥ 500 good and 0 failed", ok.Load(), bad.Load())
	}
	if n := strings.Count(errLog.String(), "[emerg]"); n != 0 {
		t.Errorf("error log has %d emerg lines:\n%s", n, errLog.String())
	}
}

// TestReloadBroken: a config that fails to compile or to bind leaves the old
// one serving, and the error says what nginx would.
func TestReloadBroken(t *testing.T) {
	l := startLab(t, `server { listen 127.0.0.1:FREEPORT; location / { return 200 "old"; } }`, nil)
	busy := startLab(t, `server { listen 127.0.0.1:FREEPORT; }`, nil)
	tests := []struct {
		name, http, want string
	}{
		{"unknown host", `server { listen ` + l.addr + `; location / { uwsgi_pass nosuch.invalid:9001; } }`, `host not found in upstream "nosuch.invalid:9001"`},
		{"busy port", `server { listen ` + l.addr + `; location / { return 200 "new"; } } server { listen ` + busy.addr + `; }`,
			"bind() to " + busy.addr + " failed (98: Address already in use)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := loadConf(t, dir, "events {}\nhttp {\n"+tt.http+"\n}\n")
			err := l.srv.Reload(cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error with %q", err, tt.want)
			}
			if got := do(t, l.addr, get("/")); got.status != 200 || got.body != "old" {
				t.Errorf("after a failed reload: got %d %q, want 200 \"old\"", got.status, got.body)
			}
		})
	}
	if !strings.Contains(l.errLog.String(), "[emerg]") {
		t.Errorf("error log lacks the emerg line:\n%s", l.errLog.String())
	}
}

// TestReloadMovesListeners: a reload that changes the port opens the new
// socket and closes the old one.
func TestReloadMovesListeners(t *testing.T) {
	l := startLab(t, `server { listen 127.0.0.1:FREEPORT; location / { return 200 "one"; } }`, nil)
	dir := t.TempDir()
	cfg := loadConf(t, dir, "events {}\nhttp { server { listen 127.0.0.1:FREEPORT; location / { return 200 \"two\"; } } }\n")
	if err := l.srv.Reload(cfg); err != nil {
		t.Fatal(err)
	}
	addrs := l.srv.Addrs()
	if len(addrs) != 1 || addrs[0].String() == l.addr {
		t.Fatalf("listening on %v after the reload; want one new address", addrs)
	}
	if got := do(t, addrs[0].String(), get("/")); got.body != "two" {
		t.Errorf("new listener answered %q, want \"two\"", got.body)
	}
}

func TestTraceEvents(t *testing.T) {
	b := trace.NewBroker()
	sub := b.Subscribe(100)
	defer sub.Close()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"html/a.txt": "hello"})
	cfg := loadConf(t, dir, "events {}\nhttp { server { listen 127.0.0.1:FREEPORT; root DIR/html; } }\n")
	srv, err := New(cfg, Options{Prefix: dir, Recorder: b, AccessLog: io.Discard, ErrorLog: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	do(t, srv.Addrs()[0].String(), get("/a.txt"))
	srv.Shutdown(context.Background()) // the last event is recorded after the flush
	var got []string
	var id string
	var pdu *trace.PDU
	for _, e := range sub.Drain() {
		got = append(got, fmt.Sprintf("%s→%s %s %d", e.From, e.To, e.Phase, e.Status))
		if id == "" {
			id, pdu = e.ReqID, e.PDU
		}
		if e.ReqID != id {
			t.Errorf("event %+v has request id %q, want %q", e, e.ReqID, id)
		}
	}
	want := []string{"browser→proxy arrived 0", "proxy→proxy info 0", "disk→proxy returned 0", "proxy→browser returned 200"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if pdu == nil || pdu.Kind != trace.HTTPHead || !strings.HasPrefix(string(pdu.Data), "GET /a.txt HTTP/1.1\r\n") {
		t.Errorf("arrival PDU: got %+v", pdu)
	}
	if len(id) != 32 {
		t.Errorf("request id %q: want 32 hex digits", id)
	}
}

func runtimeGosched() { runtime.Gosched() }

// TestTraceDynamic: a uwsgi_pass request's hops carry one request id from
// the browser to the app server and back, and with the workspace's
// "uwsgi_param HTTP_X_REQUEST_ID $request_id;" the id reaches the app as
// HTTP_X_REQUEST_ID. Without that line the app gets what nginx sends:
// no such var, or the client's own X-Request-Id.
func TestTraceDynamic(t *testing.T) {
	b := trace.NewBroker()
	sub := b.Subscribe(100)
	defer sub.Close()
	app := startOurUwsgi(t, "echo.py")
	dir := t.TempDir()
	cfg := loadConf(t, dir, "events {}\nhttp { upstream app { server "+app+"; } server { listen 127.0.0.1:FREEPORT; "+
		"location / { uwsgi_param HTTP_X_REQUEST_ID $request_id; uwsgi_pass app; } } }\n")
	srv, err := New(cfg, Options{Prefix: dir, Recorder: b, AccessLog: io.Discard, ErrorLog: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	got := do(t, srv.Addrs()[0].String(), get("/x"))
	srv.Shutdown(context.Background()) // the last event is recorded after the flush
	plainLab := startLab(t, "server { listen 127.0.0.1:FREEPORT; location / { uwsgi_pass "+app+"; } }", nil)
	plain := do(t, plainLab.addr, get("/plain/x"))
	own := do(t, plainLab.addr, "GET /plain/y HTTP/1.1\r\nHost: x\r\nX-Request-Id: mine\r\nConnection: close\r\n\r\n")
	if strings.Contains(plain.body, "HTTP_X_REQUEST_ID") {
		t.Errorf("without the uwsgi_param line the app got a request id:\n%s", plain.body)
	}
	if !strings.Contains(own.body, `"HTTP_X_REQUEST_ID": "mine"`) {
		t.Errorf("the client's own X-Request-Id did not reach the app:\n%s", own.body)
	}
	var hops []string
	var id string
	for _, e := range sub.Drain() {
		if e.From != trace.Browser && e.From != trace.Proxy && e.To != trace.Proxy {
			continue // the app server's own hops
		}
		if id == "" {
			id = e.ReqID
		}
		if e.ReqID != id {
			t.Errorf("event %s→%s %s has id %q, want %q", e.From, e.To, e.Phase, e.ReqID, id)
		}
		hops = append(hops, e.From+"→"+e.To+" "+e.Phase.String())
	}
	joined := strings.Join(hops, ", ")
	for _, want := range []string{"browser→proxy arrived", "proxy→uwsgi info", "proxy→uwsgi sent", "proxy→browser returned"} {
		if !strings.Contains(joined, want) {
			t.Errorf("hops lack %q: %s", want, joined)
		}
	}
	if !strings.Contains(got.body, `"HTTP_X_REQUEST_ID": "`+id+`"`) {
		t.Errorf("the app did not get HTTP_X_REQUEST_ID %s:\n%s", id, got.body)
	}
}
