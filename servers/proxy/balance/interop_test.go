package balance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"webflow-lab/servers/proxy/config"
	"webflow-lab/servers/testenv"
)

// The interop tests run real nginx with the same upstream block and compare
// which backend answered each request with what this package picks, the
// attempts replayed the way nginx's upstream module makes them.

// backend is one server line of an interop upstream.
type backend struct {
	letter string
	params string // server parameters: "weight=5 backup"
	dead   bool   // a port nobody listens on: connect() is refused
	addr   string
}

// startBackends starts an HTTP server answering its letter for each live
// backend, and finds a refused port for each dead one.
func startBackends(t *testing.T, bs []backend) {
	t.Helper()
	for i := range bs {
		if bs[i].dead {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			bs[i].addr = ln.Addr().String()
			ln.Close()
			continue
		}
		letter := bs[i].letter
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, letter)
		}))
		t.Cleanup(s.Close)
		bs[i].addr = strings.TrimPrefix(s.URL, "http://")
	}
}

// startNginx runs nginx with one worker in front of the upstream and
// returns the address it listens on.
func startNginx(t *testing.T, method string, bs []backend, listenHost string) string {
	return startNginxOrder(t, method, bs, listenHost, false)
}

// startNginxOrder can put the balancing directive after the server lines,
// where nginx no longer checks `backup` against it.
func startNginxOrder(t *testing.T, method string, bs []backend, listenHost string, methodLast bool) string {
	t.Helper()
	bin := testenv.Need(t, "nginx")
	dir := t.TempDir()
	ln, err := net.Listen("tcp", net.JoinHostPort(listenHost, "0"))
	if err != nil {
		t.Skipf("cannot listen on %s: %v", listenHost, err)
	}
	listen := ln.Addr().String()
	ln.Close()

	var servers strings.Builder
	for _, b := range bs {
		fmt.Fprintf(&servers, "        server %s %s;\n", b.addr, b.params)
	}
	if method != "" {
		method += ";"
	}
	before, after := method, ""
	if methodLast {
		before, after = "", method
	}
	conf := fmt.Sprintf(`error_log %[1]s/error.log notice;
events { worker_connections 64; }
http {
    access_log %[1]s/access.log;
    client_body_temp_path %[1]s/client;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    upstream u {
        %[2]s
%[3]s        %[5]s
    }
    server {
        listen %[4]s;
        location / { proxy_pass http://u; }
    }
}
`, dir, before, servers.String(), listen, after)
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-p", dir, "-c", confPath, "-g",
		"daemon off; master_process on; worker_processes 1; pid "+dir+"/nginx.pid;")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start nginx: %v", err)
	}
	// exited is closed when nginx has exited and waitErr is set.
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", listen, time.Second)
		if err == nil {
			c.Close()
			return listen
		}
		select {
		case <-exited:
			t.Fatalf("nginx exited: %v\n%s", waitErr, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx did not listen on %s: %v\n%s", listen, err, stderr.String())
		}
	}
}

// fetch makes one request through nginx from the given source address on a
// fresh connection and returns the body ("502" for a 502).
func fetch(t *testing.T, listen string, from netip.Addr, uri string) string {
	t.Helper()
	if from.IsValid() {
		testenv.NeedSource(t, from.String())
	}
	body, err := fetchErr(listen, from, uri)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func fetchErr(listen string, from netip.Addr, uri string) (string, error) {
	d := &net.Dialer{Timeout: 5 * time.Second}
	if from.IsValid() {
		d.LocalAddr = &net.TCPAddr{IP: from.AsSlice()}
	}
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, listen)
		},
	}}
	resp, err := c.Get("http://lab" + uri)
	if err != nil {
		return "", fmt.Errorf("GET %s from %v: %w", uri, from, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", fmt.Errorf("GET %s from %v: %w", uri, from, err)
	}
	if resp.StatusCode != 200 {
		return fmt.Sprint(resp.StatusCode), nil
	}
	return string(body), nil
}

