package sim

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"webflow-lab/servers/explain"
	"webflow-lab/servers/trace"
	"webflow-lab/sim/traffic"
)

// waitTraffic waits (30 s at most) until run id matches, and returns it.
func waitTraffic(t *testing.T, lab *Lab, id int, what string, match func(TrafficRun) bool) TrafficRun {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		for _, r := range lab.Traffic() {
			if r.ID == id && match(r) {
				return r
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("traffic %d: not %s in 30 s:\n%s", id, what, FormatTraffic(lab.Traffic()))
		}
		<-tick.C
	}
}

func ended(r TrafficRun) bool { return r.State != TrafficRunning }

// TestTrafficBrowse: `traffic 2 browsers, journey login-list, 2 times`
// from the lab's controls walks for real: every journey ends, every answer
// is counted by status with its latency, the Snapshot shows the run, each
// request's arrival at the proxy names its user from the connection alone
// (UserOf), and the proxy's spread over the instances is counted.
func TestTrafficBrowse(t *testing.T) {
	noLeaks(t)
	lab := startLab(t, nil)
	sub := lab.Watch(1 << 16)
	defer sub.Close()
	r, err := lab.Do(context.Background(), "traffic 2 browsers, journey login-list, 2 times")
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "the result", r.Did.EN, "traffic 1: 2 browsers, journey login-list, 2 times (users 1–2")
	run := waitTraffic(t, lab, 1, "ended", ended)
	t.Logf("\n%s", FormatTraffic([]TrafficRun{run}))
	if run.State != TrafficDone || run.Walks != 4 || run.Failed != 0 || run.Errors != 0 {
		t.Fatalf("got %s, %d walks, %d failed, %d errors (%s); want done, 4 walks, none failed", run.State, run.Walks, run.Failed, run.Errors, run.Error.EN)
	}
	if run.Users != [2]int{1, 2} || run.Kind != "browse" || run.Ended.IsZero() {
		t.Errorf("got users %v, kind %q, ended %v; want 1–2, browse, a time", run.Users, run.Kind, run.Ended)
	}
	var answered int64
	for _, n := range run.Status {
		answered += n
	}
	if answered != run.Sent || run.Status[200] == 0 || run.Status[302] == 0 {
		t.Errorf("status %v for %d sent: want every answer counted, 200s (pages) and 302s (the login's redirect)", run.Status, run.Sent)
	}
	if run.P50 <= 0 || run.P50 > run.P99 || run.P99 > run.Max || run.RPS <= 0 {
		t.Errorf("got p50 %v p99 %v max %v, %.1f req/s; want 0 < p50 ≤ p99 ≤ max, a rate", run.P50, run.P99, run.Max, run.RPS)
	}
	var spread int64
	for _, n := range run.Instances {
		spread += n
	}
	if spread != run.Seen || run.Seen != run.Sent || run.Instances["proxy"] == 0 || run.Instances["uwsgi-1"]+run.Instances["uwsgi-2"] == 0 {
		t.Errorf("instances %v (seen %d) for %d sent: want every request counted, static ones at the proxy, pages at the instances", run.Instances, run.Seen, run.Sent)
	}
	snap := lab.Snapshot()
	if len(snap.Traffic) != 1 || snap.Traffic[0].ID != 1 || snap.Traffic[0].Sent != run.Sent {
		t.Errorf("Snapshot().Traffic = %+v, want the run", snap.Traffic)
	}
	// Each arrival's connection names its user: 1 or 2, never anyone else.
	users := map[int]int{}
	for _, e := range sub.Drain() {
		if e.First && e.From == trace.Browser && e.To == trace.Proxy {
			users[lab.UserOf(e.Conn)]++
		}
	}
	if users[1] == 0 || users[2] == 0 || len(users) != 2 || int64(users[1]+users[2]) != run.Sent {
		t.Errorf("arrivals by UserOf: %v, want users 1 and 2 only, %d in all", users, run.Sent)
	}
	if n := lab.UserOf("127.0.0.1:40000→127.0.0.1:8080"); n != 0 {
		t.Errorf("UserOf(the learner's own browser) = %d, want 0", n)
	}
}

// TestTrafficIPHash: under ip_hash one virtual user's pages all land on
// one instance, as nginx's hash of its address says; round robin spreads
// the same user's pages over both.
func TestTrafficIPHash(t *testing.T) {
	noLeaks(t)
	lab := startLab(t, nil)
	mustDo(t, lab, "traffic 1 browser, journey open-list, 3 times")
	rr := waitTraffic(t, lab, 1, "ended", ended)
	mustDo(t, lab, "strategy ip_hash")
	mustDo(t, lab, "traffic 1 browser, journey open-list, 3 times")
	ih := waitTraffic(t, lab, 2, "ended", ended)
	if rr.Instances["uwsgi-1"] == 0 || rr.Instances["uwsgi-2"] == 0 {
		t.Errorf("round robin: %v, want both instances", rr.Instances)
	}
	if (ih.Instances["uwsgi-1"] == 0) == (ih.Instances["uwsgi-2"] == 0) {
		t.Errorf("ip_hash: %v, want one instance only", ih.Instances)
	}
	if ih.Users != [2]int{1, 1} {
		t.Errorf("the second run's users: %v, want user 1 again (the first run ended)", ih.Users)
	}
}

