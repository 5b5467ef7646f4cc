package proxy

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"webflow-lab/servers/testenv"
)

// The balancing interop tests run real nginx (one worker) and our proxy on the
// same upstream block, send both the same requests from the same loopback
// source addresses, and compare which backend answered each one: request for
// request for round robin, weight= and ip_hash, in distribution for
// least_conn under a slow backend. (servers/proxy/balance compares its model
// with nginx in far more cases; this checks the whole proxy uses it right.)

// letterBackends starts one HTTP backend per letter; each answers its letter,
// after delay[letter] if set. It returns the upstream block's server lines.
func letterBackends(t *testing.T, letters string, params map[byte]string, delay map[byte]time.Duration) string {
	t.Helper()
	var lines strings.Builder
	for i := 0; i < len(letters); i++ {
		l := letters[i]
		d := delay[l]
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if d > 0 {
				select { // a slow backend, not a sleeping test: the request waits here
				case <-time.After(d):
				case <-r.Context().Done():
				}
			}
			io.WriteString(w, string(l))
		}))
		t.Cleanup(srv.Close)
		fmt.Fprintf(&lines, "        server %s %s;\n", strings.TrimPrefix(srv.URL, "http://"), params[l])
	}
	return lines.String()
}

// balancingConf is the config both servers run, listening on port.
func balancingConf(method, servers, port string) string {
	return fmt.Sprintf(`events {}
http {
    access_log off;
    upstream up {
        %s
%s    }
    server {
        listen 127.0.0.1:%s;
        location / { proxy_pass http://up; }
    }
}
`, method, servers, port)
}

// from fetches url over a new connection whose source address is src.
func from(t *testing.T, src, url string) string {
	t.Helper()
	testenv.NeedSource(t, src)
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s from %s: %v", url, src, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s from %s: status %d %q", url, src, resp.StatusCode, b)
	}
	return string(b)
}

// startBoth starts nginx and our proxy on the same config and returns their URLs.
func startBoth(t *testing.T, method, servers string) (nginxURL, oursURL string) {
	t.Helper()
	np, op := freePort(t), freePort(t)
	startNginx(t, t.TempDir(), balancingConf(method, servers, np), "127.0.0.1:"+np)
	startOurs(t, t.TempDir(), balancingConf(method, servers, op))
	return "http://127.0.0.1:" + np + "/", "http://127.0.0.1:" + op + "/"
}

func TestInteropBalancingSequences(t *testing.T) {
	// Sources spread over several /24s: ip_hash keys on the first three octets.
	sources := []string{"127.0.0.1", "127.0.1.5", "127.1.2.3", "127.9.9.9", "127.200.1.1", "127.0.0.2",
		"127.33.7.1", "127.0.1.9", "127.5.5.5", "127.1.2.200", "127.77.0.1", "127.128.64.32"}
	tests := []struct {
		name    string
		method  string
		letters string
		params  map[byte]string
		want    string // when set, the sequence both must give (the reference's worked example)
	}{
		{name: "round robin", letters: "ABC"},
		{name: "weights 5,1,1", letters: "ABC", params: map[byte]string{'A': "weight=5"}, want: "AABACAAAABACAA"},
		{name: "weights 3,2,1", letters: "ABC", params: map[byte]string{'A': "weight=3", 'B': "weight=2"}},
		{name: "ip_hash", method: "ip_hash;", letters: "ABC"},
		{name: "ip_hash with a down peer", method: "ip_hash;", letters: "ABC", params: map[byte]string{'B': "down"}},
		{name: "ip_hash weighted", method: "ip_hash;", letters: "ABCD", params: map[byte]string{'C': "weight=3"}},
		{name: "hash on the uri", method: "hash $request_uri;", letters: "ABC"},
		{name: "least_conn idle", method: "least_conn;", letters: "ABC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			servers := letterBackends(t, tt.letters, tt.params, nil)
			nginxURL, oursURL := startBoth(t, tt.method, servers)
			var gotNginx, gotOurs strings.Builder
			for i := 0; i < 14; i++ {
				src := sources[i%len(sources)]
				path := fmt.Sprintf("r%d", i%5) // for hash $request_uri
				gotNginx.WriteString(from(t, src, nginxURL+path))
				gotOurs.WriteString(from(t, src, oursURL+path))
			}
			if gotOurs.String() != gotNginx.String() {
				t.Errorf("backends per request:\n  nginx: %s\n  ours:  %s", gotNginx.String(), gotOurs.String())
			}
			if tt.want != "" && gotNginx.String() != tt.want {
				t.Errorf("nginx gave %s, the reference says %s", gotNginx.String(), tt.want)
			}
		})
	}
}

// TestInteropLeastConnSlowBackend: with A answering slowly, least_conn sends
// A fewer of a concurrent burst, on nginx and on ours alike. Concurrency makes
// the exact sequence timing-dependent, so the distributions are compared.
func TestInteropLeastConnSlowBackend(t *testing.T) {
	servers := letterBackends(t, "ABC", nil, map[byte]time.Duration{'A': 300 * time.Millisecond})
	nginxURL, oursURL := startBoth(t, "least_conn;", servers)
	burst := func(url string) map[string]int {
		const clients, each = 6, 10
		counts := map[string]int{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		for c := 0; c < clients; c++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < each && ctx.Err() == nil; i++ {
					req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Errorf("GET %s: %v", url, err)
						return
					}
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					mu.Lock()
					counts[string(b)]++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		return counts
	}
	n, o := burst(nginxURL), burst(oursURL)
	t.Logf("least_conn with A slow: nginx %v, ours %v", n, o)
	for name, c := range map[string]map[string]int{"nginx": n, "ours": o} {
		if c["A"] >= c["B"] || c["A"] >= c["C"] {
			t.Errorf("%s sent the slow backend A %d requests, B %d and C %d: least_conn should avoid A", name, c["A"], c["B"], c["C"])
		}
	}
	// What least_conn decides is the slow backend's share; B and C, mostly
	// tied at 0 active, split the rest by timing, so only their sum is compared.
	if d := n["A"] - o["A"]; d > 6 || d < -6 {
		t.Errorf("slow backend A: nginx %d, ours %d requests of 60: differ by more than 6", n["A"], o["A"])
	}
	for name, c := range map[string]map[string]int{"nginx": n, "ours": o} {
		if c["B"] < 15 || c["C"] < 15 {
			t.Errorf("%s: B %d, C %d of 60: the fast backends should share the load", name, c["B"], c["C"])
		}
	}
}
