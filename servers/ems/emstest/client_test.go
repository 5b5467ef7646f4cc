package emstest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

// fakeEMS answers the three requests of a login the way the EMS does, and
// names itself, so a test can see which server got which step and with
// which cookies.
func fakeEMS(name string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		session := "none"
		if ck, err := r.Cookie("sessionid"); err == nil {
			session = ck.Value
		}
		w.Header().Set("X-Served-By", name)
		switch r.URL.Path {
		case "/login/":
			if r.Method == "POST" {
				if r.PostFormValue("csrfmiddlewaretoken") != "tok123" || r.PostFormValue("captcha") != Captcha {
					http.Error(w, "bad form", 400)
					return
				}
				http.Redirect(w, r, "/employees/", http.StatusFound)
				return
			}
			http.SetCookie(w, &http.Cookie{Name: "sessionid", Value: "s-" + name, Path: "/"})
			fmt.Fprint(w, `<form><input type="hidden" name="csrfmiddlewaretoken" value="tok123"></form>`)
		default:
			fmt.Fprintf(w, "session %s", session)
		}
	}))
}

func TestClient(t *testing.T) {
	one, two := fakeEMS("one"), fakeEMS("two")
	defer one.Close()
	defer two.Close()

	c := NewClient(t, one.URL)
	res := c.Login("u", "p", one.URL, two.URL, one.URL)
	if res.Status != http.StatusFound || res.Header.Get("Location") != "/employees/" || res.Header.Get("X-Served-By") != "one" {
		t.Fatalf("Login: got %d Location %q from %q, want 302 /employees/ (not followed) from one",
			res.Status, res.Header.Get("Location"), res.Header.Get("X-Served-By"))
	}
	// Cookies ignore ports: the session one set goes to two as well.
	if got, want := c.At(two.URL).Get("/x").Body, "session s-one"; got != want {
		t.Errorf("At(two).Get: got %q, want %q (the same jar)", got, want)
	}
	if cks := c.Cookies(); len(cks) != 1 || cks[0].Value != "s-one" {
		t.Errorf("Cookies: got %v, want sessionid=s-one", cks)
	}
	if got := NewClient(t, one.URL).Get("/x").Body; got != "session none" {
		t.Errorf("a new client: got %q, want no cookie", got)
	}
}
