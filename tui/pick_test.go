package tui

import (
	"strings"
	"testing"
	"time"

	"webflow-lab/servers/trace"
	"webflow-lab/tui/i18n"
)

// A request no peer answered has the proxy as its Instance: the last pick
// must not read "nginx · peer 1 skipped…".
func TestLastPickNamesOnlyAnAppServer(t *testing.T) {
	ms := time.Millisecond
	f := newFakeLab()
	m := newTestModel(t, f, i18n.EN, 120, 36)
	feed(t, m, f, []trace.Event{
		{ReqID: "b1", First: true, From: trace.Browser, To: trace.Proxy, Phase: trace.Arrived, At: ms, Why: "GET /employees/ HTTP/1.1"},
		{ReqID: "b1", From: trace.Proxy, To: trace.Uwsgi, Instance: "127.0.0.1:9001", Phase: trace.Info, At: ms + 50*time.Microsecond,
			Why: "round robin: peer 1 skipped (down), peer 2 skipped (down)"},
		{ReqID: "b1", From: trace.Proxy, To: trace.Uwsgi, Instance: "127.0.0.1:9001", Phase: trace.Failed, At: ms + 300*time.Microsecond,
			Why: "connect() failed (111: Connection refused) while connecting to upstream"},
		{ReqID: "b1", Last: true, From: trace.Proxy, To: trace.Browser, Phase: trace.Returned, At: 2 * ms, Status: 502},
	})
	_, _, pick := m.frame()
	if !strings.HasPrefix(pick, "round robin") {
		t.Errorf("last pick %q, want the reason alone (no instance answered)", pick)
	}
	// a request an app server answered keeps its instance first
	feed(t, m, f, hops(t))
	if _, _, pick := m.frame(); !strings.HasPrefix(pick, "uwsgi-2 · ") {
		t.Errorf("last pick %q, want it to start with the instance that answered (uwsgi-2)", pick)
	}
}
