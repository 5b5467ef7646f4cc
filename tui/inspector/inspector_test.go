package inspector

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"webflow-lab/servers/trace"
	"webflow-lab/servers/uwsgiproto"
	"webflow-lab/tui/flow"
	"webflow-lab/tui/i18n"
	"webflow-lab/tui/internal/screentest"
	"webflow-lab/tui/theme"
)

// knownPacket is a login POST as nginx's uwsgi_params would send it, with
// its 23-byte body.
func knownPacket(t testing.TB) []byte {
	t.Helper()
	vs := uwsgiproto.Vars{
		{Key: "QUERY_STRING", Value: ""},
		{Key: "REQUEST_METHOD", Value: "POST"},
		{Key: "CONTENT_TYPE", Value: "application/x-www-form-urlencoded"},
		{Key: "CONTENT_LENGTH", Value: "23"},
		{Key: "REQUEST_URI", Value: "/login/"},
		{Key: "PATH_INFO", Value: "/login/"},
		{Key: "SERVER_PROTOCOL", Value: "HTTP/1.1"},
		{Key: "REMOTE_ADDR", Value: "127.0.0.1"},
		{Key: "HTTP_HOST", Value: "127.0.0.1:8080"},
		{Key: "HTTP_X_REQUEST_ID", Value: "7bc10b53e1f04a0f9d3c2b1a00000001"},
	}
	pkt, err := uwsgiproto.EncodePacket(0, 0, vs)
	if err != nil {
		t.Fatal(err)
	}
	return append(pkt, "username=alice&pw=secret"[:23]...)
}

func TestFields(t *testing.T) {
	pkt := knownPacket(t)
	fields := Fields(pkt)
	h := uwsgiproto.ParseHeader([4]byte(pkt[:4]))
	t.Run("header", func(t *testing.T) {
		f := fields[0]
		if f.Kind != "header" || f.Offset != 0 || f.Len != int(h.Size) {
			t.Fatalf("got %+v, want the header with datasize %d", f, h.Size)
		}
		want := fmt.Sprintf("modifier1=0 (WSGI)  datasize=%d (0x%04x, little-endian)  modifier2=0", h.Size, h.Size)
		if f.Text != want {
			t.Errorf("got %q, want %q", f.Text, want)
		}
	})
	t.Run("vars in wire order with their offsets", func(t *testing.T) {
		vs, _ := uwsgiproto.DecodeVars(pkt[4 : 4+h.Size])
		off := 4
		i := 1
		for n, v := range vs {
			k, val := fields[i], fields[i+1]
			if k.Kind != "key" || k.Text != v.Key || k.Offset != off || k.Len != len(v.Key) || k.Var != n {
				t.Errorf("var %d key: got %+v, want %q at %d", n, k, v.Key, off)
			}
			off += 2 + len(v.Key)
			if val.Kind != "value" || val.Text != v.Value || val.Offset != off || val.Len != len(v.Value) {
				t.Errorf("var %d value: got %+v, want %q at %d", n, val, v.Value, off)
			}
			if got := int(val.Bytes[0]) | int(val.Bytes[1])<<8; got != len(v.Value) {
				t.Errorf("var %d value length bytes say %d, want %d", n, got, len(v.Value))
			}
			off += 2 + len(v.Value)
			i += 2
		}
	})
	t.Run("body", func(t *testing.T) {
		f := fields[len(fields)-1]
		if f.Kind != "body" || f.Len != 23 || f.Offset != 4+int(h.Size) || f.Text != "CONTENT_LENGTH 23" {
			t.Errorf("got %+v, want a 23-byte body at %d", f, 4+h.Size)
		}
	})
	t.Run("broken block", func(t *testing.T) {
		bad := append([]byte(nil), pkt[:4+20]...)
		bad[1], bad[2] = 20, 0 // datasize 20 cuts REQUEST_METHOD's key short
		fs := Fields(bad)
		last := fs[len(fs)-1]
		if last.Kind != "bad" || !strings.Contains(last.Text, "invalid uwsgi request") {
			t.Errorf("got %+v, want uWSGI's complaint", last)
		}
	})
	t.Run("short", func(t *testing.T) {
		fs := Fields([]byte{0, 1})
		if len(fs) != 1 || fs[0].Kind != "bad" {
			t.Errorf("got %+v, want one bad field", fs)
		}
	})
}

