package web

import (
	"bufio"
	"bytes"
	"image/png"
	mrand "math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"webflow-lab/servers/wsgi"
)

func testRouter(t testing.TB) *router {
	rt, err := newRouter(routes())
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

func TestRouterMatchAndReverse(t *testing.T) {
	rt := testRouter(t)
	tests := []struct {
		path, name, id string
	}{
		{"/", "home", ""},
		{"/login/", "login", ""},
		{"/login", "", ""},
		{"/employees/", "employee_list", ""},
		{"/employees/add/", "employee_add", ""},
		{"/employees/42/edit/", "employee_edit", "42"},
		{"/employees/42/delete/", "employee_delete", "42"},
		{"/employees/-1/edit/", "", ""},
		{"/employees/4x/edit/", "", ""},
		{"/employees/42/edit", "", ""},
		{"/captcha.png", "captcha", ""},
		{"", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			r, params := rt.match(tt.path)
			got := ""
			if r != nil {
				got = r.name
			}
			if got != tt.name || params["id"] != tt.id {
				t.Fatalf("match(%q) = %q %v, want %q id=%q", tt.path, got, params, tt.name, tt.id)
			}
		})
	}
	revs := []struct {
		name string
		args []any
		want string
		err  bool
	}{
		{"login", nil, "/login/", false},
		{"employee_edit", []any{int64(7)}, "/employees/7/edit/", false},
		{"employee_delete", []any{12}, "/employees/12/delete/", false},
		{"employee_edit", nil, "", true},
		{"employee_edit", []any{"x/y"}, "", true},
		{"employee_edit", []any{1, 2}, "", true},
		{"nope", nil, "", true},
	}
	for _, tt := range revs {
		t.Run("reverse "+tt.name, func(t *testing.T) {
			got, err := rt.reverse(tt.name, tt.args...)
			if (err != nil) != tt.err || got != tt.want {
				t.Fatalf("reverse(%s, %v) = %q, %v; want %q (error %v)", tt.name, tt.args, got, err, tt.want, tt.err)
			}
		})
	}
}

func TestBadPatterns(t *testing.T) {
	for _, p := range []string{"login/", "/a/<float:x>/", "/a/<>/", "/a/x<y>/"} {
		if _, err := parsePattern(p); err == nil {
			t.Errorf("parsePattern(%q): got nil error, want one", p)
		}
	}
}

func seedLines(f *testing.F, path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		f.Add(l)
	}
}

// FuzzRouteMatch: a path the router matches reverses back to itself (int
// parameters normalized), and reverse of a match never fails.
func FuzzRouteMatch(f *testing.F) {
	seedLines(f, filepath.Join("testdata", "paths", "seeds.txt"))
	rt := testRouter(f)
	f.Fuzz(func(t *testing.T, path string) {
		r, params := rt.match(path)
		if r == nil {
			return
		}
		var args []any
		for _, s := range r.segs {
			if s.param != "" {
				n, err := strconv.ParseInt(params[s.param], 10, 64)
				if err != nil {
					t.Fatalf("matched %q with non-int %q", path, params[s.param])
				}
				args = append(args, n)
			}
		}
		back, err := rt.reverse(r.name, args...)
		if err != nil {
			t.Fatalf("reverse of a match %q failed: %v", path, err)
		}
		if r2, _ := rt.match(back); r2 != r {
			t.Fatalf("%q → %s → %q matches another route", path, r.name, back)
		}
	})
}

// FuzzCSRFMask: every secret round-trips through mask/unmask, and masks
// differ between calls (BREACH).
func FuzzCSRFMask(f *testing.F) {
	f.Add(uint64(1), uint64(2))
	f.Add(uint64(0), uint64(0))
	f.Fuzz(func(t *testing.T, a, b uint64) {
		rng := mrand.New(mrand.NewPCG(a, b))
		sec := make([]byte, csrfSecretLen)
		for i := range sec {
			sec[i] = csrfChars[rng.IntN(len(csrfChars))]
		}
		secret := string(sec)
		m1, m2 := maskCSRF(secret), maskCSRF(secret)
		if len(m1) != 2*csrfSecretLen || !validCSRFChars(m1) {
			t.Fatalf("mask %q: bad shape", m1)
		}
		if unmaskCSRF(m1) != secret || unmaskCSRF(m2) != secret {
			t.Fatalf("unmask(mask(%q)) differs", secret)
		}
		if m1 == m2 {
			t.Fatalf("two masks of %q are equal", secret)
		}
	})
}

func bodyRequest(ct string, body []byte) *request {
	env := &wsgi.Environ{Vars: map[string]string{
		"REQUEST_METHOD": "POST", "CONTENT_TYPE": ct, "CONTENT_LENGTH": strconv.Itoa(len(body)),
	}}
	env.Input = wsgi.NewInput(bufio.NewReader(bytes.NewReader(body)), int64(len(body)))
	return newRequest(env)
}

