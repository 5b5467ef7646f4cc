package config

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts in testdata/check")

// TestCheckGolden loads every testdata/check/*.conf and compares the -t
// transcript (English, then Chinese) with the .golden file beside it, like
// Caddy's caddyfile_adapt tests.
func TestCheckGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/check/*.conf")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test configs: %v", err)
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".conf")
		t.Run(name, func(t *testing.T) {
			cfg, err := Load(path)
			got := Transcript(path, cfg, err, "en") + "\n" + Transcript(path, cfg, err, "zh")
			golden := strings.TrimSuffix(path, ".conf") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, rerr := os.ReadFile(golden)
			if rerr != nil {
				t.Fatalf("missing golden file (run with -update): %v", rerr)
			}
			if got != string(want) {
				t.Errorf("transcript for %s:\ngot:\n%s\nwant:\n%s", path, got, want)
			}
		})
	}
}
