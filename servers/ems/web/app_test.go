package web

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"webflow-lab/servers/ems"
	"webflow-lab/servers/ems/emstest"
	"webflow-lab/servers/wsgi"
)

func mustContain(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Fatalf("%s: want %q in:\n%s", what, w, body)
		}
	}
}

func TestRegisterLoginLogout(t *testing.T) {
	a, _ := openApp(t, testConfig(t, ""))
	srv := serve(t, a)
	c := emstest.NewClient(t, srv.URL)

	res := c.Register("alice", "secret1", "爱丽丝")
	if res.Status != 302 || res.Header.Get("Location") != "/login/?registered=alice" {
		t.Fatalf("register: got %d Location %q, want 302 /login/?registered=alice", res.Status, res.Header.Get("Location"))
	}
	page := c.Get("/login/?registered=alice")
	mustContain(t, "login page after register", page.Body, "注册成功", `value="alice"`, `src="/captcha.png"`,
		`href="/static/ems/css/style.css"`, "served by <b>")

	res = c.Login("alice", "secret1")
	if res.Status != 302 || res.Header.Get("Location") != "/employees/" {
		t.Fatalf("login: got %d Location %q, want 302 /employees/", res.Status, res.Header.Get("Location"))
	}
	for _, ck := range strings.Split(strings.Join(res.Header.Values("Set-Cookie"), "\n"), "\n") {
		if strings.HasPrefix(ck, "sessionid=") && (!strings.Contains(ck, "HttpOnly") || !strings.Contains(ck, "SameSite=Lax")) {
			t.Fatalf("session cookie %q: want HttpOnly and SameSite=Lax", ck)
		}
	}
	list := c.Get("/employees/")
	if list.Status != 200 {
		t.Fatalf("list: got %d, want 200", list.Status)
	}
	mustContain(t, "list after login", list.Body, "欢迎回来，爱丽丝！", "还没有员工", "退出")
	if again := c.Get("/employees/"); strings.Contains(again.Body, "欢迎回来") {
		t.Fatalf("flash shown twice, want once")
	}

	res = c.Post("/logout/", url.Values{"csrfmiddlewaretoken": {c.Token(list)}})
	if res.Status != 302 || res.Header.Get("Location") != "/login/" {
		t.Fatalf("logout: got %d %q, want 302 /login/", res.Status, res.Header.Get("Location"))
	}
	res = c.Get("/employees/")
	if res.Status != 302 || res.Header.Get("Location") != "/login/?next=/employees/" {
		t.Fatalf("list after logout: got %d %q, want 302 to login with next", res.Status, res.Header.Get("Location"))
	}
	if res := c.Get("/logout/"); res.Status != 405 || res.Header.Get("Allow") != "POST" {
		t.Fatalf("GET /logout/: got %d Allow %q, want 405 POST", res.Status, res.Header.Get("Allow"))
	}
}

func TestLoginFailures(t *testing.T) {
	a, _ := openApp(t, testConfig(t, ""))
	srv := serve(t, a)
	emstest.NewClient(t, srv.URL).Register("bob", "secret1", "鲍勃")

	tests := []struct {
		name, user, pass, captcha string
		skipCaptchaImage          bool
		want                      string
	}{
		{"wrong password", "bob", "nope123", "1234", false, "用户名或密码错误"},
		{"unknown user", "carol", "secret1", "1234", false, "用户名或密码错误"},
		{"wrong captcha", "bob", "secret1", "9999", false, "验证码错误"},
		{"captcha never drawn", "bob", "secret1", "1234", true, "验证码错误"},
		{"sql injection", "bob' --", "x", "1234", false, "用户名或密码错误"},
		{"sql injection always true", "' OR '1'='1", "' OR '1'='1", "1234", false, "用户名或密码错误"},
	}
	for _, tt := range tests {
		for _, ajax := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/ajax=%v", tt.name, ajax), func(t *testing.T) {
				c := emstest.NewClient(t, srv.URL)
				page := c.Get("/login/")
				if !tt.skipCaptchaImage {
					c.Get("/captcha.png")
				}
				form := url.Values{"csrfmiddlewaretoken": {c.Token(page)}, "username": {tt.user}, "password": {tt.pass}, "captcha": {tt.captcha}}
				var hdr []string
				if ajax {
					hdr = []string{"X-Requested-With", "XMLHttpRequest"}
				}
				res := c.Post("/login/", form, hdr...)
				if res.Status != 200 {
					t.Fatalf("got status %d, want 200 with the form's error", res.Status)
				}
				if ajax {
					var got struct {
						OK     bool
						Errors map[string]string
					}
					if err := json.Unmarshal([]byte(res.Body), &got); err != nil {
						t.Fatalf("ajax answer %q: %v", res.Body, err)
					}
					all := got.Errors["__all__"] + got.Errors["captcha"]
					if got.OK || all != tt.want {
						t.Fatalf("got %+v, want ok=false with %q", got, tt.want)
					}
					return
				}
				mustContain(t, "login page", res.Body, tt.want)
				if c.Get("/employees/").Status != 302 {
					t.Fatalf("logged in after a failed login")
				}
			})
		}
	}
}

