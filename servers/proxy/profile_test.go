package proxy

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"
)

// TestProfileServe runs the proxy on $PROXY_PROFILE_CONF for
// $PROXY_PROFILE_SECONDS so a load generator (wrk) can drive it under
// `go test -cpuprofile`/`-memprofile`. Skipped unless the variable is set.
//
//	PROXY_PROFILE_CONF=/tmp/bench/nginx.conf GOMAXPROCS=1 go test -run TestProfileServe -cpuprofile cpu.out
func TestProfileServe(t *testing.T) {
	path := os.Getenv("PROXY_PROFILE_CONF")
	if path == "" {
		t.Skip("PROXY_PROFILE_CONF not set")
	}
	secs, _ := strconv.Atoi(os.Getenv("PROXY_PROFILE_SECONDS"))
	if secs <= 0 {
		secs = 10
	}
	srv, err := New(loadConfPath(t, path), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	<-time.After(time.Duration(secs) * time.Second)
	srv.Shutdown(context.Background())
}
