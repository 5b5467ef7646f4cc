package replay

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"webflow-lab/servers/trace"
	"webflow-lab/sim"
	"webflow-lab/sim/simtest"
)

func do(t *testing.T, lab *sim.Lab, line string) {
	t.Helper()
	if _, err := lab.Do(context.Background(), line); err != nil {
		t.Fatalf("%s: %v", line, err)
	}
}

// TestRecordReplay records a live lab — a fixed captcha set (the ini files
// change, the instances restart), a virtual browser logging in and listing
// twice, the strategy switched to ip_hash (conf.d/ems.conf changes, the
// proxy reloads) — and plays the file back: the replay delivers the same
// events in the same order, and recording the replay writes the original
// file again, byte for byte.
func TestRecordReplay(t *testing.T) {
	lab := simtest.StartLab(t, simtest.Options{RealCaptcha: true, NoControl: true})
	var file bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	src := FromLab(lab, Header{Tool: "webflow-lab (test)", Traffic: "1 browser, journey login-list, 2 times"})
	src.Ready = func() { close(ready) }
	type result struct {
		end End
		err error
	}
	recorded := make(chan result)
	go func() {
		end, err := Record(ctx, &file, src)
		recorded <- result{end, err}
	}()
	<-ready
	do(t, lab, "captcha fixed:1234")
	do(t, lab, "traffic 1 browser, journey login-list, 2 times")
	for deadline := time.Now().Add(30 * time.Second); ; {
		if tr := lab.Traffic(); tr[0].State != sim.TrafficRunning {
			if tr[0].State != sim.TrafficDone {
				t.Fatalf("the traffic: %s", sim.FormatTraffic(tr))
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the traffic did not end in 30 s")
		}
		time.Sleep(10 * time.Millisecond) // a settle wait on a condition, bounded
	}
	do(t, lab, "strategy ip_hash")
	cancel()
	res := <-recorded
	if res.err != nil {
		t.Fatal(res.err)
	}
	original := file.Bytes()
	rec, err := Decode(bytes.NewReader(original), "live")
	if err != nil {
		t.Fatal(err)
	}
	// What the file holds: requests of user 1 whole, the state changes,
	// the snapshots after them, the config edits.
	var firsts, lasts, states int
	kinds := map[trace.StateKind]bool{}
	for _, e := range rec.Events() {
		firsts += b2i(e.First)
		lasts += b2i(e.Last)
		if e.State {
			states++
			kinds[e.Kind] = true
		}
	}
	// The browser is user 1 in the replay too: its address says so.
	p0, err := New(rec)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range rec.Events() {
		if e.First && e.From == trace.Browser && e.To == trace.Proxy {
			if n, want := p0.UserOf(e.Conn), lab.UserOf(e.Conn); n != want || n != 1 && want != 0 {
				t.Errorf("%s: the replay says user %d, the lab %d", e.Conn, n, want)
			}
		}
	}
	var iniEdits, confEdits int
	for _, en := range rec.Entries {
		if c := en.Config; c != nil && en.At > 0 {
			iniEdits += b2i(strings.HasSuffix(c.Path, ".ini") && strings.Contains(c.Text, "EMS_CAPTCHA=fixed:1234"))
			confEdits += b2i(c.Path == "conf.d/ems.conf" && strings.Contains(c.Text, "ip_hash"))
		}
	}
	t.Logf("%d bytes: %d events (%d requests, %d state changes), %d snapshots, %d configs; skipped %d",
		len(original), rec.End.Events, firsts, states, rec.End.Snapshots, rec.End.Configs, rec.End.Skipped)
	if firsts < 10 || firsts != lasts || !kinds[trace.InstanceStarted] || !kinds[trace.ConfigReloaded] ||
		rec.End.Snapshots < 3 || iniEdits != 2 || confEdits != 1 {
		t.Errorf("the recording: %d first and %d last events, state kinds %v, %d snapshots, %d ini and %d conf edits; "+
			"want whole requests, instances restarted, the proxy reloaded, snapshots after them, both inis and ems.conf edited",
			firsts, lasts, kinds, rec.End.Snapshots, iniEdits, confEdits)
	}

	synctest.Test(t, func(t *testing.T) {
		p, err := New(rec)
		if err != nil {
			t.Fatal(err)
		}
		watcher := p.Watch(1 << 16)
		defer watcher.Close()
		ctx, cancel := context.WithCancel(context.Background())
		var again bytes.Buffer
		recorded := make(chan error)
		go func() {
			_, err := Record(ctx, &again, p.Source())
			recorded <- err
		}()
		synctest.Wait() // the recorder is subscribed and waits for the first event
		played := make(chan error)
		go func() { played <- p.Run(ctx) }()
		<-p.Ended()
		synctest.Wait() // the recorder has written every event
		cancel()
		if err := <-recorded; err != nil {
			t.Fatal(err)
		}
		<-played
		if got, want := watcher.Drain(), rec.Events(); !reflect.DeepEqual(got, want) {
			t.Errorf("the replay delivered %d events, the recording has %d, or they differ", len(got), len(want))
		}
		if !bytes.Equal(again.Bytes(), original) {
			a, b := strings.Split(again.String(), "\n"), strings.Split(string(original), "\n")
			for i := range min(len(a), len(b)) {
				if a[i] != b[i] {
					t.Fatalf("recording the replay differs from the original at line %d of %d/%d:\ngot  %.400s\nwant %.400s", i+1, len(a), len(b), a[i], b[i])
				}
			}
			t.Fatalf("recording the replay: %d lines, the original %d", len(a), len(b))
		}
	})
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
