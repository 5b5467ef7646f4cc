package traffic

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"webflow-lab/servers/explain"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		line string
		want Item
	}{
		{"browsers every", "3 browsers, journey login-list, every 2s",
			&Browse{Browsers: 3, Journey: Journey{Login, List}, Every: 2 * time.Second}},
		{"the issue's spelling, 2 s", "3 browsers, journey login-list, every 2 s",
			&Browse{Browsers: 3, Journey: Journey{Login, List}, Every: 2 * time.Second}},
		{"one browser, full journey", "1 browser, journey full",
			&Browse{Browsers: 1, Journey: Journey{Register, Login, List, Add, Edit, Delete, Logout}}},
		{"no spaces, upper case, for and times", "2 BROWSERS,Journey OPEN-list,every 500ms,for 1m,3 times",
			&Browse{Browsers: 2, Journey: Journey{Open, List}, Every: 500 * time.Millisecond, For: time.Minute, Times: 3}},
		{"requests from users", "100 GET /employees/ from 20 users",
			&Fetch{Count: 100, Method: "GET", Path: "/employees/", Users: 20}},
		{"requests with a pause", "10 head /static/a.css from 1 user, every 100ms",
			&Fetch{Count: 10, Method: "HEAD", Path: "/static/a.css", Users: 1, Every: 100 * time.Millisecond}},
		{"a comma inside a path", "5 GET /a,b from 2 users",
			&Fetch{Count: 5, Method: "GET", Path: "/a,b", Users: 2}},
		{"load with every flag", "load /employees/ -c 20 -d 10s --rate 200",
			&Load{Path: "/employees/", Connections: 20, Duration: 10 * time.Second, Rate: 200}},
		{"load with a method and a count", "LOAD post /api/ -n 1000 -rate 0.5",
			&Load{Method: "POST", Path: "/api/", Requests: 1000, Rate: 0.5}},
		{"load bare", "load /", &Load{Path: "/"}},
		{"comment after", "load / # the home page", &Load{Path: "/"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("t.traffic", "\n"+tt.line+"\n")
			if err != nil {
				t.Fatalf("got %v, want %+v", err, tt.want)
			}
			if len(s.Items) != 1 || !reflect.DeepEqual(s.Items[0], tt.want) || s.Lines[0] != 2 {
				t.Fatalf("got %#v at lines %v, want %#v at line 2", s.Items, s.Lines, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		line string
		want string // in the English block
	}{
		{"not a line", "hello", "a line starts with a count or with `load`"},
		{"zero browsers", "0 browsers, journey list", "want a whole number from 1 to"},
		{"negative", "-3 browsers, journey list", "want a whole number"},
		{"too many browsers", "300 browsers, journey list", "its own loopback address"},
		{"no journey", "3 browsers, every 2s", "no journey"},
		{"unknown step", "3 browsers, journey login-shop", `no step "shop"`},
		{"spaces in a journey", "3 browsers, journey login list", "joined by dashes"},
		{"missing comma", "3 browsers journey login", "separated by commas"},
		{"unknown clause", "3 browsers, journey list, often", `unknown clause "often"`},
		{"clause twice", "3 browsers, journey list, every 1s, every 2s", "`every` twice"},
		{"trailing comma", "3 browsers, journey list,", "an empty clause"},
		{"bad duration", "3 browsers, journey list, every soon", "a duration starts with a number"},
		{"duration without unit", "3 browsers, journey list, every 2", "not a duration"},
		{"every too short", "3 browsers, journey list, every 1ms", "want between 10ms"},
		{"negative duration", "3 browsers, journey list, every -2s", "starts with a number"},
		{"after the count", "3 cats", "`browsers` or an HTTP method"},
		{"request line without from", "100 GET /employees/ by 20 users", "count, method, path, `from`"},
		{"path without slash", "100 GET employees/ from 2 users", "a path starts with /"},
		{"path with a control byte", "100 GET /a\x01b from 2 users", "printable ASCII"},
		{"path ending in comma", "load /a,, -c 1", "a comma at the end of a path"},
		{"request line extra", "100 GET / from 2 users, slowly", "may end with `, every D`"},
		{"load no path", "load", "load needs the path"},
		{"load unknown flag", "load / -t 4", "load knows -c"},
		{"load flag twice", "load / -c 1 -c 2", "-c twice"},
		{"load no value", "load / -c", "without a value"},
		{"load both", "load / -n 5 -d 1s", "not both"},
		{"load bad rate", "load / --rate fast", "requests per second"},
		{"load NaN rate", "load / --rate NaN", "requests per second"},
		{"too long", strings.Repeat("x", 2000), "at most 1000 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("lesson.traffic", "# first line\n"+tt.line)
			var e *explain.Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v, want an *explain.Error", err)
			}
			en, zh := e.Block("en"), e.Block("zh")
			if !strings.Contains(en, tt.want) {
				t.Errorf("got\n%s\nwant it to contain %q", en, tt.want)
			}
			if e.Where != "lesson.traffic:2" || !strings.Contains(e.What.EN, "line 2") || !strings.Contains(e.What.ZH, "第 2 行") {
				t.Errorf("got where %q, what %q / %q; want lesson.traffic:2 and the line in both languages", e.Where, e.What.EN, e.What.ZH)
			}
			if e.Try.EN == "" || e.Try.ZH == "" || e.Why.ZH == "" || zh == en {
				t.Errorf("want why and try in both languages, got\n%s\n%s", en, zh)
			}
		})
	}
}

// TestTestdata: every seed file parses, and formats to a spec with the
// same items.
func TestTestdata(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.traffic")
	if len(files) == 0 {
		t.Fatal("no testdata/*.traffic")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s, err := Parse(f, string(b))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(s.Items) == 0 {
			t.Fatalf("%s: no items", f)
		}
		roundTrip(t, s)
	}
}

func roundTrip(t *testing.T, s Spec) {
	t.Helper()
	text := Format(s)
	again, err := Parse("formatted", text)
	if err != nil {
		t.Fatalf("Format gave text Parse refuses: %v\n%s", err, text)
	}
	if !reflect.DeepEqual(s.Items, again.Items) {
		t.Fatalf("round trip: got %#v, want %#v\ntext:\n%s", again.Items, s.Items, text)
	}
	if Format(again) != text {
		t.Fatalf("Format is not stable:\n%s\nthen\n%s", text, Format(again))
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.traffic")
	for _, file := range files {
		b, _ := os.ReadFile(file)
		f.Add(string(b))
		for _, line := range strings.Split(string(b), "\n") {
			f.Add(line)
		}
	}
	f.Add("3 browsers, journey login-list, every 2 s, for 1h0m0.5s, 2 times")
	f.Add("load GET /a,b -c 1 -n 1 --rate 1e-3")
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > 4096 {
			return
		}
		s, err := Parse("fuzz", text)
		if err != nil {
			var e *explain.Error
			if !errors.As(err, &e) || e.Where == "" || e.Try.EN == "" {
				t.Fatalf("error without where and try: %#v", err)
			}
			return
		}
		if len(s.Items) != len(s.Lines) {
			t.Fatalf("%d items, %d lines", len(s.Items), len(s.Lines))
		}
		roundTrip(t, s)
	})
}
