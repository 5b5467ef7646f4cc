package web

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"

	"webflow-lab/servers/ems"
	"webflow-lab/servers/wsgi"
)

// maxFormBytes caps the text fields of one request (Django's
// DATA_UPLOAD_MAX_MEMORY_SIZE is 2.5 MB; our forms are tiny).
const maxFormBytes = 1 << 20

// errTooLarge is a request body over the limits: 413.
var errTooLarge = errors.New("web: request body too large")

// errBadRequest is a body that cannot be parsed: 400.
var errBadRequest = errors.New("web: malformed request body")

// A request is Django's HttpRequest, built from the WSGI environ.
type request struct {
	env     *wsgi.Environ
	ctx     context.Context
	method  string
	path    string
	query   url.Values
	form    url.Values // POST fields (request.POST)
	file    *upload    // the "avatar" file field (request.FILES), nil when none
	cookies map[string]string
	params  map[string]string // route parameters
	ajax    bool              // X-Requested-With: XMLHttpRequest, as jQuery and our JS send

	sess      *session
	user      *ems.User
	userDone  bool
	csrf      string // the CSRF secret (cookie value)
	csrfIsNew bool
	setCookie []string
}

// An upload is one file field (Django's UploadedFile).
type upload struct {
	name string
	data []byte
}

func newRequest(env *wsgi.Environ) *request {
	r := &request{
		env:    env,
		ctx:    env.Context,
		method: env.Get("REQUEST_METHOD"),
		path:   env.Get("PATH_INFO"),
		ajax:   env.Get("HTTP_X_REQUESTED_WITH") == "XMLHttpRequest",
	}
	if r.ctx == nil {
		r.ctx = context.Background()
	}
	if r.path == "" {
		r.path = "/"
	}
	r.query, _ = url.ParseQuery(env.Get("QUERY_STRING"))
	if r.query == nil {
		r.query = url.Values{}
	}
	r.cookies = parseCookies(env.Get("HTTP_COOKIE"))
	r.form = url.Values{}
	return r
}

// parseCookies reads a Cookie header; for a repeated name the first wins, as
// in Python's http.cookies used by Django (and net/http's Request.Cookie).
func parseCookies(h string) map[string]string {
	out := map[string]string{}
	if h == "" {
		return out
	}
	for _, c := range (&http.Request{Header: http.Header{"Cookie": {h}}}).Cookies() {
		if _, ok := out[c.Name]; !ok {
			out[c.Name] = c.Value
		}
	}
	return out
}

// parseBody reads the POST body from wsgi.input by CONTENT_TYPE and
// CONTENT_LENGTH. Bodies over maxUpload plus room for the text fields fail
// with errTooLarge before a byte is read; a file field over maxUpload fails
// with errTooLarge too.
func (r *request) parseBody(maxUpload int64) error {
	length := wsgi.ContentLength(r.env.Get("CONTENT_LENGTH"))
	if length == 0 {
		return nil
	}
	if length > maxUpload+maxFormBytes {
		return errTooLarge
	}
	body := io.LimitReader(r.env.Input, length)
	ct, params, err := mime.ParseMediaType(r.env.Get("CONTENT_TYPE"))
	if err != nil {
		return nil // Django: an unknown content type gives an empty request.POST
	}
	switch ct {
	case "application/x-www-form-urlencoded":
		if length > maxFormBytes {
			return errTooLarge
		}
		raw, err := io.ReadAll(body)
		if err != nil {
			return err
		}
		form, err := url.ParseQuery(string(raw))
		if err != nil {
			return errBadRequest
		}
		r.form = form
	case "multipart/form-data":
		if params["boundary"] == "" {
			return errBadRequest
		}
		return r.parseMultipart(multipart.NewReader(body, params["boundary"]), maxUpload)
	}
	return nil
}

func (r *request) parseMultipart(mr *multipart.Reader, maxUpload int64) error {
	textLeft := int64(maxFormBytes)
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return errBadRequest
		}
		name := p.FormName()
		if p.FileName() != "" || name == "avatar" {
			var buf bytes.Buffer
			n, err := io.Copy(&buf, io.LimitReader(p, maxUpload+1))
			if err != nil {
				return errBadRequest
			}
			if n > maxUpload {
				return errTooLarge
			}
			if name == "avatar" && n > 0 && r.file == nil {
				r.file = &upload{name: p.FileName(), data: buf.Bytes()}
			}
			continue
		}
		var buf bytes.Buffer
		n, err := io.Copy(&buf, io.LimitReader(p, textLeft+1))
		if err != nil {
			return errBadRequest
		}
		if textLeft -= n; textLeft < 0 {
			return errTooLarge
		}
		r.form.Add(name, buf.String())
	}
}

// safeNext makes a "next" parameter safe: only a local path is followed
// (Django's url_has_allowed_host_and_scheme), anything else gives def.
func safeNext(next, def string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return def
	}
	if u, err := url.Parse(next); err != nil || u.Host != "" || u.Scheme != "" {
		return def
	}
	return next
}
