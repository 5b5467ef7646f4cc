package main

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"webflow-lab/servers/testenv"
)

// appPorts returns a base N whose lab ports (N, N+1, N+2 for uwsgi-1, N+10,
// N+11, N+12 for uwsgi-2) were free a moment ago.
func appPorts(t *testing.T) int {
	t.Helper()
	for range 50 {
		n := testenv.FreePort(t)
		if n+12 > 65535 {
			continue
		}
		free := true
		for _, p := range []int{n, n + 1, n + 2, n + 10, n + 11, n + 12} {
			ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
			if err != nil {
				free = false
				break
			}
			ln.Close()
		}
		if free {
			return n
		}
	}
	t.Fatal("no free block of app ports")
	return 0
}

// TestRecordReplayCommands: `record --traffic` runs the lab and the traffic
// and writes the file; `replay` prints its events without a server; a
// damaged file, a bad spec and an existing output file are refused with
// what to do.
func TestRecordReplayCommands(t *testing.T) {
	dir := t.TempDir()
	ws := filepath.Join(dir, "ws")
	file := filepath.Join(dir, "run.jsonl")
	ports := []string{"--port", strconv.Itoa(testenv.FreePort(t)), "--app-port", strconv.Itoa(appPorts(t))}
	var out, errb bytes.Buffer
	code := run(append([]string{"record", "--workspace", ws, "-o", file, "--quiet", "--traffic", "1 browser, journey open-list, 2 times"}, ports...), &out, &errb)
	if code != 0 || !strings.Contains(out.String(), "started traffic 1: 1 browser, journey open-list, 2 times") ||
		!strings.Contains(out.String(), "play it back: webflow-lab replay "+file) {
		t.Fatalf("record: exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	events := strings.Count(string(data), `{"event":`)

	out.Reset()
	errb.Reset()
	if code := run([]string{"replay", file, "--speed", "1000"}, &out, &errb); code != 0 {
		t.Fatalf("replay: exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	if got := strings.Count(out.String(), "→"); got < events || !strings.Contains(out.String(), "browser→proxy") ||
		!strings.Contains(out.String(), "end of the recording") || !strings.Contains(out.String(), "traffic: 1 browser, journey open-list, 2 times") {
		t.Errorf("replay printed %d event lines for %d events:\n%s", got, events, out.String())
	}

	cut := filepath.Join(dir, "cut.jsonl")
	os.WriteFile(cut, data[:len(data)/2], 0o644)
	tests := []struct {
		name    string
		args    []string
		code    int
		wantErr []string
	}{
		{"a file cut short", []string{"replay", cut}, 1, []string{"is cut short in line", "cut.jsonl:", "(byte "}},
		{"no file", []string{"replay", filepath.Join(dir, "none.jsonl")}, 1, []string{"cannot open"}},
		{"a bad speed", []string{"replay", file, "--speed", "0"}, 2, []string{"a speed is a number above 0"}},
		{"a bad spec", []string{"record", "--workspace", ws, "--traffic", "3 browsers, journey fly"}, 2, []string{`no step "fly"`}},
		{"an existing output", append([]string{"record", "--workspace", ws, "-o", file}, ports...), 1, []string{"never overwritten"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := run(tt.args, &out, &errb); code != tt.code {
				t.Fatalf("exit %d, want %d\n%s\n%s", code, tt.code, out.String(), errb.String())
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(errb.String(), w) {
					t.Errorf("stderr: got\n%s\nwant it to contain %q", errb.String(), w)
				}
			}
		})
	}
}
