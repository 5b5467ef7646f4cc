package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"os"
	"strings"

	"webflow-lab/assets"
	"webflow-lab/servers/ems"
)

// pageNames are the templates under assets/ems/templates, each rendered
// inside base.html.
var pageNames = []string{"login.html", "register.html", "employee_list.html", "employee_form.html",
	"employee_confirm_delete.html", "error.html"}

// parseTemplates loads every page with base.html. The functions are
// Django's template tags: {% static %}, {% url %} and the media URL.
func (a *App) parseTemplates() (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"static":  func(p string) string { return a.cfg.StaticURL + strings.TrimPrefix(p, "/") },
		"media":   a.mediaURL,
		"url":     a.router.reverse,
		"initial": initial,
		"yuan":    formatThousands,
	}
	pages := map[string]*template.Template{}
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(assets.FS, "ems/templates/base.html", "ems/templates/"+name)
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// mediaURL is MEDIA_URL + a path below MEDIA_ROOT.
func (a *App) mediaURL(p string) string { return a.cfg.MediaURL + strings.TrimPrefix(p, "/") }

// initial is the letter shown in place of a missing avatar.
func initial(s string) string {
	for _, r := range s {
		return strings.ToUpper(string(r))
	}
	return "?"
}

// footer is what the page footer says about who served it.
type footer struct {
	Instance string
	Worker   int
	Core     int
	PID      int
}

// context builds the values every page gets (Django's context processors:
// user, csrf_token, messages) merged with the view's own.
func (a *App) context(r *request, values map[string]any) map[string]any {
	c := map[string]any{
		"user":       r.user,
		"csrf_token": r.csrfToken(),
		"served": footer{Instance: a.instance(r), Worker: r.env.Server.Worker, Core: r.env.Server.Core,
			PID: pidOr(r.env.Server.PID)},
	}
	if r.sess != nil {
		if f := r.sess.pop(keyFlash); f != "" {
			kind, text, _ := strings.Cut(f, "|")
			c["flash"] = map[string]string{"kind": kind, "text": text}
		}
	}
	for k, v := range values {
		c[k] = v
	}
	return c
}

func pidOr(pid int) int {
	if pid == 0 {
		return os.Getpid()
	}
	return pid
}

// render is Django's render(request, template, context).
func (a *App) render(r *request, status int, page string, values map[string]any) (*response, error) {
	var buf bytes.Buffer
	if err := a.pages[page].ExecuteTemplate(&buf, "base.html", a.context(r, values)); err != nil {
		return nil, fmt.Errorf("web: render %s: %w", page, err)
	}
	return &response{status: status, body: buf.Bytes()}, nil
}

// errorPage renders error.html without touching the session or the
// database, so it works while the database is down.
func (a *App) errorPage(r *request, status int, title, message string) *response {
	return a.errorPageFor(r, nil, status, title, message)
}

// notFound is Django's 404 page, which is rendered with the request's
// context: a logged-in user keeps their navigation (their name, the
// employee links, log out). Only a request that carries a session cookie
// reads the session and the user; when that fails (the database is down)
// the page is the anonymous one rather than a 500.
func (a *App) notFound(r *request, message string) *response {
	var u *ems.User
	if r.cookies[sessionCookie] != "" {
		u, _ = a.currentUser(r)
	}
	return a.errorPageFor(r, u, 404, "页面不存在 Not Found", message)
}

// errorPageFor renders error.html, with u's navigation when u is not nil.
func (a *App) errorPageFor(r *request, u *ems.User, status int, title, message string) *response {
	c := map[string]any{
		"status": status, "title": title, "message": message,
		"served": footer{Instance: a.instance(r), Worker: r.env.Server.Worker, Core: r.env.Server.Core, PID: pidOr(r.env.Server.PID)},
	}
	if u != nil {
		c["user"], c["csrf_token"] = u, r.csrfToken() // the log out form posts the token
	}
	var buf bytes.Buffer
	if err := a.pages["error.html"].ExecuteTemplate(&buf, "base.html", c); err != nil {
		buf.Reset()
		fmt.Fprintf(&buf, "<h1>%d</h1>", status)
	}
	return &response{status: status, body: buf.Bytes()}
}

// redirect is HttpResponseRedirect (302).
func redirect(to string) *response {
	return (&response{status: 302}).header("Location", to)
}

// jsonResponse is JsonResponse: the ajax answers of the forms.
func jsonResponse(status int, v any) *response {
	body, err := json.Marshal(v)
	if err != nil {
		body = []byte(`{"ok":false}`)
	}
	return (&response{status: status, body: body}).header("Content-Type", "application/json")
}

func (a *App) flash(r *request, kind, text string) {
	if r.sess != nil {
		r.sess.set(keyFlash, kind+"|"+text)
	}
}

// formatThousands writes 12345678 as 12,345,678.
func formatThousands(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
