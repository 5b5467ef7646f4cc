package web

import (
	"crypto/rand"
	"crypto/subtle"
	"net/http"
	"strings"
)

// CSRF protection as Django's CsrfViewMiddleware does it by default: a
// random secret in the "csrftoken" cookie (readable by JavaScript, not
// HttpOnly, so ajax can send it), and on every unsafe request a token in the
// form field csrfmiddlewaretoken or the X-CSRFToken header that must unmask
// to that secret. Masking with a fresh pad per page defeats BREACH.
const (
	csrfCookie    = "csrftoken"
	csrfField     = "csrfmiddlewaretoken"
	csrfSecretLen = 32
	csrfChars     = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	csrfCookieAge = 365 * 24 * 3600 // Django's CSRF_COOKIE_AGE, one year
)

// Django's rejection reasons, shown on the 403 page.
const (
	reasonNoCookie  = "CSRF cookie not set."
	reasonNoToken   = "CSRF token missing."
	reasonBadToken  = "CSRF token incorrect."
	reasonBadLength = "CSRF token has incorrect length."
)

func randomCSRF() string {
	var b [csrfSecretLen]byte
	rand.Read(b[:])
	for i := range b {
		b[i] = csrfChars[int(b[i])%len(csrfChars)]
	}
	return string(b[:])
}

func validCSRFChars(s string) bool {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(csrfChars, s[i]) < 0 {
			return false
		}
	}
	return true
}

// maskCSRF returns pad+cipher where cipher[i] = secret[i] shifted by pad[i]
// in csrfChars (Django's _mask_cipher_secret).
func maskCSRF(secret string) string {
	pad := randomCSRF()
	out := make([]byte, 0, 2*csrfSecretLen)
	out = append(out, pad...)
	n := len(csrfChars)
	for i := 0; i < csrfSecretLen; i++ {
		x := strings.IndexByte(csrfChars, secret[i])
		y := strings.IndexByte(csrfChars, pad[i])
		out = append(out, csrfChars[(x+y)%n])
	}
	return string(out)
}

// unmaskCSRF reverses maskCSRF (Django's _unmask_cipher_token).
func unmaskCSRF(token string) string {
	pad, cipher := token[:csrfSecretLen], token[csrfSecretLen:]
	n := len(csrfChars)
	out := make([]byte, csrfSecretLen)
	for i := range out {
		x := strings.IndexByte(csrfChars, cipher[i])
		y := strings.IndexByte(csrfChars, pad[i])
		out[i] = csrfChars[(x-y+n)%n]
	}
	return string(out)
}

// csrfSecret returns the request's CSRF secret, making one (and a cookie
// for it) when the browser has none: get_token().
func (r *request) csrfSecret() string {
	if r.csrf != "" {
		return r.csrf
	}
	if c := r.cookies[csrfCookie]; len(c) == csrfSecretLen && validCSRFChars(c) {
		r.csrf = c
		return c
	}
	r.csrf, r.csrfIsNew = randomCSRF(), true
	r.setCookie = append(r.setCookie, (&http.Cookie{Name: csrfCookie, Value: r.csrf, Path: "/",
		MaxAge: csrfCookieAge, SameSite: http.SameSiteLaxMode}).String())
	return r.csrf
}

// csrfToken is {% csrf_token %}'s value: a fresh mask of the secret.
func (r *request) csrfToken() string { return maskCSRF(r.csrfSecret()) }

// checkCSRF returns "" when an unsafe request carries a token matching the
// cookie, else Django's reason.
func (r *request) checkCSRF() string {
	secret := r.cookies[csrfCookie]
	if len(secret) != csrfSecretLen || !validCSRFChars(secret) {
		return reasonNoCookie
	}
	token := r.form.Get(csrfField)
	if token == "" {
		token = r.env.Get("HTTP_X_CSRFTOKEN")
	}
	switch {
	case token == "":
		return reasonNoToken
	case !validCSRFChars(token):
		return reasonBadToken
	case len(token) == 2*csrfSecretLen:
		token = unmaskCSRF(token)
	case len(token) != csrfSecretLen:
		return reasonBadLength
	}
	if subtle.ConstantTimeCompare([]byte(token), []byte(secret)) != 1 {
		return reasonBadToken
	}
	return ""
}
