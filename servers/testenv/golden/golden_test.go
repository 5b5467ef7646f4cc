package golden

import (
	"path/filepath"
	"testing"
)

// recorder catches failures so the helper's own verdicts can be checked.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) Fatalf(string, ...any) { r.failed = true }
func (r *recorder) Helper()               {}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a", "b.golden")

	missing := &recorder{TB: t}
	Check(missing, path, "x")
	if !missing.failed {
		t.Error("a missing golden file passed")
	}

	*update = true
	Check(t, path, "hello\n")
	*update = false

	same := &recorder{TB: t}
	Check(same, path, "hello\n")
	if same.failed {
		t.Error("the text just written does not match itself")
	}
	differs := &recorder{TB: t}
	Check(differs, path, "hello")
	if !differs.failed {
		t.Error("different text passed")
	}
}
