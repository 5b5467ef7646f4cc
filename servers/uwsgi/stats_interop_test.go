package uwsgi

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"webflow-lab/servers/internal/realpeer"
	"webflow-lab/servers/testenv"
)

// statsSkeleton is a stats answer with the values that belong to one run
// (version, pid, uid, gid, cwd, socket names, times, counters) replaced,
// so two servers' answers compare byte for byte: keys, order, TAB layout,
// empty lists, and the HTTP head when there is one.
func statsSkeleton(raw []byte) string {
	s := regexp.MustCompile(`":"[^"]*"`).ReplaceAllString(string(raw), `":"S"`)
	s = regexp.MustCompile(`":-?[0-9]+`).ReplaceAllString(s, `":N`)
	return s
}

// statsAsk connects to a stats server, sends req (nothing when empty) and
// returns what came back until the server closed, or until wait passed.
func statsAsk(t *testing.T, addr, req string, wait time.Duration) (raw []byte, err error) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if req != "" {
		if _, err := io.WriteString(c, req); err != nil {
			t.Fatal(err)
		}
	}
	c.SetReadDeadline(time.Now().Add(wait))
	return io.ReadAll(c)
}

// TestInteropStats runs real uWSGI and ours with the same `stats` options
// and compares what each stats server sends: raw JSON with no HTTP header
// (whether or not the client sent a request first), and with stats-http an
// HTTP/1.0 head that comes only after the client has sent something. When
// curl is installed it checks what the README says of curl on both: plain
// curl refuses the raw answer, `curl --http0.9` prints it.
func TestInteropStats(t *testing.T) {
	hello, _ := filepath.Abs("testdata/hello.py")
	const get = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n"
	for _, statsHTTP := range []bool{false, true} {
		t.Run(fmt.Sprintf("stats-http=%v", statsHTTP), func(t *testing.T) {
			sock, stats := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t)), fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
			args := []string{"--plugins", "python3", "--socket", sock, "--wsgi-file", hello, "--stats", stats}
			if statsHTTP {
				args = append(args, "--stats-http")
			}
			realpeer.UWSGI(t, t.TempDir(), stats, args...)
			ours, _ := startServer(t, Config{Sockets: []string{"127.0.0.1:0"}, Stats: "127.0.0.1:0", StatsHTTP: statsHTTP, WSGIFile: "hello"}, Options{})
			addrs := map[string]string{"uWSGI": stats, "ours": addrOf(t, ours, "stats")}

			for _, req := range []string{"", get} {
				if statsHTTP && req == "" {
					continue // checked below: no answer at all
				}
				answers := map[string]string{}
				for who, addr := range addrs {
					raw, err := statsAsk(t, addr, req, 10*time.Second)
					// Without stats-http neither server reads the request, so
					// closing with it unread may reset the connection after
					// the JSON (curl does not mind).
					if err != nil && !(req != "" && !statsHTTP && errors.Is(err, syscall.ECONNRESET)) {
						t.Fatalf("%s, request %q: %v after %q", who, req, err, raw)
					}
					answers[who] = statsSkeleton(raw)
				}
				if answers["ours"] != answers["uWSGI"] {
					t.Errorf("request %q:\nours:\n%s\nuWSGI:\n%s", req, answers["ours"], answers["uWSGI"])
				}
				head, _, _ := strings.Cut(answers["uWSGI"], "{")
				if want := map[bool]string{false: "", true: statsHTTPHead}[statsHTTP]; head != want {
					t.Errorf("uWSGI's answer starts %q, want %q (the reference notes are wrong)", head, want)
				}
			}
			if statsHTTP {
				// Nothing sent, nothing answered: both wait for a request.
				for who, addr := range addrs {
					raw, err := statsAsk(t, addr, "", 500*time.Millisecond)
					var ne net.Error
					if len(raw) != 0 || !errors.As(err, &ne) || !ne.Timeout() {
						t.Errorf("%s, nothing sent: got %q, %v; want no answer (a read timeout)", who, raw, err)
					}
				}
			}

			curl, err := exec.LookPath("curl")
			if err != nil {
				t.Logf("curl not in PATH (%v): the README's command is not checked", err)
				return
			}
			for who, addr := range addrs {
				plain := exec.Command(curl, "-sS", "http://"+addr+"/")
				out, err := plain.CombinedOutput()
				if statsHTTP && err != nil {
					t.Errorf("%s: curl with stats-http: %v\n%s", who, err, out)
				}
				if !statsHTTP && (err == nil || !strings.Contains(string(out), "HTTP/0.9")) {
					t.Errorf("%s: plain curl on raw stats: got %v %q, want curl's refusal of HTTP/0.9", who, err, out)
				}
				// --http0.9 takes the raw answer. curl has sent a request
				// that neither server reads, so the close after the JSON may
				// come as a reset: curl prints the JSON, then may say
				// "(56) Recv failure: Connection reset by peer".
				out, err = exec.Command(curl, "-s", "--http0.9", "http://"+addr+"/").Output()
				var ee *exec.ExitError
				if err != nil && !(!statsHTTP && errors.As(err, &ee) && ee.ExitCode() == 56) || !strings.HasPrefix(string(out), "{\n\t\"version\":") {
					t.Errorf("%s: curl --http0.9: got %v %.40q, want the JSON", who, err, out)
				}
			}
		})
	}
}