// TestTrafficLoad: `load PATH -c -n` runs the load generator from its own
// address (not a user's): its counts and percentiles are live while it
// runs and final after, and its spread says where the requests went.
func TestTrafficLoad(t *testing.T) {
	noLeaks(t)
	lab := startLab(t, nil)
	r := mustDo(t, lab, "load /static/ems/css/style.css -c 4 -n 300")
	mustContain(t, "the result's equivalent", r.Equivalent, "webflow-lab bench http://127.0.0.1:")
	run := waitTraffic(t, lab, 1, "ended", ended)
	if run.State != TrafficDone || run.Sent != 300 || run.Status[200] != 300 || run.Errors != 0 {
		t.Fatalf("got %s, %d sent, status %v, %d errors; want done, 300 answered 200", run.State, run.Sent, run.Status, run.Errors)
	}
	if ok, _ := traffic.OwnAddresses(); ok && run.From != "127.0.0.2" {
		t.Errorf("from %q, want 127.0.0.2", run.From)
	}
	if run.Instances["proxy"] == 0 || run.Instances["uwsgi-1"]+run.Instances["uwsgi-2"] != 0 {
		t.Errorf("instances %v: a static file is the proxy's alone", run.Instances)
	}
	if run.P50 <= 0 || run.Users != [2]int{} {
		t.Errorf("p50 %v, users %v; want a latency, no users", run.P50, run.Users)
	}
}

// TestTrafficStop: a run without end counts its journeys as it goes, stops
// on `traffic stop ID`, its requests in flight abandoned, and the result
// says what it did.
func TestTrafficStop(t *testing.T) {
	noLeaks(t)
	lab := startLab(t, nil)
	mustDo(t, lab, "browse 2 open-list every 50ms")
	mustDo(t, lab, "load / -c 2 -d 1h")
	// Journeys count as they end, not only when the run does.
	waitTraffic(t, lab, 1, "walking", func(r TrafficRun) bool { return r.Walks > 2 && r.State == TrafficRunning })
	waitTraffic(t, lab, 2, "sending", func(r TrafficRun) bool { return r.Sent > 10 })
	r := mustDo(t, lab, "traffic stop 1")
	mustContain(t, "the result", r.Did.EN, "stopped traffic 1 (2 browsers, journey open-list, every 50ms) after")
	if got := waitTraffic(t, lab, 1, "stopped", ended); got.State != TrafficStopped {
		t.Errorf("traffic 1: %s, want stopped", got.State)
	}
	if _, err := lab.Do(context.Background(), "traffic stop 1"); err == nil || !strings.Contains(err.Error(), "traffic 1 is not running") {
		t.Errorf("stopping it again: got %v, want 'not running'", err)
	}
	mustDo(t, lab, "traffic stop")
	if got := waitTraffic(t, lab, 2, "stopped", ended); got.State != TrafficStopped {
		t.Errorf("traffic 2: %s, want stopped", got.State)
	}
	out := mustDo(t, lab, "traffic").Output
	mustContain(t, "traffic's list", out, "traffic 2  stopped  load / -c 2 -d 1h0m0s")
}

// TestTrafficRefused: what cannot run is refused before anything is sent,
// with the fix, in both languages.
func TestTrafficRefused(t *testing.T) {
	noLeaks(t)
	lab := startLab(t, nil)
	mustDo(t, lab, "captcha real")
	tests := []struct {
		name, line string
		want       string
	}{
		{"a journey that logs in, with the real captcha", "browse 1 login-list", "captcha fixed:1234"},
		{"a spec that does not parse", "traffic 3 browsers, journey fly", `no step "fly"`},
		{"browse without a journey", "browse 3", "browse 3 login-list every 2s"},
		{"too many users", "traffic 251 browsers, journey open", "loopback address"},
		{"stop nothing", "traffic stop", "no traffic is running"},
		{"a captcha that is not one", "captcha fixed:abc", "1 to 6 digits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := lab.Do(context.Background(), tt.line)
			var e *explain.Error
			if !errors.As(err, &e) {
				t.Fatalf("%s: got %v, want an explain.Error", tt.line, err)
			}
			if en, zh := e.Block("en"), e.Block("zh"); !strings.Contains(en, tt.want) || en == zh {
				t.Errorf("%s: got\n%s\n%s\nwant it to say %q, in both languages", tt.line, en, zh, tt.want)
			}
		})
	}
	if runs := lab.Traffic(); len(runs) != 0 {
		t.Errorf("refused lines started %d runs", len(runs))
	}
	// The fix the error names works.
	r := mustDo(t, lab, "captcha fixed:1234")
	mustContain(t, "the captcha's diff", r.Diff, "+env = EMS_CAPTCHA=fixed:1234")
	mustDo(t, lab, "browse 1 login-list")
	if run := waitTraffic(t, lab, 1, "ended", ended); run.State != TrafficDone {
		t.Errorf("after captcha fixed:1234: %s (%s), want done", run.State, run.Error.EN)
	}
}

// TestTrafficShutdown: Shutdown stops running traffic first and waits for
// it; a control after it is refused.
func TestTrafficShutdown(t *testing.T) {
	noLeaks(t)
	lab := startLab(t, nil)
	mustDo(t, lab, "browse 3 open-list every 10ms")
	mustDo(t, lab, "load /login/ -c 3 -d 1h")
	waitTraffic(t, lab, 2, "sending", func(r TrafficRun) bool { return r.Sent > 10 })
	// A client of the learner's is in flight too: it must get its answer or an error, not hang.
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if res, err := http.Get(lab.URL() + "/login/"); err == nil {
			res.Body.Close()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := lab.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	http.DefaultClient.CloseIdleConnections()
	for _, r := range lab.Traffic() {
		if r.State != TrafficStopped {
			t.Errorf("traffic %d after Shutdown: %s, want stopped", r.ID, r.State)
		}
	}
	if _, err := lab.Do(context.Background(), "browse 1 open"); err == nil {
		t.Error("traffic started after Shutdown")
	}
}
