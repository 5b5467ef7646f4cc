package sqlite_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"webflow-lab/servers/ems"
	"webflow-lab/servers/ems/sqlite"
)

// crashEnv names the database file the child writes to; set only in the child.
const crashEnv = "EMS_CRASH_CHILD_DB"

// TestCrashChild is the child of TestCrashKeepsCommitted: it inserts
// employees as fast as it can and prints "committed <id>" after each insert
// returned, until it is killed. Run alone it skips.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("child of TestCrashKeepsCommitted; runs only when re-executed")
	}
	db, err := sqlite.Open(path)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	out := bufio.NewWriterSize(os.Stdout, 64)
	for i := 0; ; i++ {
		e := &ems.Employee{Name: fmt.Sprintf("员工%d", i), Salary: int64(i), Age: 20 + i%40}
		if err := db.CreateEmployee(context.Background(), e); err != nil {
			fmt.Fprintln(out, "error", err)
			out.Flush()
			os.Exit(1)
		}
		fmt.Fprintln(out, "committed", e.ID)
		out.Flush()
	}
}

// TestCrashKeepsCommitted kills a writer with SIGKILL mid-burst: every insert
// it reported committed must be in the file, and the file must pass
// PRAGMA integrity_check (WAL recovery on the next open).
func TestCrashKeepsCommitted(t *testing.T) {
	if os.Getenv(crashEnv) != "" {
		t.Skip("in the child")
	}
	path := filepath.Join(t.TempDir(), "db.sqlite3")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	t.Cleanup(func() {
		if !killed {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})

	const want = 300 // commits to see before the kill
	var committed []int64
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		if id, ok := strings.CutPrefix(line, "committed "); ok {
			n, err := strconv.ParseInt(id, 10, 64)
			if err != nil {
				t.Fatalf("bad child line %q", line)
			}
			committed = append(committed, n)
			if len(committed) == want {
				if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				break
			}
			continue
		}
		t.Fatalf("child said %q", line)
	}
	// Lines the child printed between our kill decision and its death are
	// commits too.
	for sc.Scan() {
		if id, ok := strings.CutPrefix(sc.Text(), "committed "); ok {
			n, _ := strconv.ParseInt(id, 10, 64)
			committed = append(committed, n)
		}
	}
	err = cmd.Wait()
	killed = true
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child ended with %v, want killed by SIGKILL", err)
	}
	if len(committed) < want {
		t.Fatalf("child reported %d commits, want at least %d", len(committed), want)
	}

	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if res, err := db.IntegrityCheck(ctx); err != nil || res != "ok" {
		t.Fatalf("integrity_check = %q, %v; want ok", res, err)
	}
	for _, id := range committed {
		if _, err := db.FindEmployee(ctx, id); err != nil {
			t.Fatalf("committed employee %d: %v", id, err)
		}
	}
	_, total, err := db.FindEmployees(ctx, ems.EmployeeFilter{Limit: 1})
	if err != nil || total < len(committed) {
		t.Fatalf("got %d rows, %v; want at least the %d committed", total, err, len(committed))
	}
	t.Logf("killed after %d reported commits; %d rows survived", len(committed), total)
}
