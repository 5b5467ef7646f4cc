package sim

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"webflow-lab/servers/ems/emstest"
	"webflow-lab/servers/trace"
)

// One request's events are one trace with one id, and instances have one
// name, whether or not the config passes nginx's $request_id to the app:
// without it (as real nginx passes none by default) the lab joins the app
// server's request to the proxy's by the connection they share.
func TestOneTracePerRequest(t *testing.T) {
	for _, passID := range []bool{true, false} {
		name := "request id passed openly"
		if !passID {
			name = "no request id: joined by connection"
		}
		t.Run(name, func(t *testing.T) {
			noLeaks(t)
			lab := startLab(t, func(dir string) {
				if !passID {
					replaceInFile(t, filepath.Join(dir, "conf.d", "ems.conf"), "uwsgi_param HTTP_X_REQUEST_ID $request_id;", "")
				}
			})
			w := lab.Watch(4096)
			defer w.Close()
			c := emstest.NewClient(t, lab.URL())
			if res := c.Get("/login/"); res.Status != 200 {
				t.Fatalf("GET /login/: %d", res.Status)
			}
			first, _ := waitEvent(t, w, "the proxy's arrival", func(e trace.Event) bool { return e.First && e.To == trace.Proxy })
			var got []trace.Event
			deadline := time.Now().Add(5 * time.Second)
			for time.Now().Before(deadline) {
				got = append(got, w.DrainTo(nil)...)
				if hasApp(got) && hasLast(got, first.ReqID) {
					break
				}
				time.Sleep(10 * time.Millisecond) // the app server's last events come just after the proxy's answer
			}
			time.Sleep(50 * time.Millisecond)
			got = append(got, w.DrainTo(nil)...)
			for _, e := range got {
				if e.State {
					continue
				}
				if e.ReqID != first.ReqID {
					t.Errorf("event %s→%s %s has request id %q, want the proxy's %q", e.From, e.To, e.Phase, e.ReqID, first.ReqID)
				}
				if e.First {
					t.Errorf("a second First event: %+v", e)
				}
				if strings.HasPrefix(e.Instance, "127.0.0.1:") && e.To == trace.Uwsgi {
					t.Errorf("an instance named by address: %s→%s %s", e.From, e.To, e.Instance)
				}
			}
			if !hasApp(got) {
				t.Errorf("no app-server event in the request's trace: %d events", len(got))
			}
		})
	}
}

func hasApp(evs []trace.Event) bool {
	for _, e := range evs {
		if e.To == trace.App {
			return true
		}
	}
	return false
}

func hasLast(evs []trace.Event, id string) bool {
	for _, e := range evs {
		if e.Last && e.ReqID == id {
			return true
		}
	}
	return false
}
