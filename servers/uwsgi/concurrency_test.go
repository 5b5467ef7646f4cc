package uwsgi

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"webflow-lab/servers/uwsgiproto"
	"webflow-lab/servers/wsgi"
)

// waitQueue polls the socket's accept queue until it holds n. It reads the
// kernel's figure itself (kernelQueue), so it works in the portable build
// too, whose server does not.
func waitQueue(t *testing.T, s *Server, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		cur := kernelQueue(t, s.workerSockets[0].raw)
		if cur == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("listen queue: got %d, want %d", cur, n)
		}
		<-time.After(5 * time.Millisecond)
	}
}

func sendClient(t *testing.T, address, id string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", address)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := uwsgiproto.WriteRequest(c, 0, 0, nginxVars("GET", "/"+id, uwsgiproto.Var{Key: "HTTP_X_CLIENT", Value: id}), nil); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSlotsAndListenQueue: 1 process × 2 threads = 2 slots, listen = 2.
// Two clients are served at once; three more wait in the kernel's accept
// queue (Linux holds backlog+1), visible in stats, and are served in order
// as slots free up. The master logs the queue as full. A build that cannot
// read the queue (QueueKnown false) says -1 in the stats and logs nothing.
func TestSlotsAndListenQueue(t *testing.T) {
	checkGoroutines(t)
	g := newGate()
	s, log := startServer(t, Config{Sockets: []string{"127.0.0.1:0"}, WSGIFile: "gate", Processes: 1, Threads: 2, Listen: 2},
		Options{Loader: gateLoader(g)})
	address := addrOf(t, s, "socket")
	conns := map[string]net.Conn{}
	for _, id := range []string{"1", "2"} {
		conns[id] = sendClient(t, address, id)
	}
	first := map[string]bool{<-g.in: true, <-g.in: true}
	if !first["1"] || !first["2"] {
		t.Fatalf("first two served: got %v, want 1 and 2", first)
	}
	for i, id := range []string{"3", "4", "5"} {
		conns[id] = sendClient(t, address, id)
		waitQueue(t, s, i+1)
	}
	select {
	case id := <-g.in:
		t.Fatalf("client %s reached the app while both slots were busy", id)
	default:
	}
	var st struct {
		ListenQueue int `json:"listen_queue"`
		Sockets     []struct {
			Queue    int
			MaxQueue int `json:"max_queue"`
		}
		Workers []struct{ Status string }
	}
	s.checkQueues() // the master's tick, now rather than within a second
	if err := json.Unmarshal(s.StatsJSON(), &st); err != nil {
		t.Fatal(err)
	}
	wantQueue := 3
	if !QueueKnown {
		wantQueue = -1
	}
	if st.ListenQueue != wantQueue || st.Sockets[0].Queue != wantQueue || st.Sockets[0].MaxQueue != 2 || st.Workers[0].Status != "busy" {
		t.Errorf("stats: got listen_queue %d queue %d max_queue %d status %s, want %d %d 2 busy",
			st.ListenQueue, st.Sockets[0].Queue, st.Sockets[0].MaxQueue, st.Workers[0].Status, wantQueue, wantQueue)
	}
	if QueueKnown {
		log.waitFor(t, "full !!! (3/2) ***", 5*time.Second)
	} else if strings.Contains(log.String(), "full !!!") {
		t.Errorf("log: a full-queue line from a build that cannot read the queue:\n%s", log)
	}
	var order []string
	for range 3 {
		g.release <- struct{}{}
		order = append(order, <-g.in)
	}
	if strings.Join(order, ",") != "3,4,5" {
		t.Errorf("queued clients served in order: got %v, want [3 4 5]", order)
	}
	g.release <- struct{}{}
	g.release <- struct{}{}
	for id, c := range conns {
		got, _ := readAllConn(c)
		if !strings.HasSuffix(string(got), "ok") {
			t.Errorf("client %s: got %q, want a response ending in ok", id, got)
		}
	}
}

func TestHarakiri(t *testing.T) {
	checkGoroutines(t)
	g := newGate()
	app := wsgi.AppFunc(func(env *wsgi.Environ, start wsgi.StartResponse) (wsgi.Body, error) {
		if env.Get("HTTP_X_CLIENT") == "fast" {
			return wsgi.Hello.ServeWSGI(env, start)
		}
		return g.ServeWSGI(env, start)
	})
	s, log := startServer(t, Config{Sockets: []string{"127.0.0.1:0"}, Stats: "127.0.0.1:0", WSGIFile: "slow", Harakiri: 1},
		Options{Loader: func(AppRef) (wsgi.App, error) { return app, nil }})
	address := addrOf(t, s, "socket")
	c := sendClient(t, address, "slow")
	<-g.in
	began := time.Now()
	got, _ := readAllConn(c)
	took := time.Since(began)
	if len(got) != 0 {
		t.Errorf("harakiri'd response: got %q, want 0 bytes (nginx answers 502)", got)
	}
	if took < 900*time.Millisecond || took > 3*time.Second {
		t.Errorf("harakiri fired after %v, want between 1 s and 2 s (the master checks once a second)", took)
	}
	for _, want := range []string{" - *** HARAKIRI ON WORKER 1 (pid: ", ", try: 1) ***", " - HARAKIRI !!! worker 1 status !!!",
		" - HARAKIRI [core 0] 127.0.0.1 - GET /slow since ", " - HARAKIRI !!! end of worker 1 status !!!",
		"DAMN ! worker 1 (pid: ", ") died, killed by signal 9 :( trying respawn ...", "Respawned uWSGI worker 1 (new pid: "} {
		log.waitFor(t, want, 5*time.Second)
	}
	fast := sendClient(t, address, "fast")
	if got, _ := readAllConn(fast); string(got) != helloResponse {
		t.Errorf("after respawn: got %q, want hello", got)
	}
	var st struct {
		Workers []struct {
			HarakiriCount int `json:"harakiri_count"`
			RespawnCount  int `json:"respawn_count"`
			Requests      int
		}
	}
	if err := json.Unmarshal(s.StatsJSON(), &st); err != nil {
		t.Fatal(err)
	}
	if w := st.Workers[0]; w.HarakiriCount != 1 || w.RespawnCount != 2 || w.Requests != 1 {
		t.Errorf("stats: got harakiri_count %d respawn_count %d requests %d, want 1 2 1", w.HarakiriCount, w.RespawnCount, w.Requests)
	}
}

// TestShutdownFinishesInFlight: Shutdown waits for a running request, which
// gets its whole response, then returns.
func TestShutdownFinishesInFlight(t *testing.T) {
	checkGoroutines(t)
	g := newGate()
	s := New(Config{Sockets: []string{"127.0.0.1:0"}, WSGIFile: "gate"}, Options{Loader: gateLoader(g)})
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	c := sendClient(t, addrOf(t, s, "socket"), "1")
	<-g.in
	done := make(chan error)
	go func() { done <- s.Shutdown(context.Background()) }()
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned %v with a request in flight", err)
	case <-time.After(100 * time.Millisecond):
	}
	if _, err := net.Dial("tcp", addrOf(t, s, "socket")); err == nil {
		t.Errorf("dial after Shutdown began: got a connection, want refused")
	}
	g.release <- struct{}{}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got, _ := readAllConn(c); !strings.HasSuffix(string(got), "ok") {
		t.Errorf("in-flight response: got %q", got)
	}
}

