package lessons

import (
	"strings"
	"testing"

	"webflow-lab/sim"
	"webflow-lab/sim/simtest"
)

// testRunner is the runner a test drives a lab with.
func testRunner(lab *sim.Lab) *Runner {
	return &Runner{Lab: Local(lab), Captcha: simtest.Captcha, Defaults: simtest.FixCaptcha, Workspace: "workspace"}
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

// startLab starts a lab with the fixed captcha (simtest.StartLab).
func startLab(t *testing.T) *sim.Lab {
	t.Helper()
	return simtest.StartLab(t, simtest.Options{})
}
