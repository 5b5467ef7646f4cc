package traffic

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// Walk walks the journey's steps in order and returns every request made.
// It stops at the first step that fails, with that step's error.
func (b *Browser) Walk(ctx context.Context, j Journey) ([]Request, error) {
	var all []Request
	for _, s := range j {
		reqs, err := b.Do(ctx, s)
		all = append(all, reqs...)
		if err != nil {
			return all, err
		}
	}
	return all, nil
}

// Do walks one step.
func (b *Browser) Do(ctx context.Context, s Step) ([]Request, error) {
	b.step = s
	defer func() { b.step = 0 }()
	var reqs []Request
	var err error
	switch s {
	case Open:
		reqs, _, _, err = b.open(ctx, "/login/", "")
	case Register:
		reqs, err = b.register(ctx)
	case Login:
		reqs, err = b.login(ctx)
	case List:
		reqs, _, _, err = b.open(ctx, "/employees/", "")
	case Add:
		reqs, err = b.add(ctx)
	case Edit:
		reqs, err = b.edit(ctx)
	case Delete:
		reqs, err = b.delete(ctx)
	case Logout:
		reqs, err = b.logout(ctx)
	default:
		err = fmt.Errorf("traffic: no step %v", s)
	}
	if err != nil {
		err = fmt.Errorf("user %d, %v: %w", b.N, s, err)
	}
	return reqs, err
}

// Fetch makes one plain request, without the page's resources: a spec's
// "100 GET /employees/ from 20 users".
func (b *Browser) Fetch(ctx context.Context, method, ref string) Request {
	rec, _, _ := b.send(ctx, Plain, method, ref, nil, "", nil)
	return rec
}

// onPage is the page at path with a form posting to action: the one on
// screen when it is that page (a user fills in the form they landed on),
// else opened.
func (b *Browser) onPage(ctx context.Context, path, action string) ([]Request, page, string, error) {
	if pathOf(b.curURL) == path {
		if _, ok := b.cur.formWith(action); ok {
			return nil, b.cur, b.curURL, nil
		}
	}
	return b.open(ctx, path, "")
}

func (b *Browser) register(ctx context.Context) ([]Request, error) {
	if b.opts.Captcha == "" {
		return nil, ErrNoCaptcha
	}
	reqs, pg, at, err := b.onPage(ctx, "/register/", "/register/")
	if err != nil {
		return reqs, err
	}
	more, _, _, err := b.submit(ctx, pg, at, "/register/", map[string]string{
		"username": b.Username(), "real_name": fmt.Sprintf("用户 %d", b.N),
		"password": b.opts.Password, "password2": b.opts.Password, "captcha": b.opts.Captcha,
	}, nil, false)
	reqs = append(reqs, more...)
	if err == nil {
		b.registered = true
	}
	return reqs, err
}

// login logs in, registering first if this browser has not: a new user.
// An account left from an earlier run (same name, same password) is fine.
func (b *Browser) login(ctx context.Context) ([]Request, error) {
	if b.opts.Captcha == "" {
		return nil, ErrNoCaptcha
	}
	var reqs []Request
	var regErr error
	if !b.registered {
		reqs, regErr = b.register(ctx)
		b.step = Login
	}
	more, pg, at, err := b.onPage(ctx, "/login/", "/login/")
	reqs = append(reqs, more...)
	if err != nil {
		return reqs, err
	}
	more, _, _, err = b.submit(ctx, pg, at, "/login/", map[string]string{
		"username": b.Username(), "password": b.opts.Password, "captcha": b.opts.Captcha,
	}, nil, false)
	reqs = append(reqs, more...)
	if err != nil && regErr != nil {
		err = fmt.Errorf("%w (registering first: %v)", err, regErr)
	}
	if err == nil {
		b.registered = true
	}
	return reqs, err
}

var editRE = regexp.MustCompile(`^/employees/(\d+)/edit/$`)

func (b *Browser) add(ctx context.Context) ([]Request, error) {
	reqs, pg, at, err := b.onPage(ctx, "/employees/add/", "/employees/add/")
	if err != nil {
		return reqs, err
	}
	more, _, loc, err := b.submit(ctx, pg, at, "/employees/add/", map[string]string{
		"name": fmt.Sprintf("员工 %d-%d", b.N, len(reqs)), "salary": strconv.Itoa(8000 + 100*b.N), "age": strconv.Itoa(20 + b.N%40),
	}, b.opts.Avatar, true)
	reqs = append(reqs, more...)
	if err != nil {
		return reqs, err
	}
	// Django's redirect to the new employee's edit page says its id.
	if m := editRE.FindStringSubmatch(pathOf(loc)); m != nil {
		b.employee, _ = strconv.Atoi(m[1])
	}
	return reqs, nil
}

// target is the employee to edit or delete: the one this browser added
// last, else the first on the list.
func (b *Browser) target(ctx context.Context) ([]Request, int, error) {
	if b.employee != 0 {
		return nil, b.employee, nil
	}
	reqs, pg, _, err := b.open(ctx, "/employees/", "")
	if err != nil {
		return reqs, 0, err
	}
	for _, l := range pg.links {
		if m := editRE.FindStringSubmatch(pathOf(l)); m != nil {
			id, _ := strconv.Atoi(m[1])
			return reqs, id, nil
		}
	}
	return reqs, 0, fmt.Errorf("no employee to work on: the list is empty (add one first: journey add-edit)")
}

