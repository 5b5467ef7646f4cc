package lessons

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"webflow-lab/servers/errno"
	"webflow-lab/sim"
)

// testCaptcha is the captcha the tests' labs draw (EMS_CAPTCHA=fixed:…),
// so that `register` and `login` can fill it in as a person would.
const testCaptcha = "1234"

// fixedCaptcha adds the fixed captcha to a workspace's ini files.
func fixedCaptcha(dir string) error {
	inis, err := sim.InstanceFiles(dir)
	if err != nil {
		return err
	}
	for _, ini := range inis {
		f, err := os.OpenFile(ini, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		_, err = f.WriteString("env = EMS_CAPTCHA=fixed:" + testCaptcha + "\n")
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// freeLabPorts returns ports that were free a moment ago: all held open
// together (so they differ), then closed for the lab to bind.
func freeLabPorts(t *testing.T) sim.Ports {
	t.Helper()
	var ps []int
	var lns []net.Listener
	for range 7 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		ps = append(ps, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		ln.Close()
	}
	return sim.Ports{Proxy: ps[0], Instances: []sim.InstancePorts{
		{Socket: ps[1], HTTP: ps[2], Stats: ps[3]},
		{Socket: ps[4], HTTP: ps[5], Stats: ps[6]},
	}}
}

// startLab starts a lab in a new workspace on free ports, with the fixed
// captcha; it is shut down when the test ends. A port taken between
// picking and binding means another try on other ports.
func startLab(t *testing.T) *sim.Lab {
	t.Helper()
	for attempt := 1; ; attempt++ {
		dir := filepath.Join(t.TempDir(), "ws")
		opts := sim.Options{Ports: freeLabPorts(t)}
		if _, err := sim.EnsureWorkspace(dir, opts); err != nil {
			t.Fatal(err)
		}
		if err := fixedCaptcha(dir); err != nil {
			t.Fatal(err)
		}
		lab, err := sim.StartWith(dir, opts)
		if errno.Is(err, errno.EADDRINUSE) && attempt < 5 {
			t.Logf("attempt %d: %v; again on other ports", attempt, err)
			continue
		}
		if err != nil {
			t.Fatalf("StartWith: %v", err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if err := lab.Shutdown(ctx); err != nil {
				t.Errorf("Shutdown: %v", err)
			}
			if t.Failed() {
				for _, name := range []string{"error.log", "access.log"} {
					b, _ := os.ReadFile(filepath.Join(lab.Dir(), "logs", name))
					if len(b) > 1500 {
						b = b[len(b)-1500:]
					}
					t.Logf("logs/%s (its end):\n%s", name, b)
				}
			}
		})
		return lab
	}
}

// testRunner is the runner a test drives a lab with.
func testRunner(lab *sim.Lab) *Runner {
	return &Runner{Lab: Local(lab), Captcha: testCaptcha, Defaults: fixedCaptcha, Workspace: "workspace"}
}

func resultsText(rs []Result) string {
	var b strings.Builder
	for _, r := range rs {
		mark := "✗"
		if r.Pass {
			mark = "✓"
		}
		b.WriteString("  " + mark + " " + r.Check.Raw + "\n      " + r.Saw.EN + "\n")
	}
	return b.String()
}
