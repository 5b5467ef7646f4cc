package uwsgi

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"webflow-lab/servers/wsgi"
)

// Sleep is the `sleep` built-in app (`wsgi-file = sleep`): every request
// takes d, then answers 200 "slept 50ms". With a known handler time the
// course's capacity formula can be checked against a measurement:
// processes × threads slots, each busy d per request, serve at most
// processes × threads ÷ d requests a second; more clients wait in the
// listen queue. It waits on the request's Context, so harakiri and
// shutdown end it like a real sleeping worker. Its Python twin is
// testdata/sleep.py.
func Sleep(d time.Duration) wsgi.App {
	body := []byte("slept " + strconv.FormatInt(d.Milliseconds(), 10) + "ms\n")
	return wsgi.AppFunc(func(env *wsgi.Environ, start wsgi.StartResponse) (wsgi.Body, error) {
		t := time.NewTimer(d)
		defer t.Stop()
		if env.Context != nil {
			select {
			case <-t.C:
			case <-env.Context.Done():
				return nil, env.Context.Err()
			}
		} else {
			<-t.C
		}
		if _, err := start("200 OK", []wsgi.Header{
			{Name: "Content-Type", Value: "text/plain"},
			{Name: "Content-Length", Value: strconv.Itoa(len(body))},
		}); err != nil {
			return nil, err
		}
		return wsgi.Chunks(body), nil
	})
}

// sleepFromEnv reads the handler time from the ini's `env = SLEEP_MS=50`
// (default 50 ms), as the Python twin reads os.environ.
func sleepFromEnv(env []string) (wsgi.App, error) {
	ms := 50
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.TrimSpace(k) == "SLEEP_MS" {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n < 0 || n > 3_600_000 {
				return nil, fmt.Errorf("sleep: SLEEP_MS=%s: want a whole number of milliseconds from 0 to 3600000", v)
			}
			ms = n
		}
	}
	return Sleep(time.Duration(ms) * time.Millisecond), nil
}