// FuzzFields checks that any bytes split into fields that cover the packet
// in order, without gaps or overlaps, and never panic.
func FuzzFields(f *testing.F) {
	f.Add(knownPacket(f))
	f.Add([]byte{0, 3, 0, 0, 1, 0, 'a'})
	f.Fuzz(func(t *testing.T, pkt []byte) {
		if len(pkt) > 1<<16 {
			return
		}
		off := 0
		for _, fl := range Fields(pkt) {
			if fl.Kind == "bad" && len(fl.Bytes) == 0 {
				continue
			}
			if fl.Offset != off {
				t.Fatalf("field %+v starts at %d, want %d", fl.Kind, fl.Offset, off)
			}
			off += len(fl.Bytes)
		}
		if off != len(pkt) {
			t.Fatalf("fields cover %d bytes of %d", off, len(pkt))
		}
	})
}

func request(t testing.TB) *flow.Request {
	pkt := knownPacket(t)
	vs, _ := uwsgiproto.DecodeVars(pkt[4 : len(pkt)-23])
	var env strings.Builder
	for _, v := range vs {
		env.WriteString(v.Key + "=" + v.Value + "\n")
	}
	s := flow.NewStore(10)
	s.Now = func() time.Time { return time.Date(2026, 12, 7, 12, 1, 3, 0, time.UTC) }
	id := "7bc10b53e1f04a0f9d3c2b1a00000001"
	ms := time.Millisecond
	evs := []trace.Event{
		{ReqID: id, From: trace.Browser, To: trace.Proxy, Phase: trace.Arrived, At: 10 * ms, Bytes: 180,
			Why: "POST /login/ HTTP/1.1", PDU: &trace.PDU{Kind: trace.HTTPHead,
				Data: []byte("POST /login/ HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: curl/7.88.1\r\nContent-Length: 23\r\n\r\n")}},
		{ReqID: id, From: trace.Proxy, To: trace.Uwsgi, Instance: "uwsgi-1", Phase: trace.Arrived, At: 11 * ms,
			Bytes: len(pkt), Why: "worker 2 core 0 took it", PDU: &trace.PDU{Kind: trace.UwsgiPacket, Data: pkt}},
		{ReqID: id, From: trace.Uwsgi, To: trace.App, Instance: "uwsgi-1", Phase: trace.Sent, At: 11 * ms,
			Why: "app called", PDU: &trace.PDU{Kind: trace.Environ, Data: []byte(env.String())}},
		{ReqID: id, From: trace.App, To: trace.DB, Instance: "uwsgi-1", Phase: trace.Returned, At: 12 * ms,
			Why: "SELECT users (52µs)", PDU: &trace.PDU{Kind: trace.SQL,
				Data: []byte("SELECT id, password FROM users WHERE username = ?\n-- args: [\"alice\"]\n-- took: 52µs\n")}},
		{ReqID: id, From: trace.Uwsgi, To: trace.Proxy, Instance: "uwsgi-1", Phase: trace.Returned, At: 20 * ms,
			Status: 302, Why: "302 Found", PDU: &trace.PDU{Kind: trace.HTTPHead,
				Data: []byte("HTTP/1.1 302 Found\r\nLocation: /employees/\r\nSet-Cookie: sessionid=…\r\n\r\n")}},
	}
	for _, e := range evs {
		s.Add(e)
	}
	return s.Get(id)
}

func TestViewGolden(t *testing.T) {
	req := request(t)
	tabs := []struct {
		name string
		tab  Tab
	}{{"http", HTTP}, {"uwsgi", Uwsgi}, {"environ", Environ}, {"sql", SQL}}
	for _, tb := range tabs {
		for _, lang := range []i18n.Lang{i18n.EN, i18n.ZH} {
			for _, sz := range screentest.Sizes {
				t.Run(fmt.Sprintf("%s-%s-%dx%d", tb.name, lang, sz.W, sz.H), func(t *testing.T) {
					m := New(theme.New(theme.Options{}), lang)
					m.SetSize(sz.W, sz.H)
					m.SetRequest(req)
					m.SetTab(tb.tab)
					m.Select(4) // REQUEST_URI
					v := m.View()
					screentest.Fits(t, v, sz.W, sz.H)
					screentest.Check(t, v)
				})
			}
		}
	}
}

func TestASCII(t *testing.T) {
	m := New(theme.New(theme.Options{ASCII: true}), i18n.EN)
	m.SetSize(80, 24)
	m.SetRequest(request(t))
	m.SetTab(Uwsgi)
	th := theme.New(theme.Options{ASCII: true})
	for _, r := range screentest.Plain(th.Fold(m.View())) {
		if r >= 0x80 {
			t.Fatalf("ASCII mode drew %q", r)
		}
	}
}

