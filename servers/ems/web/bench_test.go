package web

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"testing"

	"webflow-lab/servers/ems"
	"webflow-lab/servers/ems/emstest"
	"webflow-lab/servers/wsgi"
)

// BenchmarkListPage: a logged-in GET of the list over 1,000 employees, one
// page of 10 (page 37, sorted by name) and all 1,000 on one page
// (?per_page=1000): the "renders 1,000 employees in under 20 ms".
func BenchmarkListPage(b *testing.B) {
	cases := []struct{ name, engine, path string }{
		{"sessions=db", SessionsDB, "/employees/?sort=name&page=37"},
		{"sessions=memory", SessionsMemory, "/employees/?sort=name&page=37"},
		{"rows=1000", SessionsDB, "/employees/?sort=name&per_page=1000"},
	}
	for _, bc := range cases {
		engine := bc.engine
		b.Run(bc.name, func(b *testing.B) {
			cfg := testConfig(b, "")
			cfg.Sessions = engine
			a, _ := openApp(b, cfg)
			for i := range 1000 {
				e := &ems.Employee{Name: fmt.Sprintf("员工%04d", i), Salary: int64(5000 + i), Age: 20 + i%40}
				if i%3 == 0 {
					e.Avatar = "avatars/x.png"
				}
				if err := a.employees.CreateEmployee(context.Background(), e); err != nil {
					b.Fatal(err)
				}
			}
			srv := httptest.NewServer(wsgi.Handler(a))
			defer srv.Close()
			c := emstest.NewClient(b, srv.URL)
			c.Register("bench", "secret1", "压测")
			if res := c.Login("bench", "secret1"); res.Status != 302 {
				b.Fatalf("login: %d", res.Status)
			}
			cookie := ""
			for _, ck := range c.Cookies() {
				cookie += ck.Name + "=" + ck.Value + "; "
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				req := httptest.NewRequest("GET", bc.path, nil)
				req.Header.Set("Cookie", cookie)
				rec := httptest.NewRecorder()
				wsgi.Handler(a).ServeHTTP(rec, req)
				if rec.Code != 200 {
					b.Fatalf("got %d", rec.Code)
				}
				io.Discard.Write(rec.Body.Bytes())
			}
		})
	}
}