// model builds our Upstream from the same server lines.
func model(t *testing.T, method Balancer, bs []backend, opts ...Option) (*Upstream, map[string]backend) {
	t.Helper()
	var ps []*Peer
	byAddr := map[string]backend{}
	for _, b := range bs {
		c, err := config.ParseServer(strings.Fields(b.addr+" "+b.params), true)
		if err != nil {
			t.Fatal(err)
		}
		p := NewPeer(c.Addr)
		p.Weight, p.MaxFails, p.FailTimeout, p.MaxConns, p.Backup, p.Down = c.Weight, c.MaxFails, c.FailTimeout, c.MaxConns, c.Backup, c.Down
		ps = append(ps, p)
		byAddr[b.addr] = b
	}
	u, err := NewUpstream("u", ps, method, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return u, byAddr
}

// replay makes the attempts nginx makes for one request with
// `proxy_next_upstream error timeout`: a refused peer is a failure and the
// request moves on while tries are left.
func replay(t *testing.T, u *Upstream, byAddr map[string]backend, from netip.Addr, key string) string {
	t.Helper()
	tried, _, err := u.Attempts(from, key, func(p *Peer) bool { return byAddr[p.Addr].dead })
	if err != nil && !errors.Is(err, ErrNoLive) {
		t.Fatal(err)
	}
	if len(tried) == 0 || byAddr[tried[len(tried)-1].Addr].dead {
		return "502"
	}
	return byAddr[tried[len(tried)-1].Addr].letter
}

func TestInteropNginx(t *testing.T) {
	addrs := func(ss ...string) []netip.Addr {
		var out []netip.Addr
		for _, s := range ss {
			out = append(out, netip.MustParseAddr(s))
		}
		return out
	}
	manyClients := addrs("127.0.0.1", "127.0.0.2", "127.0.1.5", "127.0.2.9", "127.1.2.3",
		"127.200.100.50", "127.9.9.9", "127.44.0.1", "127.0.7.7", "127.128.0.1", "127.3.0.0", "127.250.1.1")
	edge := ipHashEdgeClients(t)
	var uris []string
	for i := range 24 {
		uris = append(uris, fmt.Sprintf("/emp/%d?page=%d", i*7, i%3))
	}
	tests := []struct {
		name      string
		directive string
		method    Balancer
		backends  []backend
		last      bool         // the directive after the server lines
		requests  int          // sequential requests from 127.0.0.1 to "/"
		clients   []netip.Addr // or: one request per client
		uris      []string     // or: one request per URI
	}{
		{name: "round robin 5,1,1", backends: []backend{{letter: "A", params: "weight=5"}, {letter: "B"}, {letter: "C"}}, requests: 14},
		{name: "round robin 3,2,1", backends: []backend{{letter: "A", params: "weight=3"}, {letter: "B", params: "weight=2"}, {letter: "C"}}, requests: 12},
		{name: "round robin with a refused peer", backends: []backend{{letter: "A", dead: true}, {letter: "B", params: "weight=2"}, {letter: "C"}}, requests: 10},
		{name: "refused peer max_fails=3 weight=3", backends: []backend{{letter: "A", params: "weight=3 max_fails=3", dead: true}, {letter: "B"}, {letter: "C"}}, requests: 12},
		{name: "down and backup", backends: []backend{{letter: "A", params: "down"}, {letter: "B", dead: true}, {letter: "C", params: "backup"}, {letter: "D", params: "backup weight=2"}}, requests: 6},
		{name: "ip_hash", directive: "ip_hash", method: IPHash{}, backends: []backend{{letter: "A"}, {letter: "B"}, {letter: "C"}}, clients: manyClients},
		{name: "ip_hash weighted with down", directive: "ip_hash", method: IPHash{}, backends: []backend{{letter: "A", params: "weight=2"}, {letter: "B", params: "down"}, {letter: "C"}, {letter: "D", params: "weight=3"}}, clients: manyClients},
		{name: "ip_hash with a refused peer", directive: "ip_hash", method: IPHash{}, backends: []backend{{letter: "A"}, {letter: "B", dead: true}, {letter: "C"}}, clients: manyClients},
		{name: "least_conn idle 5,1,1", directive: "least_conn", method: LeastConn{}, backends: []backend{{letter: "A", params: "weight=5"}, {letter: "B"}, {letter: "C"}}, requests: 14},
		{name: "least_conn with a refused peer", directive: "least_conn", method: LeastConn{}, backends: []backend{{letter: "A", dead: true}, {letter: "B"}, {letter: "C", params: "backup"}}, requests: 5},
		{name: "hash request_uri", directive: "hash $request_uri", method: Hash{Key: "$request_uri"}, backends: []backend{{letter: "A", params: "weight=2"}, {letter: "B"}, {letter: "C", params: "down"}, {letter: "D"}}, uris: uris},
		{name: "hash request_uri consistent", directive: "hash $request_uri consistent", method: Hash{Key: "$request_uri", Consistent: true}, backends: []backend{{letter: "A"}, {letter: "B", params: "weight=2"}, {letter: "C"}}, uris: uris},
		// Clients whose first 20 candidates land on the down peer: nginx
		// looks at a 21st (++tries > 20) before falling back to round robin.
		{name: "ip_hash 21st candidate and fallback", directive: "ip_hash", method: IPHash{}, backends: []backend{{letter: "A", params: "weight=20 down"}, {letter: "B"}, {letter: "C"}}, clients: edge},
		{name: "hash with an empty key is round robin", directive: "hash $arg_id", method: Hash{Key: "$arg_id"}, backends: []backend{{letter: "A", params: "weight=5"}, {letter: "B"}, {letter: "C"}}, requests: 7},
		{name: "ip_hash after servers keeps backup", directive: "ip_hash", method: IPHash{}, last: true, backends: []backend{{letter: "A", dead: true}, {letter: "B", dead: true}, {letter: "C", params: "backup"}, {letter: "D", params: "backup"}}, clients: manyClients[:6]},
		{name: "hash consistent with a refused peer", directive: "hash $request_uri consistent", method: Hash{Key: "$request_uri", Consistent: true}, backends: []backend{{letter: "A", dead: true}, {letter: "B"}, {letter: "C", params: "down"}, {letter: "D"}}, uris: uris},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			startBackends(t, tt.backends)
			listen := startNginxOrder(t, tt.directive, tt.backends, "127.0.0.1", tt.last)
			var opts []Option
			if tt.last {
				opts = append(opts, MethodAfterServers())
			}
			u, byAddr := model(t, tt.method, tt.backends, opts...)
			var got, want []string
			switch {
			case tt.clients != nil:
				for _, c := range tt.clients {
					got = append(got, fetch(t, listen, c, "/"))
					want = append(want, replay(t, u, byAddr, c, ""))
				}
			case tt.uris != nil:
				for _, uri := range tt.uris {
					got = append(got, fetch(t, listen, lo, uri))
					want = append(want, replay(t, u, byAddr, lo, uri))
				}
			default:
				for range tt.requests {
					got = append(got, fetch(t, listen, lo, "/"))
					want = append(want, replay(t, u, byAddr, lo, ""))
				}
			}
			t.Logf("nginx: %v", got)
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("nginx answered %v\nwe picked     %v", got, want)
			}
		})
	}
}

