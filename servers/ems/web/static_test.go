package web

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"webflow-lab/assets"
)

// TestTemplatesReferenceRealStaticFiles: every {{static "…"}} in a template
// names a file collectstatic will copy, so a missing style is always the
// deployment's fault, never the app's.
func TestTemplatesReferenceRealStaticFiles(t *testing.T) {
	re := regexp.MustCompile(`\{\{static "([^"]+)"\}\}`)
	files, err := fs.Glob(assets.FS, "ems/templates/*.html")
	if err != nil || len(files) == 0 {
		t.Fatalf("templates: %v %v", files, err)
	}
	n := 0
	for _, f := range files {
		data, _ := fs.ReadFile(assets.FS, f)
		for _, m := range re.FindAllStringSubmatch(string(data), -1) {
			n++
			if _, err := fs.Stat(StaticFS(), m[1]); err != nil {
				t.Errorf("%s: static %q: %v", f, m[1], err)
			}
		}
	}
	if n < 3 {
		t.Fatalf("found %d static references, want the CSS, JS and logo", n)
	}
}

func TestCollectStatic(t *testing.T) {
	root := filepath.Join(t.TempDir(), "static")
	res, err := CollectStatic(root)
	if err != nil {
		t.Fatal(err)
	}
	if res.Copied < 3 || res.Unmodified != 0 {
		t.Fatalf("first run: %+v, want every file copied", res)
	}
	want := res.Copied
	css, err := os.ReadFile(filepath.Join(root, "ems", "css", "style.css"))
	orig, _ := fs.ReadFile(StaticFS(), "ems/css/style.css")
	if err != nil || string(css) != string(orig) {
		t.Fatalf("style.css not copied intact: %v", err)
	}
	if got := res.String(); got != "3 static files copied to '"+root+"'." && want == 3 {
		t.Fatalf("message %q", got)
	}
	// A learner edits a copy: the next run puts it back and leaves the rest.
	os.WriteFile(filepath.Join(root, "ems", "css", "style.css"), []byte("body{}"), 0o644)
	res, err = CollectStatic(root)
	if err != nil || res.Copied != 1 || res.Unmodified != want-1 {
		t.Fatalf("second run: %+v, %v; want 1 copied, %d unmodified", res, err, want-1)
	}
	if got, wantMsg := res.String(), "1 static file copied to '"+root+"', "+itoa(int64(want-1))+" unmodified."; got != wantMsg {
		t.Fatalf("message %q, want %q", got, wantMsg)
	}
	// A file where a folder must go: an explained error.
	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, "ems"), []byte("x"), 0o644)
	if _, err := CollectStatic(bad); err == nil {
		t.Fatalf("got nil error copying over a file, want one")
	}
}