func TestRegisterFailures(t *testing.T) {
	a, _ := openApp(t, testConfig(t, ""))
	srv := serve(t, a)
	emstest.NewClient(t, srv.URL).Register("taken", "secret1", "已注册")

	tests := []struct {
		name                             string
		user, real, pass, pass2, captcha string
		field, want                      string
	}{
		{"taken username", "taken", "张三", "secret1", "secret1", "1234", "username", "用户名已存在"},
		{"wrong captcha", "fresh", "张三", "secret1", "secret1", "0000", "captcha", "验证码错误"},
		{"passwords differ", "fresh", "张三", "secret1", "secret2", "1234", "password2", "两次输入的密码不一致"},
		{"short password", "fresh", "张三", "123", "123", "1234", "password", "密码至少 6 个字符"},
		{"bad username", "a b", "张三", "secret1", "secret1", "1234", "username", "用户名只能包含"},
		{"no real name", "fresh", " ", "secret1", "secret1", "1234", "real_name", "请输入姓名"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := emstest.NewClient(t, srv.URL)
			page := c.Get("/register/")
			c.Get("/captcha.png")
			res := c.Post("/register/", url.Values{"csrfmiddlewaretoken": {c.Token(page)}, "username": {tt.user},
				"real_name": {tt.real}, "password": {tt.pass}, "password2": {tt.pass2}, "captcha": {tt.captcha}},
				"X-Requested-With", "XMLHttpRequest")
			var got struct {
				OK     bool
				Errors map[string]string
			}
			if err := json.Unmarshal([]byte(res.Body), &got); err != nil {
				t.Fatalf("answer %q: %v", res.Body, err)
			}
			if got.OK || !strings.Contains(got.Errors[tt.field], tt.want) {
				t.Fatalf("got %+v, want %q on %s", got, tt.want, tt.field)
			}
		})
	}

	t.Run("form post shows errors", func(t *testing.T) {
		c := emstest.NewClient(t, srv.URL)
		res := c.Register("taken", "secret1", "<b>x</b>")
		if res.Status != 200 {
			t.Fatalf("got %d, want 200", res.Status)
		}
		mustContain(t, "register page", res.Body, "用户名已存在", `value="&lt;b&gt;x&lt;/b&gt;"`)
	})

	t.Run("ajax username check", func(t *testing.T) {
		c := emstest.NewClient(t, srv.URL)
		for _, tc := range []struct{ name, want string }{
			{"taken", `{"instance":"ems","message":"用户名已存在","ok":false}`},
			{"newname", `{"instance":"ems","message":"用户名可用","ok":true}`},
			{"x", `{"instance":"ems","message":"用户名长度须为 3–30 个字符","ok":false}`},
		} {
			res := c.Get("/api/check-username/?username=" + tc.name)
			if res.Body != tc.want || res.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("check %q: got %s (%s), want %s", tc.name, res.Body, res.Header.Get("Content-Type"), tc.want)
			}
		}
	})

	t.Run("ajax captcha check keeps the code", func(t *testing.T) {
		c := emstest.NewClient(t, srv.URL)
		page := c.Get("/register/")
		c.Get("/captcha.png")
		tok := c.Token(page)
		for _, tc := range []struct{ answer, want string }{
			{"1111", `"ok":false`}, {"1234", `"ok":true`}, {"1234", `"ok":true`},
		} {
			res := c.Post("/api/check-captcha/", url.Values{"captcha": {tc.answer}}, "X-CSRFToken", tok)
			mustContain(t, "captcha check "+tc.answer, res.Body, tc.want)
		}
	})
}

