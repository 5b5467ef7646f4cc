package web

import (
	"crypto/subtle"
	"errors"
	"net/url"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"webflow-lab/servers/ems"
)

// formErrors maps a field name ("__all__" for the whole form) to its message.
type formErrors map[string]string

func (fe formErrors) add(err error) error {
	var e *ems.Error
	if errors.As(err, &e) && (e.Code == ems.EINVALID || e.Code == ems.ECONFLICT) {
		field := e.Field
		if field == "" {
			field = "__all__"
		}
		if _, ok := fe[field]; !ok {
			fe[field] = e.Message
		}
		return nil
	}
	return err // not the user's mistake: a 500
}

// currentUser is request.user: the session's user while its auth hash
// matches (AuthenticationMiddleware + get_user).
func (a *App) currentUser(r *request) (*ems.User, error) {
	if r.userDone {
		return r.user, nil
	}
	s, err := a.session(r)
	if err != nil {
		return nil, err
	}
	r.userDone = true
	id := s.get(keyUserID)
	if id == "" {
		return nil, nil
	}
	var uid int64
	for _, c := range id {
		if c < '0' || c > '9' {
			s.flush()
			return nil, nil
		}
		uid = uid*10 + int64(c-'0')
	}
	u, err := a.users.FindUserByID(a.dbctx(r), uid)
	if ems.ErrorCode(err) == ems.ENOTFOUND {
		s.flush()
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	secret, err := a.secretKey(a.dbctx(r))
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(s.get(keyUserHash)), []byte(authHash(secret, u))) != 1 {
		s.flush() // Django: "Session data corrupted" / password changed: log out
		return nil, nil
	}
	r.user = u
	return u, nil
}

// requireUser is @login_required: without a user it redirects to
// login?next=<this path>.
func (a *App) requireUser(r *request) (*ems.User, *response, error) {
	u, err := a.currentUser(r)
	if err != nil || u != nil {
		return u, nil, err
	}
	to := a.router.mustReverse("login") + "?next=" + quoteKeepSlash(r.path)
	return nil, redirect(to), nil
}