func (b *Browser) edit(ctx context.Context) ([]Request, error) {
	reqs, id, err := b.target(ctx)
	if err != nil {
		return reqs, err
	}
	action := fmt.Sprintf("/employees/%d/edit/", id)
	more, pg, at, err := b.onPage(ctx, action, action)
	reqs = append(reqs, more...)
	if err != nil {
		return reqs, err
	}
	more, _, _, err = b.submit(ctx, pg, at, action, map[string]string{"salary": strconv.Itoa(9000 + 100*b.N)}, nil, true)
	return append(reqs, more...), err
}

func (b *Browser) delete(ctx context.Context) ([]Request, error) {
	reqs, id, err := b.target(ctx)
	if err != nil {
		return reqs, err
	}
	action := fmt.Sprintf("/employees/%d/delete/", id)
	more, pg, at, err := b.onPage(ctx, action, action)
	reqs = append(reqs, more...)
	if err != nil {
		return reqs, err
	}
	more, _, _, err = b.submit(ctx, pg, at, action, nil, nil, false)
	if err == nil && id == b.employee {
		b.employee = 0
	}
	return append(reqs, more...), err
}

// logout submits the logout form in the header of the page on screen
// (opening the list first when there is none).
func (b *Browser) logout(ctx context.Context) ([]Request, error) {
	var reqs []Request
	pg, at := b.cur, b.curURL
	if _, ok := pg.formWith("/logout/"); !ok {
		var err error
		if reqs, pg, at, err = b.open(ctx, "/employees/", ""); err != nil {
			return reqs, err
		}
	}
	more, _, _, err := b.submit(ctx, pg, at, "/logout/", nil, nil, false)
	return append(reqs, more...), err
}

// submit fills in and posts the page's form whose action starts with
// action, as a user pressing its button: the page's own fields (the CSRF
// token among them) with set's values on top, multipart with the avatar
// file when the form says so, then the redirect followed as a browser
// follows it. A form answered with the form again (200) failed: the error
// is the messages the page shows.
func (b *Browser) submit(ctx context.Context, pg page, pageURL, action string, set map[string]string, avatar []byte, wantMultipart bool) (reqs []Request, final page, location string, err error) {
	f, ok := pg.formWith(action)
	if !ok {
		return nil, page{}, "", fmt.Errorf("%s has no form posting to %s (is the user logged in?)", pageURL, action)
	}
	target := f.action
	if target == "" {
		target = pageURL
	}
	vals := f.values(set)
	var body []byte
	var ctype string
	if strings.EqualFold(f.enctype, "multipart/form-data") {
		body, ctype = multipartBody(f, vals, avatar)
	} else {
		if wantMultipart {
			return nil, page{}, "", fmt.Errorf("the form at %s is not multipart: it cannot upload an avatar", pageURL)
		}
		body, ctype = []byte(vals.Encode()), "application/x-www-form-urlencoded"
	}
	h := http.Header{"Accept": {"text/html,application/xhtml+xml,*/*;q=0.8"}, "Origin": {b.base.Scheme + "://" + b.base.Host}}
	if p, err := b.base.Parse(pageURL); err == nil {
		h.Set("Referer", p.String())
	}
	rec, resp, hdr := b.send(ctx, Form, "POST", target, body, ctype, h)
	reqs = append(reqs, rec)
	if rec.Err != nil {
		return reqs, page{}, "", rec.Err
	}
	if loc := hdr.Get("Location"); isRedirect(rec.Status) && loc != "" {
		more, pg, _, err := b.open(ctx, loc, pageURL)
		return append(reqs, more...), pg, loc, err
	}
	again := parsePage(bytes.NewReader(resp))
	reqs = append(reqs, b.resources(ctx, again, rec.URL)...)
	b.cur, b.curURL = again, rec.URL
	why := strings.Join(again.errors, "; ")
	if why == "" {
		why = "no message on the page"
	}
	return reqs, again, "", fmt.Errorf("POST %s: %d, the form came back: %s", rec.URL, rec.Status, why)
}

// multipartBody encodes the form as a browser does: each field in the
// form's order, and the file input as a part with its file name and
// type — with an empty file name and no bytes when no file was chosen.
func multipartBody(f form, vals url.Values, avatar []byte) ([]byte, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	done := map[string]bool{}
	for _, fl := range f.fields {
		if fl.typ == "file" {
			h := textproto.MIMEHeader{}
			if avatar != nil {
				h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename="avatar.png"`, fl.name))
				h.Set("Content-Type", "image/png")
			} else {
				h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=""`, fl.name))
				h.Set("Content-Type", "application/octet-stream")
			}
			w, _ := mw.CreatePart(h)
			w.Write(avatar)
			continue
		}
		if done[fl.name] {
			continue
		}
		if v, ok := vals[fl.name]; ok {
			done[fl.name] = true
			for _, x := range v {
				mw.WriteField(fl.name, x)
			}
		}
	}
	mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

func pathOf(ref string) string {
	u, err := url.Parse(ref)
	if err != nil {
		return ref
	}
	return u.Path
}