func TestCSRF(t *testing.T) {
	a, log := openApp(t, testConfig(t, ""))
	srv := serve(t, a)
	tests := []struct {
		name   string
		cookie bool
		token  func(page string, c *emstest.Client) string
		want   string
	}{
		{"no cookie", false, func(string, *emstest.Client) string { return "" }, reasonNoCookie},
		{"no token", true, func(string, *emstest.Client) string { return "" }, reasonNoToken},
		{"wrong token", true, func(string, *emstest.Client) string { return strings.Repeat("a", 64) }, reasonBadToken},
		{"short token", true, func(string, *emstest.Client) string { return "abc" }, reasonBadLength},
		{"bad characters", true, func(string, *emstest.Client) string { return strings.Repeat("!", 64) }, reasonBadToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := emstest.NewClient(t, srv.URL)
			page := ""
			if tt.cookie {
				page = c.Get("/login/").Body
				c.Get("/captcha.png")
			}
			form := url.Values{"username": {"x"}, "password": {"y"}, "captcha": {"1234"}}
			if tok := tt.token(page, c); tok != "" {
				form.Set("csrfmiddlewaretoken", tok)
			}
			res := c.Post("/login/", form)
			if res.Status != 403 {
				t.Fatalf("got %d, want 403", res.Status)
			}
			mustContain(t, "403 page", res.Body, "CSRF 验证失败", tt.want)
			mustContain(t, "log", log.String(), "403: Forbidden ("+tt.want+")")
		})
	}
	t.Run("header token accepted", func(t *testing.T) {
		c := emstest.NewClient(t, srv.URL)
		page := c.Get("/register/")
		res := c.Post("/api/check-captcha/", url.Values{"captcha": {"1"}}, "X-CSRFToken", c.Token(page))
		if res.Status != 200 {
			t.Fatalf("got %d, want 200", res.Status)
		}
	})
}

// loggedIn returns a client logged in as a fresh user.
func loggedIn(t *testing.T, base string) *emstest.Client {
	t.Helper()
	c := emstest.NewClient(t, base)
	c.Register("admin", "secret1", "管理员")
	if res := c.Login("admin", "secret1"); res.Status != 302 {
		t.Fatalf("login: got %d, want 302\n%s", res.Status, res.Body)
	}
	return c
}

var avatarRE = regexp.MustCompile(`src="/media/(avatars/[a-z0-9]+\.png)"`)

