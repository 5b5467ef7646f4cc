package sqlite_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"webflow-lab/servers/ems"
	"webflow-lab/servers/ems/sqlite"
	"webflow-lab/servers/internal/tracetest"
	"webflow-lab/servers/trace"
)

// MustOpenDB opens a fresh database file under t.TempDir (a file, not
// :memory:, because Stop/Start must find the data again) and closes it at
// the end of the test.
func MustOpenDB(tb testing.TB) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(filepath.Join(tb.TempDir(), "db.sqlite3"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func TestEmployeeCRUD(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	e := &ems.Employee{Name: "张三", Salary: 8000, Age: 30}
	if err := db.CreateEmployee(ctx, e); err != nil {
		t.Fatal(err)
	}
	if e.ID == 0 {
		t.Fatalf("got ID 0 after create, want a row id")
	}
	got, err := db.FindEmployee(ctx, e.ID)
	if err != nil || got.Name != "张三" || got.Salary != 8000 || got.Age != 30 {
		t.Fatalf("FindEmployee = %+v, %v; want 张三 8000 30", got, err)
	}
	got.Name, got.Avatar = "张三丰", "avatars/x.png"
	if err := db.UpdateEmployee(ctx, got); err != nil {
		t.Fatal(err)
	}
	got, _ = db.FindEmployee(ctx, e.ID)
	if got.Name != "张三丰" || got.Avatar != "avatars/x.png" {
		t.Fatalf("after update got %q %q, want 张三丰 avatars/x.png", got.Name, got.Avatar)
	}
	if err := db.DeleteEmployee(ctx, e.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.FindEmployee(ctx, e.ID); ems.ErrorCode(err) != ems.ENOTFOUND {
		t.Fatalf("after delete got %v, want ENOTFOUND", err)
	}
	if err := db.DeleteEmployee(ctx, e.ID); ems.ErrorCode(err) != ems.ENOTFOUND {
		t.Fatalf("second delete got %v, want ENOTFOUND", err)
	}
	if err := db.CreateEmployee(ctx, &ems.Employee{Name: "", Age: 30}); ems.ErrorCode(err) != ems.EINVALID {
		t.Fatalf("invalid create got %v, want EINVALID", err)
	}
}

func TestFindEmployeesSortAndPage(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	for i, n := range []string{"王五", "Alice", "李四", "Bob", "张三"} {
		if err := db.CreateEmployee(ctx, &ems.Employee{Name: n, Salary: int64(1000 * (5 - i)), Age: 20 + i}); err != nil {
			t.Fatal(err)
		}
	}
	names := func(list []*ems.Employee) string {
		var s []string
		for _, e := range list {
			s = append(s, e.Name)
		}
		return strings.Join(s, ",")
	}
	tests := []struct {
		name  string
		f     ems.EmployeeFilter
		want  string
		total int
	}{
		{"default id", ems.EmployeeFilter{}, "王五,Alice,李四,Bob,张三", 5},
		{"name asc", ems.EmployeeFilter{Sort: ems.SortName}, "Alice,Bob,张三,李四,王五", 5},
		{"salary desc page 1", ems.EmployeeFilter{Sort: ems.SortSalary, Desc: true, Limit: 2}, "王五,Alice", 5},
		{"salary desc page 2", ems.EmployeeFilter{Sort: ems.SortSalary, Desc: true, Limit: 2, Offset: 2}, "李四,Bob", 5},
		{"age desc", ems.EmployeeFilter{Sort: ems.SortAge, Desc: true}, "张三,Bob,李四,Alice,王五", 5},
		{"injected sort falls back to id", ems.EmployeeFilter{Sort: "name; DROP TABLE employees"}, "王五,Alice,李四,Bob,张三", 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, total, err := db.FindEmployees(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if got := names(list); got != tt.want || total != tt.total {
				t.Fatalf("got %s (total %d), want %s (total %d)", got, total, tt.want, tt.total)
			}
		})
	}
}

func TestUsers(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	u := &ems.User{Username: "alice", RealName: "爱丽丝", PasswordHash: "$2a$04$hash"}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	err := db.CreateUser(ctx, &ems.User{Username: "alice", RealName: "x", PasswordHash: "y"})
	if ems.ErrorCode(err) != ems.ECONFLICT {
		t.Fatalf("duplicate username got %v, want ECONFLICT", err)
	}
	got, err := db.FindUserByUsername(ctx, "alice")
	if err != nil || got.ID != u.ID || got.RealName != "爱丽丝" {
		t.Fatalf("FindUserByUsername = %+v, %v", got, err)
	}
	// The classic injection finds nothing: the text is a parameter.
	if _, err := db.FindUserByUsername(ctx, "' OR '1'='1"); ems.ErrorCode(err) != ems.ENOTFOUND {
		t.Fatalf("injection lookup got %v, want ENOTFOUND", err)
	}
	if _, err := db.FindUserByID(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
}

func TestSessions(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	data := map[string]string{"captcha": "1234", "user": "7"}
	if err := db.SaveSession(ctx, "s1", data, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	got, ok, err := db.LoadSession(ctx, "s1")
	if err != nil || !ok || got["captcha"] != "1234" || got["user"] != "7" {
		t.Fatalf("LoadSession = %v, %v, %v; want the saved data", got, ok, err)
	}
	if err := db.SaveSession(ctx, "old", data, time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := db.LoadSession(ctx, "old"); ok {
		t.Fatalf("expired session loaded, want none")
	}
	if n, err := db.DeleteExpiredSessions(ctx); err != nil || n != 1 {
		t.Fatalf("DeleteExpiredSessions = %d, %v; want 1", n, err)
	}
	if err := db.DeleteSession(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := db.LoadSession(ctx, "s1"); ok {
		t.Fatalf("deleted session loaded, want none")
	}
}

func TestSecretKeySharedByFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db.sqlite3")
	a, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ka, err := a.SecretKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := b.SecretKey(ctx)
	if len(ka) != 64 || ka != kb {
		t.Fatalf("got keys %q and %q, want one 64-hex key for both", ka, kb)
	}
	other := MustOpenDB(t)
	if ko, _ := other.SecretKey(ctx); ko == ka {
		t.Fatalf("another database got the same key %q", ko)
	}
}

func TestStopStart(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	if err := db.CreateEmployee(ctx, &ems.Employee{Name: "赵六", Salary: 1, Age: 40}); err != nil {
		t.Fatal(err)
	}
	if err := db.Stop(); err != nil {
		t.Fatal(err)
	}
	if !db.Stopped() {
		t.Fatalf("Stopped() = false after Stop")
	}
	_, _, err := db.FindEmployees(ctx, ems.EmployeeFilter{})
	if !errors.Is(err, sqlite.ErrStopped) || ems.ErrorCode(err) != ems.EUNAVAILABLE {
		t.Fatalf("query while stopped got %v, want ErrStopped", err)
	}
	if !strings.Contains(ems.ErrorMessage(err), "数据库服务未启动") {
		t.Fatalf("message %q, want 数据库服务未启动", ems.ErrorMessage(err))
	}
	if err := db.Start(); err != nil {
		t.Fatal(err)
	}
	list, total, err := db.FindEmployees(ctx, ems.EmployeeFilter{})
	if err != nil || total != 1 || list[0].Name != "赵六" {
		t.Fatalf("after Start got %v (total %d), %v; want 赵六", list, total, err)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ name, path string }{
		{"missing folder", filepath.Join(dir, "nope", "db.sqlite3")},
		{"a directory", dir},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sqlite.Open(tt.path)
			if err == nil || !strings.Contains(err.Error(), "ems: cannot open the database ("+tt.path+")") {
				t.Fatalf("got %v, want a cannot-open error naming %s", err, tt.path)
			}
		})
	}
}

func TestTraceEvents(t *testing.T) {
	db := MustOpenDB(t)
	rec := &tracetest.Recorder{}
	ctx := sqlite.WithTrace(context.Background(), sqlite.Hop{Recorder: rec, ReqID: "req-1", Instance: "uwsgi-1"})
	if err := db.CreateUser(ctx, &ems.User{Username: "bob", RealName: "Bob", PasswordHash: "$2a$10$secrethash"}); err != nil {
		t.Fatal(err)
	}
	evs := rec.Events()
	if len(evs) != 2 {
		t.Fatalf("got %d events, want 2 (sent, returned)", len(evs))
	}
	sent, ret := evs[0], evs[1]
	if sent.Phase != trace.Sent || ret.Phase != trace.Returned || ret.From != trace.App || ret.To != trace.DB ||
		ret.ReqID != "req-1" || ret.Instance != "uwsgi-1" {
		t.Fatalf("got events %+v / %+v", sent, ret)
	}
	if ret.PDU == nil || ret.PDU.Kind != trace.SQL {
		t.Fatalf("got PDU %+v, want an SQL PDU", ret.PDU)
	}
	pdu := string(ret.PDU.Data)
	if strings.Contains(pdu, "secrethash") || !strings.Contains(pdu, "'***'") || !strings.Contains(pdu, `"bob"`) ||
		!strings.HasPrefix(pdu, "INSERT INTO users") || !strings.Contains(pdu, "-- took: ") {
		t.Fatalf("PDU %q: want the statement, \"bob\", the hash masked and the duration", pdu)
	}
	// a query that finds no row is an answer, not a failure (the register
	// form's "is this username taken?" asks one)
	rec.Reset()
	if _, err := db.FindUserByUsername(ctx, "nobody"); err == nil {
		t.Fatal("FindUserByUsername(nobody): no error")
	}
	if evs := rec.Events(); len(evs) != 2 || evs[1].Phase != trace.Returned || !strings.HasSuffix(evs[1].Why, "no rows") || !strings.HasSuffix(evs[1].WhyZH, "没有结果行") {
		t.Fatalf("no-row query events %+v, want Returned with \"no rows\"", evs)
	}
	db.Stop()
	rec.Reset()
	db.FindEmployee(ctx, 1)
	if evs := rec.Events(); len(evs) != 2 || evs[1].Phase != trace.Failed || !strings.Contains(evs[1].Why, "database service not started") {
		t.Fatalf("stopped query events %+v, want a Failed event", evs)
	}
}

func TestConcurrentWritersTwoHandles(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db.sqlite3")
	var handles []*sqlite.DB
	for range 2 {
		h, err := sqlite.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		handles = append(handles, h)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Go(func() {
			errs <- handles[i%2].CreateEmployee(ctx, &ems.Employee{Name: "并发", Salary: int64(i), Age: 30})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, total, _ := handles[0].FindEmployees(ctx, ems.EmployeeFilter{}); total != 40 {
		t.Fatalf("got %d employees, want 40", total)
	}
}

// TestUnreadableFile: a database file that is not a database (overwritten,
// or the wrong file) cannot be started, and works again once restored.
func TestUnreadableFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db.sqlite3")
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.CreateEmployee(ctx, &ems.Employee{Name: "孙八", Salary: 1, Age: 30}); err != nil {
		t.Fatal(err)
	}
	db.Stop()
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, bytes.Repeat([]byte("garbage!"), 512), 0o644); err != nil {
		t.Fatal(err)
	}
	err = db.Start()
	if err == nil || !strings.Contains(err.Error(), "ems: cannot open the database") || !strings.Contains(err.Error(), "not a database") {
		t.Fatalf("Start on garbage: got %v, want a cannot-open error saying it is not a database", err)
	}
	if _, err := db.FindEmployee(ctx, 1); !errors.Is(err, sqlite.ErrStopped) {
		t.Fatalf("query after a failed Start: got %v, want ErrStopped", err)
	}
	os.WriteFile(path, good, 0o644)
	if err := db.Start(); err != nil {
		t.Fatal(err)
	}
	if e, err := db.FindEmployee(ctx, 1); err != nil || e.Name != "孙八" {
		t.Fatalf("after restore: %v, %v", e, err)
	}
}
