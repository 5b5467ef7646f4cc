package sim

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"webflow-lab/servers/ems/emstest"
	"webflow-lab/servers/errno"
	"webflow-lab/servers/testenv"
	"webflow-lab/servers/trace"
)

// noLeaks fails t if goroutines started during the test are still running
// once it ends. Call it first, so its cleanup runs last (after the lab's
// Shutdown and the clients' CloseIdleConnections). The tests of this package
// do not run in parallel, so the count is theirs.
func noLeaks(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(10 * time.Second)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				var buf bytes.Buffer
				pprof.Lookup("goroutine").WriteTo(&buf, 1)
				t.Errorf("goroutines: got %d after the test, want at most %d as before it:\n%s", runtime.NumGoroutine(), before, buf.String())
				return
			}
			<-tick.C // a settle wait for goroutines that are exiting, bounded by the deadline
		}
	})
}

// freePorts returns n distinct loopback ports that were free a moment ago:
// all n are held open together (so they differ), then closed for the lab to
// bind. Another process may take one meanwhile; startLab retries then.
func freeLabPorts(t testing.TB) Ports {
	p := testenv.FreePorts(t, 7)
	return Ports{Proxy: p[0], Instances: []InstancePorts{
		{Socket: p[1], HTTP: p[2], Stats: p[3]},
		{Socket: p[4], HTTP: p[5], Stats: p[6]},
	}}
}

// startLab creates a workspace on free ports, lets edit change its files
// the way a learner would (after the fixed captcha is set), and starts it;
// the lab is shut down in t.Cleanup. A port taken between picking and
// binding means a fresh workspace on fresh ports.
func startLab(t *testing.T, edit func(dir string)) *Lab {
	t.Helper()
	return startLabIn(t, "ws", edit)
}

// startLabIn is startLab with the workspace folder named name (a path
// relative to a fresh temporary folder).
func startLabIn(t *testing.T, name string, edit func(dir string)) *Lab {
	t.Helper()
	for attempt := 1; ; attempt++ {
		dir := filepath.Join(t.TempDir(), name)
		opts := Options{Ports: freeLabPorts(t)}
		if _, err := EnsureWorkspace(dir, opts); err != nil {
			t.Fatal(err)
		}
		for _, ini := range []string{"uwsgi-1.ini", "uwsgi-2.ini"} {
			appendFile(t, filepath.Join(dir, ini), "env = EMS_CAPTCHA=fixed:"+emstest.Captcha+"\n")
		}
		if edit != nil {
			edit(dir)
		}
		lab, err := StartWith(dir, opts)
		if errno.Is(err, errno.EADDRINUSE) && attempt < 5 {
			t.Logf("attempt %d: %v; again on other ports", attempt, err)
			continue
		}
		if err != nil {
			t.Fatalf("StartWith: %v", err)
		}
		stopOnCleanup(t, lab)
		return lab
	}
}

func stopOnCleanup(t *testing.T, lab *Lab) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := lab.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if t.Failed() {
			for _, name := range []string{"error.log", "uwsgi-1.log", "uwsgi-2.log"} {
				b, _ := os.ReadFile(filepath.Join(lab.Dir(), "logs", name))
				t.Logf("logs/%s:\n%s", name, b)
			}
		}
	})
}

func appendFile(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

// replaceInFile edits a workspace file as a learner would in an editor; the
// old text must be there exactly once.
func replaceInFile(t *testing.T, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), old); n != 1 {
		t.Fatalf("%s: %q occurs %d times, want once", path, old, n)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var servedByRE = regexp.MustCompile(`served by <b>([^<]+)</b>`)

// servedBy is the instance named in the EMS's footer.
func servedBy(t *testing.T, page emstest.Result) string {
	t.Helper()
	m := servedByRE.FindStringSubmatch(page.Body)
	if m == nil {
		t.Fatalf("no 'served by' footer in the page (status %d):\n%.600s", page.Status, page.Body)
	}
	return m[1]
}

// instanceURL is instance i's uWSGI http router, the course's "open :9000
// directly, without nginx".
func instanceURL(t *testing.T, lab *Lab, i int) string {
	t.Helper()
	in := lab.Snapshot().Instances[i]
	if in.HTTP == "" {
		t.Fatalf("%s has no http socket", in.Name)
	}
	return "http://" + in.HTTP
}

// waitEvent reads sub until an event matches, for at most 10 s, and
// returns it with everything read before it.
func waitEvent(t *testing.T, sub *trace.Subscription, what string, match func(trace.Event) bool) (trace.Event, []trace.Event) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var seen []trace.Event
	for {
		e, err := sub.Next(ctx)
		if err != nil {
			var lines []string
			for _, s := range seen {
				lines = append(lines, FormatEvent(s))
			}
			t.Fatalf("no event %s: %v; saw:\n%s", what, err, strings.Join(lines, "\n"))
		}
		if match(e) {
			return e, seen
		}
		seen = append(seen, e)
	}
}

// waitFile waits (10 s at most) until the file contains want: log lines are
// written as the request ends, which can be just after the client has its
// answer.
func waitFile(t *testing.T, path, want string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		b, _ := os.ReadFile(path)
		if strings.Contains(string(b), want) {
			return string(b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: got\n%s\nwant a line containing %q", path, b, want)
		}
		<-tick.C
	}
}

func mustContain(t *testing.T, what, got, want string) {
	t.Helper()
	if !strings.Contains(got, want) {
		t.Fatalf("%s: got\n%.2000s\nwant it to contain %q", what, got, want)
	}
}