func TestEmployeeAddEditDelete(t *testing.T) {
	a, _ := openApp(t, testConfig(t, ""))
	srv := serve(t, a)
	c := loggedIn(t, srv.URL)

	form := c.Get("/employees/add/")
	tok := c.Token(form)
	res := c.Multipart("/employees/add/", map[string]string{"csrfmiddlewaretoken": tok, "name": "张三丰", "salary": "12000", "age": "35"}, emstest.PNG(t, 20, 20))
	// The redirect after adding carries a path parameter: /employees/<id>/edit/.
	if res.Status != 302 || res.Header.Get("Location") != "/employees/1/edit/" {
		t.Fatalf("add: got %d %q, want 302 /employees/1/edit/\n%s", res.Status, res.Header.Get("Location"), res.Body)
	}
	edit := c.Get("/employees/1/edit/")
	mustContain(t, "edit page", edit.Body, "已添加员工「张三丰」", `value="张三丰"`, `value="12000"`)
	list := c.Get("/employees/")
	mustContain(t, "list", list.Body, "张三丰", "¥12,000", `href="/employees/1/edit/"`, `href="/employees/1/delete/"`)
	m := avatarRE.FindStringSubmatch(list.Body)
	if m == nil {
		t.Fatalf("no avatar on the list:\n%s", list.Body)
	}
	if _, err := os.Stat(mediaFile(a, m[1])); err != nil {
		t.Fatalf("avatar file: %v", err)
	}
	// The app never serves media itself: that is nginx's or static-map's job.
	if res := c.Get("/media/" + m[1]); res.Status != 404 {
		t.Fatalf("GET /media/…: got %d, want 404 from the app", res.Status)
	}

	res = c.Multipart("/employees/1/edit/", map[string]string{"csrfmiddlewaretoken": c.Token(edit), "name": "张三", "salary": "15000", "age": "36"}, emstest.PNG(t, 8, 8))
	if res.Status != 302 || res.Header.Get("Location") != "/employees/" {
		t.Fatalf("edit: got %d %q, want 302 /employees/", res.Status, res.Header.Get("Location"))
	}
	list = c.Get("/employees/")
	mustContain(t, "list after edit", list.Body, "已保存员工「张三」", "¥15,000")
	m2 := avatarRE.FindStringSubmatch(list.Body)
	if m2 == nil || m2[1] == m[1] {
		t.Fatalf("avatar after edit %v, want a new one", m2)
	}
	if _, err := os.Stat(mediaFile(a, m[1])); !os.IsNotExist(err) {
		t.Fatalf("old avatar still there: %v", err)
	}

	confirm := c.Get("/employees/1/delete/")
	mustContain(t, "confirm page", confirm.Body, "确定要删除这位员工吗", "张三", `method="post"`)
	if e, err := a.employees.FindEmployee(t.Context(), 1); err != nil || e.Name != "张三" {
		t.Fatalf("GET delete removed the employee: %v", err)
	}
	res = c.Post("/employees/1/delete/", url.Values{"csrfmiddlewaretoken": {c.Token(confirm)}})
	if res.Status != 302 {
		t.Fatalf("delete: got %d, want 302", res.Status)
	}
	mustContain(t, "list after delete", c.Get("/employees/").Body, "已删除员工「张三」", "还没有员工")
	if _, err := os.Stat(mediaFile(a, m2[1])); !os.IsNotExist(err) {
		t.Fatalf("avatar kept after delete: %v", err)
	}
	if res := c.Get("/employees/1/edit/"); res.Status != 404 {
		t.Fatalf("edit deleted: got %d, want 404", res.Status)
	}
	if res := c.Get("/employees/99999999999999999999/edit/"); res.Status != 404 {
		t.Fatalf("edit huge id: got %d, want 404", res.Status)
	}
}

func TestEmployeeFormErrors(t *testing.T) {
	cfg := testConfig(t, "")
	cfg.MaxUpload = 4096
	a, log := openApp(t, cfg)
	srv := serve(t, a)
	c := loggedIn(t, srv.URL)
	tok := c.Token(c.Get("/employees/add/"))

	// A PNG header claiming 60000×60000 pixels: DecodeConfig reads only this.
	bomb := emstest.PNG(t, 1, 1)
	bomb[16], bomb[17], bomb[18], bomb[19] = 0, 0, 0xea, 0x60
	bomb[20], bomb[21], bomb[22], bomb[23] = 0, 0, 0xea, 0x60
	binary.BigEndian.PutUint32(bomb[29:33], crc32.ChecksumIEEE(bomb[12:29])) // IHDR's CRC

	tests := []struct {
		name   string
		fields map[string]string
		file   []byte
		status int
		want   string
	}{
		{"not an image", map[string]string{"name": "李四", "salary": "1", "age": "30"}, []byte("#!/bin/sh\necho pwned\n"), 200, "请上传 PNG、JPEG 或 GIF 图片"},
		{"html disguised", map[string]string{"name": "李四", "salary": "1", "age": "30"}, []byte("<html><script>alert(1)</script>"), 200, "请上传 PNG、JPEG 或 GIF 图片"},
		{"huge dimensions", map[string]string{"name": "李四", "salary": "1", "age": "30"}, bomb, 200, "图片尺寸须在 4096×4096 以内"},
		{"oversized", map[string]string{"name": "李四", "salary": "1", "age": "30"}, make([]byte, 5000), 413, "上传文件过大"},
		{"salary not a number", map[string]string{"name": "李四", "salary": "lots", "age": "30"}, nil, 200, "请输入整数：工资"},
		{"age out of range", map[string]string{"name": "李四", "salary": "1", "age": "7"}, nil, 200, "年龄须在 16 到 100 之间"},
		{"empty name", map[string]string{"name": "", "salary": "1", "age": "30"}, nil, 200, "请输入姓名"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fields["csrfmiddlewaretoken"] = tok
			res := c.Multipart("/employees/add/", tt.fields, tt.file)
			if res.Status != tt.status {
				t.Fatalf("got %d, want %d", res.Status, tt.status)
			}
			mustContain(t, "answer", res.Body, tt.want)
		})
	}
	if _, total, _ := a.employees.FindEmployees(t.Context(), ems.EmployeeFilter{}); total != 0 {
		t.Fatalf("got %d employees after only bad forms, want 0", total)
	}
	if entries, _ := os.ReadDir(mediaFile(a, "avatars")); len(entries) != 0 {
		t.Fatalf("rejected uploads left %d files in MEDIA_ROOT", len(entries))
	}
	mustContain(t, "log", log.String(), "413: request body over EMS_MAX_UPLOAD=4096 bytes")
}

