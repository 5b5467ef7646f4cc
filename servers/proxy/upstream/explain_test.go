package upstream

import (
	"errors"
	"path/filepath"
	"testing"

	"webflow-lab/servers/explain"
	goldenfile "webflow-lab/servers/testenv/golden"
)

// TestExplainGolden renders the learner's block for every error.log entry
// the engine writes, in English and Chinese, against testdata/explain/*.golden.
func TestExplainGolden(t *testing.T) {
	const up = "uwsgi://127.0.0.1:9001"
	tests := []struct {
		name string
		e    LogEntry
	}{
		{"refused", LogEntry{Level: Error, Msg: "connect() failed (111: Connection refused)", Action: ActConnecting, Upstream: up}},
		{"unix-missing", LogEntry{Level: Crit, Msg: "connect() to unix:/run/app.sock failed (2: No such file or directory)", Action: ActConnecting, Upstream: "uwsgi://unix:/run/app.sock:"}},
		{"unix-permission", LogEntry{Level: Crit, Msg: "connect() to unix:/run/app.sock failed (13: Permission denied)", Action: ActConnecting, Upstream: "uwsgi://unix:/run/app.sock:"}},
		{"unix-backlog", LogEntry{Level: Error, Msg: "connect() to unix:/run/app.sock failed (11: Resource temporarily unavailable)", Action: ActConnecting, Upstream: "uwsgi://unix:/run/app.sock:"}},
		{"no-live", LogEntry{Level: Error, Msg: "no live upstreams", Action: ActConnecting, Upstream: "http://dead/dead"}},
		{"disabled", LogEntry{Level: Warn, Msg: "upstream server temporarily disabled", Action: ActReadHead, Upstream: up}},
		{"connect-timeout", LogEntry{Level: Error, Msg: timedOut, Action: ActConnecting, Upstream: up}},
		{"send-timeout", LogEntry{Level: Error, Msg: timedOut, Action: ActSending, Upstream: up}},
		{"read-timeout", LogEntry{Level: Error, Msg: timedOut, Action: ActReadHead, Upstream: up}},
		{"body-timeout", LogEntry{Level: Error, Msg: timedOut, Action: ActReadBody, Upstream: up}},
		{"closed", LogEntry{Level: Error, Msg: "upstream prematurely closed connection", Action: ActReadHead, Upstream: up}},
		{"closed-mid-body", LogEntry{Level: Error, Msg: "upstream prematurely closed connection", Action: ActReadBody, Upstream: up}},
		{"reset", LogEntry{Level: Error, Msg: "recv() failed (104: Connection reset by peer)", Action: ActReadHead, Upstream: up}},
		{"too-big-header", LogEntry{Level: Error, Msg: "upstream sent too big header", Action: ActReadHead, Upstream: up}},
		{"invalid-header", LogEntry{Level: Error, Msg: `upstream sent invalid header: "<html>\x20..."`, Action: ActReadHead, Upstream: up}},
		{"http09", LogEntry{Level: Error, Msg: "upstream sent no valid HTTP/1.0 header", Action: ActReadHead, Upstream: "http://127.0.0.1:9001/"}},
		{"request-too-big", LogEntry{Level: Alert, Msg: "uwsgi request is too big: 70095"}},
		{"client-abort", LogEntry{Level: Info, Msg: clientClosed, Action: ActSending, Upstream: up}},
		{"send-failed", LogEntry{Level: Error, Msg: "writev() failed (32: Broken pipe)", Action: ActSending, Upstream: up}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			golden(t, tt.name, tt.e.Explain())
		})
	}
}

func TestValueErrorGolden(t *testing.T) {
	tests := []struct {
		name, protocol, value string
	}{
		{"next-upstream-uwsgi-http_502", "uwsgi", "http_502"},
		{"next-upstream-uwsgi-typo", "uwsgi", "eror"},
		{"next-upstream-proxy-typo", "http", "http_418"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ParseNextUpstream(tt.protocol, []string{"error", tt.value})
			var ve *ValueError
			if !errors.As(err, &ve) || err.Error() != `invalid value "`+tt.value+`"` {
				t.Fatalf("got %v, want nginx's invalid value error", err)
			}
			golden(t, tt.name, ve.Explain())
		})
	}
}

// golden compares a learner's block, English then Chinese, with testdata/explain/NAME.golden.
func golden(t *testing.T, name string, x *explain.Error) {
	t.Helper()
	got := x.Block("en") + "\n\n" + x.Block("zh") + "\n"
	goldenfile.Check(t, filepath.Join("testdata", "explain", name+".golden"), got)
	if x.Why.EN == "" || x.Why.ZH == "" || x.Try.ZH == "" {
		t.Errorf("no commentary for %q", x.What.EN)
	}
}