// TestDumpShowsEveryByte reads the uwsgi tab back as a hex dump: at each
// width every byte of the packet is on screen at its offset, the header's
// notes are whole, and the selected var's cursor marks all its lines.
func TestDumpShowsEveryByte(t *testing.T) {
	pkt := knownPacket(t)
	for _, w := range []int{60, 78, 118, 158} {
		for _, lang := range []i18n.Lang{i18n.EN, i18n.ZH} {
			t.Run(fmt.Sprintf("%s-%d", lang, w), func(t *testing.T) {
				m := New(theme.New(theme.Options{}), lang)
				m.SetSize(w, 200)
				m.SetRequest(request(t))
				m.SetTab(Uwsgi)
				m.Select(4) // REQUEST_URI
				v := m.View()
				screentest.Fits(t, v, w, 200)
				got := map[int]byte{}
				marked := 0
				for _, l := range strings.Split(screentest.Plain(v), "\n")[1:] {
					if strings.HasPrefix(l, "▶ ") {
						marked++
					}
					l = strings.TrimPrefix(strings.TrimPrefix(l, "▶ "), "  ")
					var off int
					if _, err := fmt.Sscanf(l, "%04x", &off); err != nil || len(l) < 6 || l[4:6] != "  " {
						continue // a note's continuation
					}
					for _, p := range strings.Fields(strings.ReplaceAll(l[6:], "|", " ")) {
						var b byte
						if len(p) != 2 {
							break
						}
						if _, err := fmt.Sscanf(p, "%02x", &b); err != nil {
							break
						}
						got[off] = b
						off++
					}
				}
				for i, b := range pkt {
					if g, ok := got[i]; !ok || g != b {
						t.Fatalf("byte %#04x: the dump shows %02x (shown: %v), the packet has %02x:\n%s", i, g, ok, b, screentest.Plain(v))
					}
				}
				plain := strings.Join(strings.Fields(screentest.Plain(v)), " ")
				if !strings.Contains(plain, "little-endian)") || !strings.Contains(plain, "datasize=280") {
					t.Errorf("the header's note is cut:\n%s", screentest.Plain(v))
				}
				// REQUEST_URI: 2+11 bytes of key, 2+7 of value
				lim := map[int]int{60: 4, 78: 8, 118: 16, 158: 16}[w]
				if want := (13+lim-1)/lim + (9+lim-1)/lim; marked != want {
					t.Errorf("%d lines marked as the selected var, want %d (all its bytes)", marked, want)
				}
			})
		}
	}
}

// TestSQLWraps: the statement and its arguments are wrapped, never cut,
// under their query.
func TestSQLWraps(t *testing.T) {
	stmt := "SELECT e.id, e.name, e.email, e.department, e.salary, e.hired_at FROM employees AS e JOIN users AS u ON u.employee_id = e.id WHERE u.username = ? AND e.active = 1 ORDER BY e.name LIMIT 50"
	args := `["alice", 1, "some quite long argument value that will not fit on a line at eighty columns"]`
	why := "SELECT e.id, e.name, e.email FROM employees AS e ...: sql: no rows in result set, so the app answers 404 to this request"
	req := request(t)
	for i, st := range req.Steps {
		if st.PDU != nil && st.PDU.Kind == trace.SQL {
			req.Steps[i].PDU = &trace.PDU{Kind: trace.SQL, Data: []byte(stmt + "\n-- args: " + args + "\n-- took: 52µs\n")}
			req.Steps[i].Phase, req.Steps[i].Why = trace.Failed, why
		}
	}
	for _, w := range []int{78, 158} {
		for _, lang := range []i18n.Lang{i18n.EN, i18n.ZH} {
			t.Run(fmt.Sprintf("%s-%d", lang, w), func(t *testing.T) {
				m := New(theme.New(theme.Options{}), lang)
				m.SetSize(w, 22)
				m.SetRequest(req)
				m.SetTab(SQL)
				v := m.View()
				screentest.Fits(t, v, w, 22)
				plain := strings.Join(strings.Fields(screentest.Plain(v)), " ")
				for _, want := range []string{stmt, "-- args: " + args, "-- took: 52µs", why} {
					if !strings.Contains(plain, want) {
						t.Errorf("the SQL view cut %q:\n%s", want, screentest.Plain(v))
					}
				}
				for _, l := range strings.Split(screentest.Plain(v), "\n")[2:] {
					if l != "" && !strings.HasPrefix(l, "-- ") && !strings.HasPrefix(l, "SELECT") && !strings.HasPrefix(l, "    ") {
						t.Errorf("continuation line %q does not hang under its query", l)
					}
				}
			})
		}
	}
}
