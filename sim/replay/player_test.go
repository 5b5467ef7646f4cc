package replay

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"webflow-lab/servers/explain"
	"webflow-lab/sim"
)

// TestPlayerTiming: events reach a watcher at their recorded time divided
// by the speed, in the recorded order; the snapshot and the configs change
// with the state event they were recorded after; pause holds the clock,
// restart plays from the start again.
func TestPlayerTiming(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := sample()
		p, err := New(rec)
		if err != nil {
			t.Fatal(err)
		}
		sub := p.Watch(0)
		defer sub.Close()
		if s := p.Snapshot(); len(s.Instances) != 2 || s.Instances[1].State != sim.Running || len(p.Configs()) != 3 {
			t.Fatalf("at the start: %+v, %d configs; want uwsgi-2 running, 3 configs", s.Instances, len(p.Configs()))
		}
		mustDo(t, p, "speed 2")
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- p.Run(ctx) }()
		start := time.Now()
		want := rec.Events()
		var latest time.Duration
		for i, w := range want {
			e, err := sub.Next(ctx)
			if err != nil {
				t.Fatal(err)
			}
			// 13.0 ms comes after 13.1 ms in the file: it is played at once.
			latest = max(latest, w.At)
			due := latest / 2
			if got := time.Since(start); got != due || e.ReqID != w.ReqID || e.Phase != w.Phase || e.At != w.At {
				t.Errorf("event %d: got %s at %v, want %s at %v", i, sim.FormatEvent(e), got, sim.FormatEvent(w), due)
			}
			if e.State {
				if s := p.Snapshot(); s.Instances[1].State != sim.Stopped {
					t.Errorf("after the state event the snapshot says uwsgi-2 is %s, want stopped", s.Instances[1].State)
				}
				if c := p.Configs(); len(c) != 2 {
					t.Errorf("after the state event: %d configs, want 2 (uwsgi-1.ini is gone)", len(c))
				}
			}
		}
		<-p.Ended()
		if got := time.Since(start); got != rec.Length()/2 {
			t.Errorf("ended after %v, want %v", got, rec.Length()/2)
		}
		if st := p.Status(); !st.Ended || st.Position != rec.Length() {
			t.Errorf("status at the end: %+v", st)
		}
		// Restart, pause a while, resume: the first event comes at its
		// time plus the pause.
		mustDo(t, p, "restart")
		if s := p.Snapshot(); s.Instances[1].State != sim.Running {
			t.Errorf("after restart the snapshot says uwsgi-2 is %s, want running", s.Instances[1].State)
		}
		mustDo(t, p, "pause")
		time.Sleep(time.Hour)
		if n := len(sub.Drain()); n != 0 {
			t.Errorf("%d events while paused", n)
		}
		restart := time.Now()
		mustDo(t, p, "resume")
		if _, err := sub.Next(ctx); err != nil {
			t.Fatal(err)
		}
		if got := time.Since(restart); got != want[0].At/2 {
			t.Errorf("after resume the first event came after %v, want %v", got, want[0].At/2)
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run returned %v, want the context's error", err)
		}
	})
}

func mustDo(t *testing.T, p *Player, line string) sim.Result {
	t.Helper()
	r, err := p.Do(context.Background(), line)
	if err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	if r.Did.EN == "" || r.Did.ZH == "" {
		t.Errorf("%s: the result does not say what it did in both languages", line)
	}
	return r
}

// TestPlayerRefuses: a recording honours speed, pause, resume, restart and
// status; the lab's other controls are refused in both languages.
func TestPlayerRefuses(t *testing.T) {
	p, err := New(sample())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ line, want string }{
		{"stop uwsgi-1", "this is a recording: `stop uwsgi-1`"},
		{"traffic 3 browsers, journey login-list", "this is a recording"},
		{"nginx -s reload", "this is a recording"},
		{"speed 0", "above 0"},
		{"speed 5000", "at most 1000"},
		{"speed fast", "a speed is a number"},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			_, err := p.Do(context.Background(), tt.line)
			var e *explain.Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v, want an explain.Error", err)
			}
			if en, zh := e.Block("en"), e.Block("zh"); !strings.Contains(en, tt.want) || en == zh {
				t.Errorf("got\n%s\n%s\nwant %q, in both languages", en, zh, tt.want)
			}
		})
	}
	if n := p.UserOf("127.0.3.1:40112→127.0.0.1:8080"); n != 3 {
		t.Errorf("UserOf(127.0.3.1) = %d, want user 3", n)
	}
	if n := p.UserOf("127.0.0.1:40112→127.0.0.1:8080"); n != 0 {
		t.Errorf("UserOf(127.0.0.1) = %d, want 0", n)
	}
	out := mustDo(t, p, "status").Output
	if !strings.Contains(out, "replay 0s of 2s at 1×") || !strings.Contains(out, "uwsgi-2") {
		t.Errorf("status: got\n%s\nwant the position and the lab", out)
	}
	for _, l := range []string{"speed 0.25", "speed 10x", "pause", "resume", "restart"} {
		mustDo(t, p, l)
	}
	// Every command Commands lists for the screen is one Do takes.
	for _, c := range Commands() {
		line := c.Name
		if len(c.Values) > 0 {
			line += " " + c.Values[0]
		}
		mustDo(t, p, line)
	}
}