// TestInteropNginxIPv6 checks ip_hash over all 16 bytes of an IPv6 client.
func TestInteropNginxIPv6(t *testing.T) {
	bs := []backend{{letter: "A"}, {letter: "B"}, {letter: "C"}, {letter: "D"}, {letter: "E"}}
	startBackends(t, bs)
	listen := startNginx(t, "ip_hash", bs, "::1")
	u, byAddr := model(t, IPHash{}, bs)
	client := netip.MustParseAddr("::1")
	got := fetch(t, listen, client, "/")
	want := replay(t, u, byAddr, client, "")
	if got != want {
		t.Errorf("nginx answered %s, we picked %s", got, want)
	}
}

// TestInteropNginxHeld holds connections open on the backends and checks
// that nginx and we agree while they are held (least_conn's counts,
// max_conns), and after they are released.
func TestInteropNginxHeld(t *testing.T) {
	tests := []struct {
		name      string
		directive string
		method    Balancer
		backends  []backend
		held      int
	}{
		{"least_conn", "least_conn", LeastConn{}, []backend{{letter: "A", params: "weight=2"}, {letter: "B"}, {letter: "C"}}, 6},
		{"round robin with max_conns", "", RoundRobin{}, []backend{{letter: "A", params: "weight=3 max_conns=1"}, {letter: "B", params: "max_conns=2"}, {letter: "C"}}, 6},
		{"least_conn with max_conns and backup", "least_conn", LeastConn{}, []backend{{letter: "A", params: "max_conns=1"}, {letter: "B", params: "max_conns=1"}, {letter: "C", params: "backup"}}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { testHeld(t, tt.directive, tt.method, tt.backends, tt.held) })
	}
}

