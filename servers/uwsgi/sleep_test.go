package uwsgi

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"webflow-lab/servers/wsgi"
)

// TestSleep: `wsgi-file = sleep` answers after SLEEP_MS of (fake) time,
// and gives up when the request's context ends first.
func TestSleep(t *testing.T) {
	tests := []struct {
		name    string
		env     []string
		cancel  time.Duration // cancel the request after this long; 0 = never
		want    time.Duration
		wantErr string
	}{
		{"default 50ms", nil, 0, 50 * time.Millisecond, ""},
		{"SLEEP_MS=200", []string{"EMS_X=1", "SLEEP_MS=200"}, 0, 200 * time.Millisecond, ""},
		{"harakiri ends it", []string{"SLEEP_MS=5000"}, time.Second, time.Second, "context canceled"},
		{"bad value", []string{"SLEEP_MS=fast"}, 0, 0, "want a whole number of milliseconds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				app, err := BuiltinLoader(AppRef{WSGIFile: "sleep.py", Env: tt.env})
				if err != nil {
					if tt.wantErr == "" || !strings.Contains(err.Error(), tt.wantErr) {
						t.Fatalf("loader: got %v, want %q", err, tt.wantErr)
					}
					return
				}
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				if tt.cancel > 0 {
					time.AfterFunc(tt.cancel, cancel)
				}
				start := time.Now()
				var status string
				body, err := app.ServeWSGI(&wsgi.Environ{Context: ctx}, func(s string, h []wsgi.Header) (wsgi.Write, error) {
					status = s
					return nil, nil
				})
				took := time.Since(start)
				if took != tt.want {
					t.Errorf("took %v, want %v", took, tt.want)
				}
				if tt.wantErr != "" {
					if err == nil || !errors.Is(err, context.Canceled) {
						t.Errorf("got %v, want %q", err, tt.wantErr)
					}
					return
				}
				var got []byte
				for chunk, err := range body {
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, chunk...)
				}
				want := "slept " + strings.TrimSuffix(tt.want.String(), "ms") + "ms\n"
				if status != "200 OK" || string(got) != want {
					t.Errorf("got %q %q, want 200 OK %q", status, got, want)
				}
			})
		})
	}
}
