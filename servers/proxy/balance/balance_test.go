package balance

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"webflow-lab/servers/explain"
	"webflow-lab/servers/testenv/golden"
)

func TestByDirective(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want Balancer
		line string
	}{
		{"", nil, RoundRobin{}, ""},
		{"least_conn", nil, LeastConn{}, "least_conn;"},
		{"ip_hash", nil, IPHash{}, "ip_hash;"},
		{"hash", []string{"$request_uri"}, Hash{Key: "$request_uri"}, "hash $request_uri;"},
		{"hash", []string{"$remote_addr$uri", "consistent"}, Hash{Key: "$remote_addr$uri", Consistent: true}, "hash $remote_addr$uri consistent;"},
		{"random", nil, Random{}, "random;"},
		{"random", []string{"two"}, Random{Two: true}, "random two least_conn;"},
		{"random", []string{"two", "least_conn"}, Random{Two: true}, "random two least_conn;"},
	}
	for _, tt := range tests {
		t.Run(strings.TrimSpace(tt.name+" "+strings.Join(tt.args, " ")), func(t *testing.T) {
			got, err := ByDirective(tt.name, tt.args, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
			if line := Directive(got); line != tt.line {
				t.Errorf("Directive got %q, want %q", line, tt.line)
			}
		})
	}
}

// errorCases are the learner-facing errors of this package; each has a
// golden file with the English and Chinese blocks.
var errorCases = []struct {
	name string
	err  func() error
}{
	{"ip_hash_with_argument", func() error { _, err := ByDirective("ip_hash", []string{"on"}, nil); return err }},
	{"least_conn_with_argument", func() error { _, err := ByDirective("least_conn", []string{"x"}, nil); return err }},
	{"hash_without_key", func() error { _, err := ByDirective("hash", nil, nil); return err }},
	{"hash_misspelled_consistent", func() error {
		_, err := ByDirective("hash", []string{"$request_uri", "consistant"}, nil)
		return err
	}},
	{"random_three", func() error { _, err := ByDirective("random", []string{"three"}, nil); return err }},
	{"random_two_round_robin", func() error { _, err := ByDirective("random", []string{"two", "round_robin"}, nil); return err }},
	{"random_too_many", func() error { _, err := ByDirective("random", []string{"two", "least_conn", "x"}, nil); return err }},
	{"unknown_method", func() error { _, err := ByDirective("least_connection", nil, nil); return err }},
	{"backup_with_ip_hash", func() error { _, err := NewUpstream("ems", peers("A", "B backup"), IPHash{}); return err }},
	{"backup_with_hash", func() error { _, err := NewUpstream("ems", peers("A", "B backup"), Hash{Key: "$uri"}); return err }},
	{"no_servers", func() error { _, err := NewUpstream("ems", peers("A backup"), nil); return err }},
	{"negative_weight", func() error {
		ps := peers("A", "B")
		ps[1].Weight = -1
		_, err := NewUpstream("ems", ps, nil)
		return err
	}},
}

func TestErrorsGolden(t *testing.T) {
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.err()
			var e *explain.Error
			if !errors.As(err, &e) {
				t.Fatalf("got %T %v, want *explain.Error", err, err)
			}
			got := e.Block("en") + "\n---\n" + e.Block("zh") + "\n"
			golden.Check(t, filepath.Join("testdata", "errors", tc.name+".golden"), got)
		})
	}
}

func TestErrorCauses(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"directive", func() error { _, err := ByDirective("hash", nil, nil); return err }(), ErrDirective},
		{"backup", func() error { _, err := NewUpstream("x", peers("A", "B backup"), Random{}); return err }(), ErrBackupNotSupported},
		{"no servers", func() error { _, err := NewUpstream("x", nil, nil); return err }(), ErrNoServers},
		{"nil peer", func() error { _, err := NewUpstream("x", []*Peer{nil}, nil); return err }(), ErrInvalidPeer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !errors.Is(tt.err, tt.want) {
				t.Errorf("got %v, want errors.Is %v", tt.err, tt.want)
			}
		})
	}
}

// TestMethodAfterServers: with the method after the server lines nginx
// never checks backup, and the backups serve through the RR fallback.
func TestMethodAfterServers(t *testing.T) {
	u, err := NewUpstream("ems", peers("A down", "B down", "C backup"), IPHash{}, MethodAfterServers())
	if err != nil {
		t.Fatalf("got %v, want accepted", err)
	}
	if got := once(t, u, lo, ""); got != "C" {
		t.Errorf("got %s, want backup C", got)
	}
}

func TestReasonChinese(t *testing.T) {
	c := newClock()
	u := mustUpstream(t, nil, c, peers("A w=5", "B", "C backup"))
	r := u.NewRequest(lo, "")
	p, _, _ := u.Get(r)
	u.Free(r, p, true)
	p, _, _ = u.Get(r)
	u.Free(r, p, true)
	u.Get(r)
	got := r.Reason().Chinese()
	want := "跳过节点 1：本请求已试过；跳过节点 2：本请求已试过；没有可用的主节点 → 改试备用节点 (backup)；轮询：权重 1，当前权重 1 → 备用节点 1"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if en := r.Reason().Text().EN; !strings.HasSuffix(en, "→ backup 1") {
		t.Errorf("English got %q", en)
	}
}

func TestPointerMethods(t *testing.T) {
	tests := []struct {
		m    Balancer
		want Balancer
	}{
		{&Hash{Key: "$uri", Consistent: true}, Hash{Key: "$uri", Consistent: true}},
		{&IPHash{}, IPHash{}},
		{&LeastConn{}, LeastConn{}},
		{&Random{Two: true}, Random{Two: true}},
		{(*Hash)(nil), RoundRobin{}},
		{nil, RoundRobin{}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%T", tt.m), func(t *testing.T) {
			u := mustUpstream(t, tt.m, newClock(), peers("A", "B"))
			if u.Method() != tt.want {
				t.Errorf("got %#v, want %#v", u.Method(), tt.want)
			}
			if got := once(t, u, lo, "/k"); got == "-" {
				t.Errorf("no peer picked")
			}
		})
	}
}
