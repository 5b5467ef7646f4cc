// Package simtest starts the lab for other packages' tests: a new
// workspace on free ports, the EMS drawing a fixed captcha (so a test can
// register and log in as a person who reads it), shut down when the test
// ends, its logs' ends printed when the test failed. sim's own tests keep
// their copy: they cannot import this package, which imports sim.
package simtest

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"webflow-lab/servers/ems/emstest"
	"webflow-lab/servers/errno"
	"webflow-lab/servers/testenv"
	"webflow-lab/sim"
)

// Captcha is the code every captcha of a lab started here shows.
const Captcha = emstest.Captcha

// Options say how to start a test lab; the zero value is the default lab
// with the fixed captcha and the control endpoint.
type Options struct {
	// Edit changes the workspace's files before the lab starts, as a
	// learner would (after the fixed captcha is set).
	Edit func(dir string)
	// RealCaptcha leaves the captcha random, as the shipped configs have it.
	RealCaptcha bool
	// NoControl leaves out the control endpoint.
	NoControl bool
}

// Ports returns a lab's seven ports (the proxy, then socket, http and stats
// of two instances), free a moment ago.
func Ports(tb testing.TB) sim.Ports {
	p := testenv.FreePorts(tb, 7)
	return sim.Ports{Proxy: p[0], Instances: []sim.InstancePorts{
		{Socket: p[1], HTTP: p[2], Stats: p[3]},
		{Socket: p[4], HTTP: p[5], Stats: p[6]},
	}}
}

// StartLab starts a lab in a new workspace on free ports; see Start.
func StartLab(tb testing.TB, o Options) *sim.Lab {
	tb.Helper()
	lab, _ := Start(tb, o)
	return lab
}

// Start starts a lab in a new workspace on free ports and returns it with
// its ports; it is shut down when the test ends. A port taken between
// picking and binding means another try on other ports.
func Start(tb testing.TB, o Options) (*sim.Lab, sim.Ports) {
	tb.Helper()
	for attempt := 1; ; attempt++ {
		dir := filepath.Join(tb.TempDir(), "ws")
		opts := sim.Options{Ports: Ports(tb), NoControl: o.NoControl}
		if _, err := sim.EnsureWorkspace(dir, opts); err != nil {
			tb.Fatal(err)
		}
		if !o.RealCaptcha {
			if err := FixCaptcha(dir); err != nil {
				tb.Fatal(err)
			}
		}
		if o.Edit != nil {
			o.Edit(dir)
		}
		lab, err := sim.StartWith(dir, opts)
		if errno.Is(err, errno.EADDRINUSE) && attempt < 5 {
			tb.Logf("attempt %d: %v; again on other ports", attempt, err)
			continue
		}
		if err != nil {
			tb.Fatalf("StartWith: %v", err)
		}
		tb.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if err := lab.Shutdown(ctx); err != nil {
				tb.Errorf("Shutdown: %v", err)
			}
			if tb.Failed() {
				logEnds(tb, lab.Dir())
			}
		})
		return lab, opts.Ports
	}
}

// logEnds prints the last lines of each of the lab's logs.
func logEnds(tb testing.TB, dir string) {
	names, _ := filepath.Glob(filepath.Join(dir, "logs", "*.log"))
	for _, name := range names {
		b, _ := os.ReadFile(name)
		if len(b) > 1500 {
			b = b[len(b)-1500:]
		}
		tb.Logf("logs/%s (its end):\n%s", filepath.Base(name), b)
	}
}

// FixCaptcha makes every instance of the workspace at dir draw Captcha.
func FixCaptcha(dir string) error {
	inis, err := sim.InstanceFiles(dir)
	if err != nil {
		return err
	}
	for _, ini := range inis {
		f, err := os.OpenFile(ini, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		_, err = f.WriteString("env = EMS_CAPTCHA=fixed:" + Captcha + "\n")
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}