func TestParseBody(t *testing.T) {
	tests := []struct {
		name, ct, body string
		max            int64
		want           error
		field, value   string
		file           string
	}{
		{"urlencoded", "application/x-www-form-urlencoded", "a=1&b=%E5%BC%A0", 100, nil, "b", "张", ""},
		{"urlencoded charset", "application/x-www-form-urlencoded; charset=UTF-8", "a=1", 100, nil, "a", "1", ""},
		{"bad escape", "application/x-www-form-urlencoded", "a=%zz", 100, errBadRequest, "", "", ""},
		{"multipart", "multipart/form-data; boundary=B", "--B\r\nContent-Disposition: form-data; name=\"n\"\r\n\r\nv\r\n--B\r\nContent-Disposition: form-data; name=\"avatar\"; filename=\"x.png\"\r\n\r\nDATA\r\n--B--\r\n", 100, nil, "n", "v", "DATA"},
		{"multipart file too big", "multipart/form-data; boundary=B", "--B\r\nContent-Disposition: form-data; name=\"avatar\"; filename=\"x.png\"\r\n\r\n0123456789\r\n--B--\r\n", 5, errTooLarge, "", "", ""},
		{"multipart no boundary", "multipart/form-data", "x", 100, errBadRequest, "", "", ""},
		{"multipart truncated", "multipart/form-data; boundary=B", "--B\r\nContent-Disposition: form-data; name=\"n\"\r\n\r\nv", 100, errBadRequest, "", "", ""},
		{"unknown type ignored", "text/plain", "a=1", 100, nil, "a", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := bodyRequest(tt.ct, []byte(tt.body))
			err := r.parseBody(tt.max)
			if err != tt.want {
				t.Fatalf("got error %v, want %v", err, tt.want)
			}
			if tt.field != "" && r.form.Get(tt.field) != tt.value {
				t.Fatalf("got %s=%q, want %q", tt.field, r.form.Get(tt.field), tt.value)
			}
			if tt.file != "" && (r.file == nil || string(r.file.data) != tt.file) {
				t.Fatalf("got file %+v, want %q", r.file, tt.file)
			}
		})
	}
	t.Run("content length over the limit is refused unread", func(t *testing.T) {
		r := bodyRequest("multipart/form-data; boundary=B", nil)
		r.env.Vars["CONTENT_LENGTH"] = strconv.Itoa(10 + maxFormBytes + 1)
		if err := r.parseBody(10); err != errTooLarge {
			t.Fatalf("got %v, want errTooLarge", err)
		}
	})
}

// FuzzParseBody feeds arbitrary bodies as both content types: parsing never
// panics, a file never exceeds the limit, text fields stay within theirs, and
// an urlencoded body that parses re-encodes to the same values.
func FuzzParseBody(f *testing.F) {
	for _, name := range []string{"login.txt", "multipart.txt"} {
		data, err := os.ReadFile(filepath.Join("testdata", "bodies", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, false)
		f.Add(data, true)
	}
	const limit = 64
	f.Fuzz(func(t *testing.T, body []byte, multipart bool) {
		ct := "application/x-www-form-urlencoded"
		if multipart {
			ct = "multipart/form-data; boundary=XyZ"
		}
		r := bodyRequest(ct, body)
		err := r.parseBody(limit)
		if err != nil {
			return
		}
		if r.file != nil && int64(len(r.file.data)) > limit {
			t.Fatalf("file of %d bytes passed a %d limit", len(r.file.data), limit)
		}
		n := 0
		for _, vs := range r.form {
			for _, v := range vs {
				n += len(v)
			}
		}
		if n > maxFormBytes {
			t.Fatalf("text fields total %d bytes", n)
		}
		if !multipart {
			again, err := url.ParseQuery(r.form.Encode())
			if err != nil || again.Encode() != r.form.Encode() {
				t.Fatalf("form %v does not round-trip: %v", r.form, err)
			}
		}
	})
}

// readCaptcha reads a clean (noise=false) captcha back with the same font,
// trying every jitter offset: proof the digits are drawn where and as meant.
func readCaptcha(t *testing.T, data []byte, n int) string {
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	dark := func(x, y int) bool {
		r, g, b, _ := img.At(x, y).RGBA()
		return (r+g+b)/3 < 0x9000
	}
	var out []byte
	for i := range n {
		best, bestScore := byte('?'), -1
		for dy := -captchaJitter; dy <= captchaJitter; dy++ {
			for dx := -captchaJitter; dx <= captchaJitter; dx++ {
				x0, y0 := captchaLeft+i*captchaPitch+dx, captchaTop+dy
				for d := range 10 {
					score := 0
					for row, bits := range font5x7[d] {
						for col := range 5 {
							cx, cy := x0+col*captchaScale+1, y0+row*captchaScale+1
							if dark(cx, cy) == (bits[col] == '1') {
								score++
							}
						}
					}
					if score > bestScore {
						best, bestScore = byte('0'+d), score
					}
				}
			}
		}
		out = append(out, best)
	}
	return string(out)
}

func TestCaptchaDraw(t *testing.T) {
	for seed := range uint64(20) {
		code := strconv.Itoa(1000 + int(seed*437)%9000)
		rng := mrand.New(mrand.NewPCG(seed, 7))
		if got := readCaptcha(t, drawCaptcha(code, rng, false), len(code)); got != code {
			t.Fatalf("seed %d: drew %s, read back %s", seed, code, got)
		}
		noisy := drawCaptcha(code, mrand.New(mrand.NewPCG(seed, 7)), true)
		cfg, err := png.DecodeConfig(bytes.NewReader(noisy))
		if err != nil || cfg.Width != captchaW || cfg.Height != captchaH {
			t.Fatalf("noisy captcha: %v %dx%d", err, cfg.Width, cfg.Height)
		}
	}
	for d := range 10 {
		for e := d + 1; e < 10; e++ {
			if font5x7[d] == font5x7[e] {
				t.Fatalf("digits %d and %d share a glyph", d, e)
			}
		}
	}
	if c := newCaptchaCode(); len(c) != captchaLen || !validCode(c) {
		t.Fatalf("newCaptchaCode() = %q", c)
	}
}
