package tui

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
	"webflow-lab/tui/i18n"

	tea "charm.land/bubbletea/v2"
)

// TestEditorCommand: $EDITOR as learners write it on each system.
func TestEditorCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Program Files", "Notepad++")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	spaced := filepath.Join(dir, "notepad++.exe")
	if err := os.WriteFile(spaced, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"  ", nil},
		{"vim", []string{"vim"}},
		{"code --wait", []string{"code", "--wait"}},
		{spaced, []string{spaced}},
		{`"` + spaced + `" -multiInst -nosession`, []string{spaced, "-multiInst", "-nosession"}},
		{`'/opt/my editor/ed' -n`, []string{"/opt/my editor/ed", "-n"}},
		{`"unclosed quote`, []string{`"unclosed`, "quote"}},
	} {
		if got := editorCommand(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("editorCommand(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestSplitWhere: "file:line" as the lab reports a directive's place, a
// Windows path's drive colon included.
func TestSplitWhere(t *testing.T) {
	for _, c := range []struct {
		in   string
		file string
		line int
	}{
		{"/ws/conf.d/ems.conf:3", "/ws/conf.d/ems.conf", 3},
		{`C:\Users\李雷\webflow lab\conf.d\ems.conf:12`, `C:\Users\李雷\webflow lab\conf.d\ems.conf`, 12},
		{`C:\ws\nginx.conf`, `C:\ws\nginx.conf`, 0},
		{"/ws/nginx.conf", "/ws/nginx.conf", 0},
		{"", "", 0},
	} {
		if f, l := splitWhere(c.in); f != c.file || l != c.line {
			t.Errorf("splitWhere(%q) = %q, %d; want %q, %d", c.in, f, l, c.file, c.line)
		}
	}
}

func TestTakesPlusLine(t *testing.T) {
	for ed, want := range map[string]bool{"vim": true, "/usr/bin/nano": true, filepath.Join("Tools", "VIM.EXE"): true, "notepad": false, "code": false} {
		if got := takesPlusLine(ed); got != want {
			t.Errorf("takesPlusLine(%q) = %v, want %v", ed, got, want)
		}
	}
}

// TestEditOpensTheWorkspaceFile: e gives the editor the config's full path
// in the workspace (the lab names it relative to the workspace, and the
// editor runs in the terminal's folder), at the line where it takes one.
func TestEditOpensTheWorkspaceFile(t *testing.T) {
	ed, err := exec.LookPath("go") // any program that exists, standing for the editor
	if err != nil {
		t.Skip("go not in PATH")
	}
	f := newFakeLab()
	f.snap.Upstreams[0].Where = filepath.Join("conf.d", "ems.conf") + ":3"
	m := newTestModel(t, f, i18n.EN, 80, 24)
	m.opts.Getenv = func(k string) string {
		if k == "EDITOR" {
			return ed
		}
		return ""
	}
	var ran *exec.Cmd
	m.opts.Exec = func(c *exec.Cmd, _ tea.ExecCallback) tea.Cmd { ran = c; return nil }
	press(t, m, "tab") // the list: e opens the proxy's config, where the upstream is
	press(t, m, "e")
	if ran == nil {
		t.Fatalf("e ran no editor; status %q", m.status)
	}
	want := filepath.Join(f.snap.Dir, "conf.d", "ems.conf")
	if got := ran.Args[len(ran.Args)-1]; got != want {
		t.Errorf("the editor got %q, want %q", got, want)
	}
}
