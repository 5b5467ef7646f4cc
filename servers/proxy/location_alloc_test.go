//go:build !race

package proxy

import "testing"

// lookupAllocs: a lookup nobody explains allocates nothing. Under -race the
// detector's instrumentation allocates on its own, so the count means
// nothing there (location_race_test.go).
func lookupAllocs(t *testing.T, srv *vserver) {
	t.Helper()
	if n := testing.AllocsPerRun(100, func() { findLocation(srv, "/static/x", false) }); n != 0 {
		t.Errorf("an unexplained lookup allocates %v times, want 0", n)
	}
}
