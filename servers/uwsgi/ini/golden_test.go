package ini

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"webflow-lab/servers/explain"
	"webflow-lab/servers/testenv/golden"
)

// loadTestdata reads testdata/<dir>/<name>.ini as /lab/app.ini.
func loadTestdata(t *testing.T, path string) (*Config, error) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return labHost(map[string]string{"/lab/app.ini": string(b)}, nil).ParseArgs([]string{"--ini", "app.ini"})
}

// TestNotesGolden renders Explain in both languages for every trap the
// course walks into; the golden files are the text learners read.
func TestNotesGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/notes/*.ini")
	if len(files) == 0 {
		t.Fatal("no testdata/notes/*.ini")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".ini")
		t.Run(name, func(t *testing.T) {
			c, err := loadTestdata(t, f)
			var got string
			if err != nil {
				var e *explain.Error
				if !errors.As(err, &e) {
					t.Fatal(err)
				}
				got = "fatal:\n" + e.Block("en") + "\n\n" + e.Block("zh") + "\n"
			} else {
				got = Explain(c, "en") + "\n" + Explain(c, "zh")
				if len(c.Notes) == 0 {
					t.Errorf("no notes: every file here has a trap to explain")
				}
			}
			golden.Check(t, strings.TrimSuffix(f, ".ini")+".golden", got)
		})
	}
}

// TestErrorsGolden: every fatal error in both languages, with where/why/try.
func TestErrorsGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/errors/*.ini")
	if len(files) == 0 {
		t.Fatal("no testdata/errors/*.ini")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".ini")
		t.Run(name, func(t *testing.T) {
			_, err := loadTestdata(t, f)
			var e *explain.Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v, want an *explain.Error", err)
			}
			if e.Why.EN == "" || e.Try.EN == "" || e.Why.ZH == "" || e.Try.ZH == "" {
				t.Errorf("why/try missing in a language: %+v", e)
			}
			golden.Check(t, strings.TrimSuffix(f, ".ini")+".golden", e.Block("en")+"\n\n"+e.Block("zh")+"\n")
		})
	}
}
