package sim

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReset: reset puts the shipped files back on the ports the workspace
// was made with, keeps what it replaces in a backup, and refuses a folder
// that is not a workspace.
func TestReset(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ws")
	ports := PortsFrom(28080, 29000)
	if _, err := EnsureWorkspace(dir, Options{Ports: ports}); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "conf.d", "ems.conf")
	b, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(b), "alias static/;", "alias static;", 1)
	if err := os.WriteFile(conf, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	backup, err := Reset(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(conf)
	if string(after) != string(b) {
		t.Errorf("conf.d/ems.conf after reset differs from the one the workspace was made with:\n%s", after)
	}
	if !strings.Contains(string(after), "127.0.0.1:28080;") {
		t.Errorf("reset forgot the workspace's port 28080:\n%s", after)
	}
	ini, _ := os.ReadFile(filepath.Join(dir, "uwsgi-2.ini"))
	if !strings.Contains(string(ini), "127.0.0.1:29011") {
		t.Errorf("uwsgi-2.ini after reset is not on 29011:\n%s", ini)
	}
	kept, err := os.ReadFile(filepath.Join(backup, "conf.d", "ems.conf"))
	if err != nil || string(kept) != edited {
		t.Errorf("the backup does not hold the learner's ems.conf (%v)", err)
	}

	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Reset(other, Options{}); err == nil || !strings.Contains(err.Error(), "not a lab workspace") {
		t.Errorf("reset of a folder that is not a workspace: %v, want refused", err)
	}
	if b, err := os.ReadFile(filepath.Join(other, "notes.txt")); err != nil || string(b) != "mine" {
		t.Errorf("reset touched a folder that is not a workspace")
	}
}
