package web

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"webflow-lab/servers/ems"
	"webflow-lab/servers/ems/emstest"
	"webflow-lab/servers/ems/sqlite"
	"webflow-lab/servers/testenv"
)

// TestWrkListPage measures the employee list (1,000 employees, logged in,
// sessions in the database) through our uWSGI server's http= router with
// wrk. It is a measurement, not a check, so it runs only when asked:
//
//	EMS_WRK=1 go test -run TestWrkListPage -v ./servers/ems/web/
func TestWrkListPage(t *testing.T) {
	if os.Getenv("EMS_WRK") == "" {
		t.Skip("measurement; set EMS_WRK=1 to run wrk against the list page")
	}
	wrk := testenv.Need(t, "wrk")
	dir := t.TempDir()
	base := startEMS(t, dir)
	db, err := sqlite.Open(filepath.Join(dir, "db.sqlite3"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 1000 {
		if err := db.CreateEmployee(context.Background(), &ems.Employee{Name: fmt.Sprintf("员工%04d", i), Salary: int64(5000 + i), Age: 20 + i%40}); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	c := emstest.NewClient(t, base)
	c.Register("bench", "secret1", "压测")
	if res := c.Login("bench", "secret1"); res.Status != 302 {
		t.Fatalf("login: %d", res.Status)
	}
	var cookies []string
	for _, ck := range c.Cookies() {
		cookies = append(cookies, ck.Name+"="+ck.Value)
	}
	target := base + "/employees/?sort=name&page=37"
	if res := c.Get("/employees/?sort=name&page=37"); res.Status != 200 || !strings.Contains(res.Body, "员工0369") {
		t.Fatalf("list page: %d", res.Status)
	}
	for _, conns := range []string{"4", "16"} {
		out, err := exec.Command(wrk, "-t2", "-c"+conns, "-d10s", "--latency", "-H", "Cookie: "+strings.Join(cookies, "; "), target).CombinedOutput()
		if err != nil {
			t.Fatalf("wrk: %v\n%s", err, out)
		}
		t.Logf("wrk -t2 -c%s -d10s --latency %s (processes=2 threads=2):\n%s", conns, target, out)
	}
}