// quoteKeepSlash percent-encodes s the way Django's redirect_to_login does
// (QueryDict.urlencode(safe="/"), i.e. Python's quote(s, safe="/")): every
// byte but letters, digits, "_.-~" and "/" is %XX, so the address bar shows
// ?next=/employees/ rather than ?next=%2Femployees%2F.
func quoteKeepSlash(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("_.-~/", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

func (a *App) home(r *request) (*response, error) {
	return redirect(a.router.mustReverse("employee_list")), nil
}

// takeCaptcha checks the answer against the session's code and removes the
// code, so one image answers one attempt (django-simple-captcha deletes the
// solved challenge too). No code in this instance's session — it was drawn
// by another instance with per-instance sessions — fails like a wrong one.
func (a *App) takeCaptcha(r *request, answer string) (bool, error) {
	s, err := a.session(r)
	if err != nil {
		return false, err
	}
	want := s.pop(keyCaptcha)
	answer = strings.TrimSpace(answer)
	return want != "" && subtle.ConstantTimeCompare([]byte(answer), []byte(want)) == 1, nil
}

var errWrongCaptcha = ems.Errorf(ems.EINVALID, "captcha", "验证码错误", "wrong captcha")
var errWrongLogin = ems.Errorf(ems.EINVALID, "__all__", "用户名或密码错误", "wrong username or password")

func (a *App) login(r *request) (*response, error) {
	if _, err := a.session(r); err != nil {
		return nil, err
	}
	next := safeNext(r.query.Get("next"), a.router.mustReverse("employee_list"))
	values := map[string]any{"next": r.query.Get("next"), "errors": formErrors{}}
	if r.method != "POST" {
		// The value a redirect carried in its query string (register → login).
		values["registered"] = r.query.Get("registered")
		values["username"] = r.query.Get("registered")
		return a.render(r, 200, "login.html", values)
	}
	errs := formErrors{}
	username := strings.TrimSpace(r.form.Get("username"))
	password := r.form.Get("password")
	ok, err := a.takeCaptcha(r, r.form.Get("captcha"))
	if err != nil {
		return nil, err
	}
	var u *ems.User
	if !ok {
		errs.add(errWrongCaptcha)
	} else if username == "" || password == "" {
		errs.add(ems.Errorf(ems.EINVALID, "__all__", "请输入用户名和密码", "username and password are required"))
	} else {
		u, err = a.users.FindUserByUsername(a.dbctx(r), username)
		switch {
		case ems.ErrorCode(err) == ems.ENOTFOUND:
			// Hash anyway so a missing user takes as long as a wrong password.
			if h, err := a.dummyHash(); err == nil {
				bcrypt.CompareHashAndPassword(h, []byte(password))
			}
			errs.add(errWrongLogin)
		case err != nil:
			return nil, err
		case bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil:
			errs.add(errWrongLogin)
		}
	}
	if len(errs) > 0 {
		if r.ajax {
			return a.answer(r, map[string]any{"ok": false, "errors": errs}), nil
		}
		values["errors"], values["username"] = errs, username
		return a.render(r, 200, "login.html", values)
	}
	secret, err := a.secretKey(a.dbctx(r))
	if err != nil {
		return nil, err
	}
	s := r.sess
	s.cycle()
	s.set(keyUserID, itoa(u.ID))
	s.set(keyUserHash, authHash(secret, u))
	a.flash(r, "success", "欢迎回来，"+u.RealName+"！")
	if r.ajax {
		return a.answer(r, map[string]any{"ok": true, "redirect": next}), nil
	}
	return redirect(next), nil
}

func (a *App) register(r *request) (*response, error) {
	if _, err := a.session(r); err != nil {
		return nil, err
	}
	values := map[string]any{"errors": formErrors{}, "form": map[string]string{}}
	if r.method != "POST" {
		return a.render(r, 200, "register.html", values)
	}
	errs := formErrors{}
	form := map[string]string{"username": r.form.Get("username"), "real_name": r.form.Get("real_name")}
	ok, err := a.takeCaptcha(r, r.form.Get("captcha"))
	if err != nil {
		return nil, err
	}
	if !ok {
		errs.add(errWrongCaptcha)
	}
	username, err := ems.CleanUsername(r.form.Get("username"))
	if err := errs.add(err); err != nil {
		return nil, err
	}
	realName, err := ems.CleanName("real_name", r.form.Get("real_name"))
	if err := errs.add(err); err != nil {
		return nil, err
	}
	if err := errs.add(ems.CheckPassword(r.form.Get("password"), r.form.Get("password2"))); err != nil {
		return nil, err
	}
	if len(errs) == 0 {
		hash, err := bcrypt.GenerateFromPassword([]byte(r.form.Get("password")), a.cfg.BcryptCost)
		if err != nil {
			return nil, err
		}
		u := &ems.User{Username: username, RealName: realName, PasswordHash: string(hash)}
		if err := errs.add(a.users.CreateUser(a.dbctx(r), u)); err != nil {
			return nil, err
		}
	}
	if len(errs) > 0 {
		if r.ajax {
			return a.answer(r, map[string]any{"ok": false, "errors": errs}), nil
		}
		values["errors"], values["form"] = errs, form
		return a.render(r, 200, "register.html", values)
	}
	// A redirect carrying a value in its query string:
	// reverse("login") + "?registered=alice".
	to := a.router.mustReverse("login") + "?registered=" + url.QueryEscape(username)
	if r.ajax {
		return a.answer(r, map[string]any{"ok": true, "redirect": to}), nil
	}
	return redirect(to), nil
}

func (a *App) logout(r *request) (*response, error) {
	s, err := a.session(r)
	if err != nil {
		return nil, err
	}
	s.flush()
	return redirect(a.router.mustReverse("login")), nil
}

// captcha draws a new code, keeps its answer in this instance's session and
// returns the PNG. no-store: each load must reach the app.
func (a *App) captcha(r *request) (*response, error) {
	s, err := a.session(r)
	if err != nil {
		return nil, err
	}
	code := a.cfg.Captcha
	if code == "" {
		code = newCaptchaCode()
	}
	s.set(keyCaptcha, code)
	s.modified = true // a new image is a new challenge even when the code repeats
	img := drawCaptcha(code, captchaRand(), true)
	return (&response{status: 200, body: img}).header("Content-Type", "image/png").
		header("Cache-Control", "no-store, max-age=0"), nil
}

// checkUsername answers the register form's ajax hint: is this name free?
func (a *App) checkUsername(r *request) (*response, error) {
	name, err := ems.CleanUsername(r.query.Get("username"))
	if err != nil {
		return a.answer(r, map[string]any{"ok": false, "message": ems.ErrorMessage(err)}), nil
	}
	_, err = a.users.FindUserByUsername(a.dbctx(r), name)
	switch ems.ErrorCode(err) {
	case ems.ENOTFOUND:
		return a.answer(r, map[string]any{"ok": true, "message": "用户名可用"}), nil
	case "":
		return a.answer(r, map[string]any{"ok": false, "message": "用户名已存在"}), nil
	}
	return nil, err
}

// checkCaptcha answers the forms' ajax hint without using the code up.
func (a *App) checkCaptcha(r *request) (*response, error) {
	s, err := a.session(r)
	if err != nil {
		return nil, err
	}
	want := s.get(keyCaptcha)
	got := strings.TrimSpace(r.form.Get("captcha"))
	if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return a.answer(r, map[string]any{"ok": false, "message": "验证码错误"}), nil
	}
	return a.answer(r, map[string]any{"ok": true, "message": "验证码正确"}), nil
}

// answer is an ajax answer (JsonResponse) saying which instance gave it:
// the instance label the page footer shows, so that "验证码正确" from one
// instance and "验证码错误" from another (per-instance sessions behind round
// robin) can be told apart on the page itself.
func (a *App) answer(r *request, v map[string]any) *response {
	v["instance"] = a.instance(r)
	return jsonResponse(200, v)
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
