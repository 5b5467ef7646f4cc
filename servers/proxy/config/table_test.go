package config

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestTableSupportedExist(t *testing.T) {
	for name := range supported {
		if Lookup(name).Class != Supported {
			t.Errorf("supported directive %q is not in nginx's table", name)
		}
	}
}

// TestTableNoOverlap: ngx_conf_handler takes the first definition whose
// contexts match, so two definitions of one name must not share a context.
func TestTableNoOverlap(t *testing.T) {
	for name, specs := range byName {
		var seen Context
		for _, s := range specs {
			if s.ctx&seen != 0 {
				t.Errorf("%q: definitions overlap in %v", name, s.ctx&seen)
			}
			seen |= s.ctx
		}
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		name  string
		class Class
		ctx   Context
		arity Arity
	}{
		{"listen", Supported, Server, OneOrMore},
		{"location", Supported, Server | Location, Block | Take12},
		{"server", Supported, HTTP | Upstream, Block | NoArgs},
		{"uwsgi_pass", Supported, Location | LocationIf, Take1},
		{"uwsgi_param", Supported, HTTP | Server | Location, Take23},
		{"uwsgi_ignore_client_abort", Supported, HTTP | Server | Location, Flag},
		{"try_files", Supported, Server | Location, TwoOrMore},
		{"alias", Supported, Location, Take1},
		{"ip_hash", Supported, Upstream, NoArgs},
		{"random", Supported, Upstream, NoArgs | Take12},
		{"include", Supported, AnyContext, Take1},
		{"worker_connections", Supported, Events, Take1},
		{"tcp_nopush", Ignored, HTTP | Server | Location, Flag},
		{"user", Ignored, Main, Take12},
		{"ssl_certificate", Ignored, HTTP | Server, Take1},
		{"gzip", Supported, HTTP | Server | Location | LocationIf, Flag},
		{"gzip_buffers", Ignored, HTTP | Server | Location, Take2},
		{"perl", Unknown, 0, 0},         // dynamic module, not loaded
		{"image_filter", Unknown, 0, 0}, // dynamic module, not loaded
		{"uwsgi_pass127.0.0.1", Unknown, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Lookup(tt.name)
			if got.Class != tt.class || got.Contexts != tt.ctx || got.Arity != tt.arity {
				t.Errorf("got class %d contexts %q arity %b, want class %d contexts %q arity %b",
					got.Class, got.Contexts, got.Arity, tt.class, tt.ctx, tt.arity)
			}
		})
	}
}

func TestArityAccepts(t *testing.T) {
	tests := []struct {
		a    Arity
		n    int
		want bool
	}{
		{NoArgs, 0, true}, {NoArgs, 1, false},
		{Take1, 1, true}, {Take1, 0, false}, {Take1, 2, false},
		{Take12, 2, true}, {Take12, 3, false},
		{Take23, 1, false}, {Take23, 3, true},
		{Flag, 1, true}, {Flag, 2, false},
		{OneOrMore, 0, false}, {OneOrMore, 9, true},
		{TwoOrMore, 1, false}, {TwoOrMore, 2, true},
		{AnyArgs, 0, true}, {AnyArgs, 20, true},
		{Take7, 7, true}, {Take1234 | Take5 | Take6 | Take7, 8, false},
	}
	for _, tt := range tests {
		if got := tt.a.accepts(tt.n); got != tt.want {
			t.Errorf("Arity(%b).accepts(%d): got %v, want %v", tt.a, tt.n, got, tt.want)
		}
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in     string
		want   int64
		offset bool // ParseOffset instead
		ok     bool
	}{
		{"0", 0, false, true}, {"1024", 1024, false, true}, {"10k", 10240, false, true},
		{"10K", 10240, false, true}, {"1m", 1 << 20, false, true}, {"2M", 2 << 20, false, true},
		{"1g", 0, false, false}, {"1g", 1 << 30, true, true},
		{"", 0, false, false}, {"k", 0, false, false}, {"10mb", 0, false, false}, {"-1", 0, false, false},
		{"1.5m", 0, false, false}, {" 1m", 0, false, false}, {"99999999999999999999", 0, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			f := ParseSize
			if tt.offset {
				f = ParseOffset
			}
			got, err := f(tt.in)
			if (err == nil) != tt.ok || got != tt.want {
				t.Errorf("got %d, %v; want %d, ok=%v", got, err, tt.want, tt.ok)
			}
		})
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		sec  bool
		ok   bool
	}{
		{"60s", time.Minute, false, true}, {"60", time.Minute, false, true},
		{"500ms", 500 * time.Millisecond, false, true}, {"1m30s", 90 * time.Second, false, true},
		{"1h 30m", 90 * time.Minute, false, true}, {"1d", 24 * time.Hour, false, true},
		{"1w2d", 9 * 24 * time.Hour, false, true}, {"1s500ms", 1500 * time.Millisecond, false, true},
		{"1m30", 90 * time.Second, false, true},
		{"30s1m", 0, false, false}, {"1h5d", 0, false, false}, {"1y", 0, false, false}, {"1M", 0, false, false},
		{"1ms1ms", 0, false, false}, {"", 0, false, false}, {"s", 0, false, false}, {"10 s", 0, false, false},
		{"1x", 0, false, false}, {"-1s", 0, false, false},
		{"1y", 365 * 24 * time.Hour, true, true}, {"1M", 30 * 24 * time.Hour, true, true},
		{"10s", 10 * time.Second, true, true}, {"500ms", 0, true, false},
		{"9227000000", time.Duration(math.MaxInt64), false, true}, // past a Duration: for ever
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			f := ParseTime
			if tt.sec {
				f = ParseSeconds
			}
			got, err := f(tt.in)
			if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
				t.Errorf("got %v, %v; want %v, ok=%v", got, err, tt.want, tt.ok)
			}
		})
	}
}