func TestInjectionAndXSSStoredEscaped(t *testing.T) {
	a, _ := openApp(t, testConfig(t, ""))
	srv := serve(t, a)
	c := emstest.NewClient(t, srv.URL)
	xssName := `<script>alert("x")</script>`
	if res := c.Register("mallory", "secret1", xssName); res.Status != 302 {
		t.Fatalf("register: got %d, want 302", res.Status)
	}
	if res := c.Login("mallory", "secret1"); res.Status != 302 {
		t.Fatalf("login: got %d", res.Status)
	}
	payloads := []string{
		`<img src=x onerror=alert(1)>`,
		`'); DROP TABLE employees; --`,
		`" OR 1=1 --`,
		`{{.}} {% csrf_token %}`,
		`javascript:alert(1)`,
	}
	for _, p := range payloads {
		tok := c.Token(c.Get("/employees/add/"))
		if res := c.Multipart("/employees/add/", map[string]string{"csrfmiddlewaretoken": tok, "name": p, "salary": "1", "age": "30"}, nil); res.Status != 302 {
			t.Fatalf("add %q: got %d\n%s", p, res.Status, res.Body)
		}
	}
	list := c.Get("/employees/")
	for _, bad := range []string{"<script>alert", "<img src=x", `" OR 1=1`} {
		if strings.Contains(list.Body, bad) {
			t.Fatalf("list contains unescaped %q", bad)
		}
	}
	mustContain(t, "list", list.Body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;", "&lt;img src=x onerror=alert(1)&gt;",
		"&#39;); DROP TABLE employees; --", "{{.}} {% csrf_token %}", "共 5 名员工")
	list2, total, err := a.employees.FindEmployees(t.Context(), ems.EmployeeFilter{})
	if err != nil || total != 5 {
		t.Fatalf("table after injection attempts: %d rows, %v; want 5", total, err)
	}
	for i, e := range list2 {
		if e.Name != payloads[i] {
			t.Fatalf("stored %q, want it verbatim %q", e.Name, payloads[i])
		}
	}
	// A hostile sort or page parameter is ignored, not executed.
	for _, q := range []string{"?sort=name;DROP%20TABLE%20users", "?page=-1", "?page=abc", "?dir=%27"} {
		if res := c.Get("/employees/" + q); res.Status != 200 {
			t.Fatalf("GET /employees/%s: got %d, want 200", q, res.Status)
		}
	}
	if _, err := a.users.FindUserByUsername(t.Context(), "mallory"); err != nil {
		t.Fatalf("users table damaged: %v", err)
	}
}

