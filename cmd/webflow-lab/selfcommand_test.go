package main

import (
	"errors"
	"path/filepath"
	"testing"
)

// TestCommandFor: the command lesson texts show is what the learner would
// type again, however the shell reported it.
func TestCommandFor(t *testing.T) {
	home := filepath.Join(string(filepath.Separator)+"home", "li lei", "lab")
	bin := filepath.Join(string(filepath.Separator)+"usr", "local", "bin")
	onPath := func(name string) (string, error) {
		if name == "webflow-lab" {
			return filepath.Join(bin, "webflow-lab"), nil
		}
		return "", errors.New("not found")
	}
	nowhere := func(string) (string, error) { return "", errors.New("not found") }
	sep := string(filepath.Separator)
	for _, c := range []struct {
		name, arg0, wd string
		look           func(string) (string, error)
		want           string
	}{
		{"go run", filepath.Join(sep+"tmp", "go-build123", "b001", "exe", "webflow-lab"), home, nowhere, "go run ./cmd/webflow-lab"},
		{"typed by name", "webflow-lab", home, onPath, "webflow-lab"},
		{"typed as ./", "." + sep + "webflow-lab", home, nowhere, "." + sep + "webflow-lab"},
		{"full path on the PATH", filepath.Join(bin, "webflow-lab"), home, onPath, "webflow-lab"},
		{"full path of the folder it runs in (PowerShell's .\\)", filepath.Join(home, "webflow-lab.exe"), home, nowhere, "." + sep + "webflow-lab"},
		{"full path elsewhere", filepath.Join(sep+"opt", "wfl", "webflow-lab"), home, nowhere, filepath.Join(sep+"opt", "wfl", "webflow-lab")},
	} {
		if got := commandFor(c.arg0, c.wd, c.look); got != c.want {
			t.Errorf("%s: commandFor(%q, %q) = %q, want %q", c.name, c.arg0, c.wd, got, c.want)
		}
	}
}