func testHeld(t *testing.T, directive string, method Balancer, bs []backend, held int) {
	testenv.Need(t, "nginx")
	arrived := make(chan string, 16)
	release := make(chan struct{})
	for i := range bs {
		letter := bs[i].letter
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/hold" {
				arrived <- letter
				select {
				case <-release:
				case <-r.Context().Done():
				}
			}
			io.WriteString(w, letter)
		}))
		t.Cleanup(s.Close)
		bs[i].addr = strings.TrimPrefix(s.URL, "http://")
	}
	released := false
	t.Cleanup(func() {
		if !released {
			close(release)
		}
	})
	listen := startNginx(t, directive, bs, "127.0.0.1")
	u, byAddr := model(t, method, bs)

	// Held requests, each sent once the one before has reached its backend.
	done := make(chan error, held)
	var got, want []string
	var open []*Request
	var openPeers []*Peer
	for range held {
		go func() { _, err := fetchErr(listen, lo, "/hold"); done <- err }()
		select {
		case l := <-arrived:
			got = append(got, l)
		case <-time.After(10 * time.Second):
			t.Fatal("held request never reached a backend")
		}
		r := u.NewRequest(lo, "")
		p, _, err := u.Get(r)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, byAddr[p.Addr].letter)
		open, openPeers = append(open, r), append(openPeers, p)
	}
	close(release)
	released = true
	for range held {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
	for i, r := range open {
		u.Free(r, openPeers[i], false)
	}
	// Idle again: the weights go on from where the held ones left them.
	for range 6 {
		got = append(got, fetch(t, listen, lo, "/"))
		want = append(want, replay(t, u, byAddr, lo, ""))
	}
	t.Logf("nginx: %v", got)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("nginx answered %v\nwe picked     %v", got, want)
	}
}

// ipHashEdgeClients finds loopback clients for the ip_hash try limit with
// peers of weights 20 (down), 1, 1: two whose 21st candidate is the third
// peer after 20 on the first, and two whose first 21 are all on the first
// (round robin then decides).
func ipHashEdgeClients(t *testing.T) []netip.Addr {
	t.Helper()
	var at21, fallback []netip.Addr
	for a := 0; a < 256 && (len(at21) < 2 || len(fallback) < 2); a++ {
		for b := 0; b < 256; b++ {
			var c [16]byte
			c[0], c[1], c[2] = 127, byte(a), byte(b)
			hash := uint32(89)
			first := 0 // how many leading candidates were the down peer
			next := -1 // the candidate after them
			for range 22 {
				for _, x := range c[:3] {
					hash = (hash*113 + uint32(x)) % 6271
				}
				w := int(hash % 22)
				if w < 20 {
					first++
					continue
				}
				next = w - 19 // 1 or 2: the second or third peer
				break
			}
			addr := netip.AddrFrom4([4]byte{127, byte(a), byte(b), 1})
			switch {
			case first == 20 && next == 2 && len(at21) < 2:
				at21 = append(at21, addr)
			case first >= 21 && len(fallback) < 2:
				fallback = append(fallback, addr)
			}
		}
	}
	if len(at21) < 2 || len(fallback) < 2 {
		t.Fatalf("no edge clients found: %v %v", at21, fallback)
	}
	return append(at21, fallback...)
}