func TestListPagingAndSorting(t *testing.T) {
	a, _ := openApp(t, testConfig(t, ""))
	srv := serve(t, a)
	c := loggedIn(t, srv.URL)
	names := []string{"赵", "钱", "孙", "李", "周", "吴", "郑", "王", "冯", "陈", "褚", "卫", "蒋", "沈", "韩", "杨", "朱", "秦", "尤", "许", "何", "吕", "施", "张", "孔"}
	for i, n := range names {
		if err := a.employees.CreateEmployee(t.Context(), &ems.Employee{Name: n + "某", Salary: int64(1000 + i), Age: 20 + i}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name, query string
		want        []string
		absent      []string
	}{
		{"first page", "", []string{"共 25 名员工", "第 1–10 名", "赵某", "陈某", `href="/employees/?page=2"`}, []string{"褚某"}},
		{"last page", "?page=3", []string{"第 21–25 名", "何某", "孔某", `<span class="current">3</span>`}, []string{"赵某"}},
		{"salary desc", "?sort=salary&dir=desc", []string{"孔某", "¥1,024", `href="/employees/?sort=salary"`, "▼"}, []string{"赵某"}},
		{"age asc", "?sort=age", []string{"赵某", `href="/employees/?dir=desc&amp;sort=age"`, "▲"}, []string{"孔某"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := c.Get("/employees/" + tt.query)
			if res.Status != 200 {
				t.Fatalf("got %d", res.Status)
			}
			mustContain(t, "list", res.Body, tt.want...)
			for _, s := range tt.absent {
				if strings.Contains(res.Body, s) {
					t.Fatalf("want no %q on this page", s)
				}
			}
		})
	}
	if res := c.Get("/employees/?page=9"); res.Status != 302 || res.Header.Get("Location") != "/employees/?page=3" {
		t.Fatalf("page past the end: got %d %q, want 302 to page 3", res.Status, res.Header.Get("Location"))
	}
}

func TestDatabaseStoppedMidSession(t *testing.T) {
	// With sessions in the database every page needs it; with sessions in
	// memory the login page and its captcha still work (as Django with cache
	// sessions), but anything that loads the user fails.
	for _, tc := range []struct {
		engine string
		paths  []string
	}{
		{SessionsDB, []string{"/employees/", "/login/", "/captcha.png"}},
		{SessionsMemory, []string{"/employees/", "/employees/add/"}},
	} {
		engine := tc.engine
		t.Run(engine, func(t *testing.T) {
			cfg := testConfig(t, "")
			cfg.Sessions = engine
			a, log := openApp(t, cfg)
			srv := serve(t, a)
			c := loggedIn(t, srv.URL)
			if err := a.employees.CreateEmployee(t.Context(), &ems.Employee{Name: "钱七", Salary: 1, Age: 30}); err != nil {
				t.Fatal(err)
			}
			if err := a.DB().Stop(); err != nil {
				t.Fatal(err)
			}
			for _, path := range tc.paths {
				res := c.Get(path)
				if res.Status != 500 {
					t.Fatalf("GET %s with the database stopped: got %d, want 500", path, res.Status)
				}
				mustContain(t, "500 page", res.Body, "服务器错误 Server Error (500)")
				if strings.Contains(res.Body, "sqlite") || strings.Contains(res.Body, "database") {
					t.Fatalf("500 page leaks internals:\n%s", res.Body)
				}
			}
			mustContain(t, "log", log.String(), "GET /employees/ → 500: ems: database service not started (unavailable) — 数据库服务未启动")
			if err := a.DB().Start(); err != nil {
				t.Fatal(err)
			}
			res := c.Get("/employees/")
			if res.Status != 200 {
				t.Fatalf("after Start: got %d, want 200 (still logged in)", res.Status)
			}
			mustContain(t, "list after recovery", res.Body, "钱七")
		})
	}
}

func TestRoutingErrors(t *testing.T) {
	a, _ := openApp(t, testConfig(t, ""))
	srv := serve(t, a)
	c := emstest.NewClient(t, srv.URL)
	tests := []struct {
		name, method, path string
		status             int
		location           string
	}{
		{"home redirects", "GET", "/", 302, "/employees/"},
		{"append slash", "GET", "/login", 301, "/login/"},
		{"append slash keeps query", "GET", "/employees?page=2", 301, "/employees/?page=2"},
		{"unknown", "GET", "/nope/", 404, ""},
		{"static is not served by the app", "GET", "/static/ems/css/style.css", 404, ""},
		{"id not int", "GET", "/employees/abc/edit/", 404, ""},
		{"wrong method", "POST", "/captcha.png", 405, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var res emstest.Result
			if tt.method == "POST" {
				res = c.Post(tt.path, url.Values{})
			} else {
				res = c.Get(tt.path)
			}
			if res.Status != tt.status || res.Header.Get("Location") != tt.location {
				t.Fatalf("got %d %q, want %d %q", res.Status, res.Header.Get("Location"), tt.status, tt.location)
			}
		})
	}
}

func TestCaptchaImage(t *testing.T) {
	cfg := testConfig(t, "")
	cfg.Captcha = "" // real random codes
	a, _ := openApp(t, cfg)
	srv := serve(t, a)
	c := emstest.NewClient(t, srv.URL)
	res := c.Get("/captcha.png")
	if res.Status != 200 || res.Header.Get("Content-Type") != "image/png" || res.Header.Get("Cache-Control") != "no-store, max-age=0" {
		t.Fatalf("got %d %q %q", res.Status, res.Header.Get("Content-Type"), res.Header.Get("Cache-Control"))
	}
	if !strings.HasPrefix(res.Body, "\x89PNG\r\n\x1a\n") {
		t.Fatalf("body is not a PNG")
	}
}

