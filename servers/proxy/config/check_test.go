package config

import (
	"path/filepath"
	"strings"
	"testing"

	"webflow-lab/servers/testenv/golden"
)

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
			golden.Check(t, strings.TrimSuffix(path, ".conf")+".golden", got)
		})
	}
}