// TestReload: a graceful reload lets the running request finish, loads the
// app again and keeps the socket.
func TestReload(t *testing.T) {
	checkGoroutines(t)
	g := newGate()
	loads := 0
	s, log := startServer(t, Config{Sockets: []string{"127.0.0.1:0"}, WSGIFile: "gate", Processes: 2},
		Options{Loader: func(AppRef) (wsgi.App, error) { loads++; return g, nil }})
	address := addrOf(t, s, "socket")
	c := sendClient(t, address, "1")
	<-g.in
	done := make(chan error)
	go func() { done <- s.Reload(context.Background()) }()
	log.waitFor(t, "Gracefully killing worker 2", 5*time.Second)
	g.release <- struct{}{}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got, _ := readAllConn(c); !strings.HasSuffix(string(got), "ok") {
		t.Errorf("request across reload: got %q", got)
	}
	c2 := sendClient(t, address, "2")
	<-g.in
	g.release <- struct{}{}
	if got, _ := readAllConn(c2); !strings.HasSuffix(string(got), "ok") {
		t.Errorf("request after reload: got %q", got)
	}
	if loads != 2 {
		t.Errorf("app loads: got %d, want 2", loads)
	}
	for _, want := range []string{"...gracefully killing workers...", "binary reloading uWSGI...", "gracefully (RE)spawned uWSGI master process"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log: missing %q", want)
		}
	}
}
