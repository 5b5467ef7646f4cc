package sim

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"webflow-lab/servers/trace"
)

// TestProbe: a probe is a real request, followed hop by hop: the instance
// that served it, the hop that failed, and the same over the control
// endpoint as JSON.
func TestProbe(t *testing.T) {
	noLeaks(t)
	lab := startLab(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	served := func(r ProbeResult) string {
		for _, e := range r.Events {
			if e.From == trace.Uwsgi && e.To == trace.App {
				return e.Instance
			}
		}
		return ""
	}
	tests := []struct {
		name     string
		p        ProbeRequest
		status   int
		body     string
		instance string // "" for any
		disk     bool   // served from disk, never an app server
	}{
		{"through the proxy", ProbeRequest{Path: "/login/"}, 200, "served by <b>", "", false},
		{"straight to uwsgi-2", ProbeRequest{Path: "/login/", To: "uwsgi-2"}, 200, "served by <b>uwsgi-2</b>", "uwsgi-2", false},
		{"a static file", ProbeRequest{Path: "/static/ems/css/style.css"}, 200, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := lab.Probe(ctx, tt.p)
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != tt.status || !strings.Contains(r.Body, tt.body) {
				t.Fatalf("got %d %q (err %q), want %d with %q", r.Status, r.Body[:min(len(r.Body), 200)], r.Err, tt.status, tt.body)
			}
			if len(r.Events) == 0 || !r.Events[0].First || !r.Events[len(r.Events)-1].Last {
				t.Fatalf("events: got %d, want the request's whole trace from First to Last", len(r.Events))
			}
			got := served(r)
			switch {
			case tt.disk && got != "":
				t.Errorf("static file: got it served by %s, want disk only", got)
			case !tt.disk && got == "":
				t.Errorf("got no uwsgi→app event, want one")
			case tt.instance != "" && got != tt.instance:
				t.Errorf("served by: got %s, want %s", got, tt.instance)
			}
		})
	}

	t.Run("the client gives up", func(t *testing.T) {
		for _, name := range []string{"uwsgi-1", "uwsgi-2"} {
			if _, err := lab.SetLatency(ctx, name, 2*time.Second); err != nil {
				t.Fatal(err)
			}
		}
		r, err := lab.Probe(ctx, ProbeRequest{Path: "/login/", Timeout: 200 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != 0 || !strings.Contains(r.Err, "gave up") {
			t.Errorf("got %d %q, want no answer, the client gave up", r.Status, r.Err)
		}
		for _, name := range []string{"uwsgi-1", "uwsgi-2"} {
			lab.SetLatency(ctx, name, 0)
		}
	})

	t.Run("both instances down: 502 and the failed hop", func(t *testing.T) {
		for _, name := range []string{"uwsgi-1", "uwsgi-2"} {
			if _, err := lab.StopInstance(ctx, name); err != nil {
				t.Fatal(err)
			}
		}
		res, err := lab.Do(ctx, `probe --json {"Path":"/login/"}`)
		if err != nil {
			t.Fatal(err)
		}
		var r ProbeResult
		if err := json.Unmarshal([]byte(res.Output), &r); err != nil {
			t.Fatalf("probe --json: %v\n%s", err, res.Output)
		}
		if r.Status != 502 {
			t.Fatalf("got %d, want 502", r.Status)
		}
		failed := false
		for _, e := range r.Events {
			failed = failed || e.Phase == trace.Failed && e.From == trace.Proxy && e.To == trace.Uwsgi
		}
		if !failed {
			t.Errorf("got no failed proxy→uwsgi event in %d events, want one", len(r.Events))
		}
	})

	t.Run("snapshot as JSON", func(t *testing.T) {
		res, err := lab.Do(ctx, "snapshot")
		if err != nil {
			t.Fatal(err)
		}
		var s Snapshot
		if err := json.Unmarshal([]byte(res.Output), &s); err != nil {
			t.Fatal(err)
		}
		if len(s.Instances) != 2 || s.Instances[1].State != Stopped || s.DB.State != Running {
			t.Errorf("got %d instances, uwsgi-2 %s, db %s; want 2, stopped, running", len(s.Instances), s.Instances[1].State, s.DB.State)
		}
	})

	t.Run("unknown instance", func(t *testing.T) {
		if _, err := lab.Probe(ctx, ProbeRequest{Path: "/", To: "uwsgi-9"}); err == nil || !strings.Contains(err.Error(), "uwsgi-9") {
			t.Errorf("got %v, want an error naming uwsgi-9", err)
		}
	})
}
