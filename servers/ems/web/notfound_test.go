package web

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"webflow-lab/servers/ems/emstest"
)

// navRE is the page's navigation, between <nav class="nav"> and </nav>.
var navRE = regexp.MustCompile(`(?s)<nav class="nav">(.*?)</nav>`)

func nav(t *testing.T, body string) string {
	t.Helper()
	m := navRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no navigation in the page:\n%s", body)
	}
	return m[1]
}

// TestNotFoundNavigation: the 404 page is rendered with the request's
// context, as Django's is, so a logged-in user keeps their navigation (and
// its log out form works); an anonymous visitor, or anyone while the
// database is down, gets the anonymous navigation and still a 404.
func TestNotFoundNavigation(t *testing.T) {
	a, _ := openApp(t, testConfig(t, ""))
	srv := serve(t, a)
	user := loggedIn(t, srv.URL)
	anon := emstest.NewClient(t, srv.URL)
	loggedInNav := []string{`href="/employees/"`, `href="/employees/add/"`, "管理员", `action="/logout/"`}
	anonNav := []string{`href="/login/"`, `href="/register/"`}
	tests := []struct {
		name     string
		c        *emstest.Client
		path     string
		want     []string
		wantNot  []string
		dbDown   bool
		wantBody string
	}{
		{"logged in, unknown path", user, "/nope/", loggedInNav, anonNav, false, "您访问的地址不存在。"},
		{"logged in, no such employee", user, "/employees/999/edit/", loggedInNav, anonNav, false, "页面不存在"},
		{"anonymous", anon, "/nope/", anonNav, loggedInNav, false, "您访问的地址不存在。"},
		{"logged in, database down", user, "/nope/", anonNav, loggedInNav, true, "您访问的地址不存在。"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.dbDown {
				if err := a.DB().Stop(); err != nil {
					t.Fatal(err)
				}
				defer a.DB().Start()
			}
			res := tt.c.Get(tt.path)
			if res.Status != 404 || !strings.Contains(res.Body, tt.wantBody) {
				t.Fatalf("GET %s: got %d, want 404 with %q\n%s", tt.path, res.Status, tt.wantBody, res.Body)
			}
			n := nav(t, res.Body)
			for _, w := range tt.want {
				if !strings.Contains(n, w) {
					t.Errorf("navigation: missing %q\n%s", w, n)
				}
			}
			for _, w := range tt.wantNot {
				if strings.Contains(n, w) {
					t.Errorf("navigation: got %q, want it absent\n%s", w, n)
				}
			}
		})
	}

	// The 404 page's log out form carries a valid CSRF token.
	res := user.Get("/nope/")
	m := regexp.MustCompile(`name="csrfmiddlewaretoken" value="([^"]+)"`).FindStringSubmatch(nav(t, res.Body))
	if m == nil {
		t.Fatalf("no CSRF token in the 404 page's log out form:\n%s", res.Body)
	}
	if out := user.Post("/logout/", url.Values{"csrfmiddlewaretoken": {m[1]}}); out.Status != 302 {
		t.Fatalf("log out from the 404 page: got %d, want 302\n%s", out.Status, out.Body)
	}
	if res := user.Get("/employees/"); res.Status != 302 {
		t.Errorf("after log out from the 404 page: got %d, want 302 to the login page", res.Status)
	}
}