func TestDirectiveHelpers(t *testing.T) {
	cfg, err := Parse("t.conf", []byte("events { }\nhttp {\n  client_max_body_size 2m;\n  uwsgi_read_timeout 1m30s;\n  sendfile ON;\n}\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	http := First(cfg.Directives, "http")
	if n, err := http.Find("client_max_body_size").Size(0); err != nil || n != 2<<20 {
		t.Errorf("Size: got %d, %v; want 2097152", n, err)
	}
	if d, err := http.Find("uwsgi_read_timeout").Duration(0); err != nil || d != 90*time.Second {
		t.Errorf("Duration: got %v, %v; want 1m30s", d, err)
	}
	if !http.Find("sendfile").Flag() {
		t.Errorf("Flag: got off, want on")
	}
	if got := http.Find("sendfile").Where(); got != "t.conf:5" {
		t.Errorf("Where: got %q, want t.conf:5", got)
	}
	bad := &Directive{Name: "client_max_body_size", Args: []string{"1x"}, File: "t.conf", Line: 3, EndLine: 3}
	if _, err := bad.Size(0); err == nil || err.Error() != `"client_max_body_size" directive invalid value (t.conf:3): "client_max_body_size" takes a size: a number with an optional k or m (bytes ×1024, ×1024²)` {
		t.Errorf("Size error: got %v", err)
	}
}

func TestInetAton(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"127.0.0.1", true}, {"127.1", true}, {"2130706433", true}, {"127.0.1", true}, {"0177.0.0.1", true},
		{"127.0.0.18080", false}, {"127.0.", true}, {"1.2.3.4.5", false}, {"09.1.1.1", false}, {"256.1.1.1", false},
		{"localhost", true}, {"ems", true},
	}
	for _, tt := range tests {
		if got := inetAton(tt.in); got != tt.want {
			t.Errorf("inetAton(%q): got %v, want %v", tt.in, got, tt.want)
		}
	}
}

// FuzzValues: the value parsers never panic; what they accept is
// non-negative; a size is also an offset of the same value; a number is
// its own decimal form (leading zeros aside).
func FuzzValues(f *testing.F) {
	for _, s := range []string{"0", "10k", "1M", "1g", "60s", "1m30s", "500ms", "1y", "1w2d", "007",
		"99999999999999999999", "9223372036854775807k", "1h 30m", "", "-1", "1.5m"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if n, err := ParseSize(s); err == nil {
			if n < 0 {
				t.Fatalf("ParseSize(%q) = %d, want ≥ 0", s, n)
			}
			if m, err := ParseOffset(s); err != nil || m != n {
				t.Fatalf("ParseOffset(%q) = %d, %v; want %d as ParseSize", s, m, err, n)
			}
		}
		if n, err := ParseOffset(s); err == nil && n < 0 {
			t.Fatalf("ParseOffset(%q) = %d, want ≥ 0", s, n)
		}
		if d, err := ParseTime(s); err == nil && d < 0 {
			t.Fatalf("ParseTime(%q) = %v, want ≥ 0", s, d)
		}
		if d, err := ParseSeconds(s); err == nil && d < 0 {
			t.Fatalf("ParseSeconds(%q) = %v, want ≥ 0", s, d)
		}
		if n, err := ParseNumber(s); err == nil {
			want := strings.TrimLeft(s, "0")
			if want == "" {
				want = "0"
			}
			if got := strconv.FormatInt(n, 10); got != want {
				t.Fatalf("ParseNumber(%q) = %s, want %s", s, got, want)
			}
		}
	})
}