func TestLoginNext(t *testing.T) {
	a, _ := openApp(t, testConfig(t, ""))
	srv := serve(t, a)
	emstest.NewClient(t, srv.URL).Register("nina", "secret1", "妮娜")
	tests := []struct{ name, next, want string }{
		{"local path", "/employees/add/", "/employees/add/"},
		{"protocol-relative", "//evil.example/", "/employees/"},
		{"absolute", "http://evil.example/", "/employees/"},
		{"backslash trick", "/\\evil.example", "/employees/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := emstest.NewClient(t, srv.URL)
			q := "?next=" + url.QueryEscape(tt.next)
			page := c.Get("/login/" + q)
			if !strings.Contains(page.Body, `action="/login/?next=`) {
				t.Fatalf("form action lost next:\n%s", page.Body)
			}
			c.Get("/captcha.png")
			res := c.Post("/login/"+q, url.Values{"csrfmiddlewaretoken": {c.Token(page)}, "username": {"nina"}, "password": {"secret1"}, "captcha": {"1234"}})
			if res.Status != 302 || res.Header.Get("Location") != tt.want {
				t.Fatalf("got %d %q, want 302 %q", res.Status, res.Header.Get("Location"), tt.want)
			}
		})
	}
}

func TestQuoteKeepSlash(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/employees/", "/employees/"},
		{"/employees/?page=2&sort=name", "/employees/%3Fpage%3D2%26sort%3Dname"},
		{"/员工/ x", "/%E5%91%98%E5%B7%A5/%20x"},
		{"/a_b.c-d~", "/a_b.c-d~"},
	}
	for _, tt := range tests {
		if got := quoteKeepSlash(tt.in); got != tt.want {
			t.Errorf("quoteKeepSlash(%q) = %q, want %q (Python's quote(s, safe='/'))", tt.in, got, tt.want)
		}
	}
}

// TestFooterNamesTheInstance: the footer shows the EMS_INSTANCE label when the
// instance's config sets one (the course's "111" and "222"), else the app
// server's own name.
func TestFooterNamesTheInstance(t *testing.T) {
	tests := []struct{ label, server, want string }{
		{"111", "uwsgi-1", "served by <b>111</b> · worker 2"},
		{"", "uwsgi-1", "served by <b>uwsgi-1</b> · worker 2"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			cfg := testConfig(t, "")
			cfg.Instance = tt.label
			a, _ := openApp(t, cfg)
			srv := httptest.NewServer(wsgi.Handler(wsgi.AppFunc(func(env *wsgi.Environ, start wsgi.StartResponse) (wsgi.Body, error) {
				env.Server = wsgi.ServerInfo{Instance: tt.server, Worker: 2}
				return a.ServeWSGI(env, start)
			})))
			defer srv.Close()
			mustContain(t, "login page", emstest.NewClient(t, srv.URL).Get("/login/").Body, tt.want)
		})
	}
}

// TestListPageSize: ?per_page= takes one of the offered sizes (else 10), shows
// that many rows, and every sort and pager link keeps it.
func TestListPageSize(t *testing.T) {
	a, _ := openApp(t, testConfig(t, ""))
	for i := range 60 {
		if err := a.employees.CreateEmployee(context.Background(), &ems.Employee{Name: fmt.Sprintf("员工%02d", i), Salary: 5000, Age: 30}); err != nil {
			t.Fatal(err)
		}
	}
	c := emstest.NewClient(t, serve(t, a).URL)
	c.Register("sizer", "secret1", "分页")
	c.Login("sizer", "secret1")
	tests := []struct {
		query string
		rows  int
		link  string // a link the page must carry
	}{
		{"", 10, `href="/employees/?page=2"`},
		{"?per_page=50", 50, `href="/employees/?page=2&amp;per_page=50"`},
		{"?per_page=1000", 60, `href="/employees/?per_page=1000&amp;sort=name"`},
		{"?per_page=7", 10, `href="/employees/?per_page=50"`},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			body := c.Get("/employees/" + tt.query).Body
			if got := strings.Count(body, `<td class="name">`); got != tt.rows {
				t.Errorf("got %d rows, want %d", got, tt.rows)
			}
			mustContain(t, "list page", body, tt.link)
		})
	}
}
