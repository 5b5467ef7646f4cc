package web

import (
	"net/http/httptest"
	"strings"
	"testing"

	"webflow-lab/servers/ems/emstest"
	"webflow-lab/servers/internal/tracetest"
	"webflow-lab/servers/trace"
	"webflow-lab/servers/wsgi"
)

// TestQueriesReportToTheEnvironsRecorder: the app's SQL shows up as App → DB
// hops of the request that ran it, with the request id and instance, and the
// password hash masked in the PDU.
func TestQueriesReportToTheEnvironsRecorder(t *testing.T) {
	a, _ := openApp(t, testConfig(t, ""))
	rec := &tracetest.Recorder{}
	h := wsgi.Handler(wsgi.AppFunc(func(env *wsgi.Environ, start wsgi.StartResponse) (wsgi.Body, error) {
		env.Trace = rec
		env.Server = wsgi.ServerInfo{Instance: "uwsgi-7", Worker: 1}
		return a.ServeWSGI(env, start)
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	c := emstest.NewClient(t, srv.URL)
	c.Register("tracey", "secret1", "追踪")

	all := rec.Events()
	var insert *trace.Event
	for i, ev := range all {
		if ev.From != trace.App || ev.To != trace.DB || ev.Instance != "uwsgi-7" {
			t.Fatalf("event %+v: want App → DB on uwsgi-7", ev)
		}
		if ev.Phase == trace.Returned && strings.HasPrefix(ev.Why, "INSERT INTO users") {
			insert = &all[i]
		}
	}
	if insert == nil || insert.PDU == nil {
		t.Fatalf("no INSERT INTO users event with a PDU among %d events", len(all))
	}
	pdu := string(insert.PDU.Data)
	if !strings.Contains(pdu, `"tracey"`) || strings.Contains(pdu, "$2a$") || !strings.Contains(pdu, "'***'") {
		t.Fatalf("PDU %q: want the username and the hash masked", pdu)
	}
}

func TestHead(t *testing.T) {
	a, _ := openApp(t, testConfig(t, ""))
	req := httptest.NewRequest("HEAD", "/login/", nil)
	rec := httptest.NewRecorder()
	wsgi.Handler(a).ServeHTTP(rec, req)
	if rec.Code != 200 || rec.Body.Len() != 0 || rec.Header().Get("Content-Length") == "0" {
		t.Fatalf("HEAD: got %d, %d body bytes, Content-Length %q; want 200, none, the GET's length", rec.Code, rec.Body.Len(), rec.Header().Get("Content-Length"))
	}
}
