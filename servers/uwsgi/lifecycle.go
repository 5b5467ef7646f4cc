package uwsgi

import (
	"context"
	"errors"
	"os"
	"slices"
	"time"

	"webflow-lab/servers/errno"
	"webflow-lab/servers/trace"
)

// Shutdown stops accepting, lets every in-flight request finish, waits for
// every goroutine, then closes the sockets and removes what vacuum removes:
// uWSGI's SIGINT. If ctx ends first it returns ctx.Err() with the remaining
// requests' Contexts cancelled; call it again to keep waiting.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stopOnce.Do(func() {
		s.lifeMu.Lock()
		defer s.lifeMu.Unlock()
		if s.state.Load() == 1 && !s.killed.Load() {
			s.log.Print("SIGINT/SIGTERM received...killing workers...")
		}
		s.state.Store(2)
		s.closeO.Do(func() { close(s.closing) })
		s.noWorkersLeft()
		for _, l := range s.listeners {
			l.ln.Close()
			if l.file != nil {
				l.file.Close()
			}
		}
		for _, r := range s.routers {
			r.closeIdle()
		}
	})
	done := make(chan struct{})
	go func() {
		s.waitAcceptors()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		s.logBusy()
		s.cancelAll()
		return ctx.Err()
	}
	return s.finish(ctx)
}

// waitAcceptors waits until the accept loops and routers have handed over
// what they accepted; then the idle cores can be told to go.
func (s *Server) waitAcceptors() {
	s.acceptors.Wait()
}

func (s *Server) quitOnce() { s.quitO.Do(func() { close(s.quit) }) }

func (s *Server) finish(ctx context.Context) error {
	s.quitOnce()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		s.logBusy()
		s.cancelAll()
		return ctx.Err()
	}
	s.closeOnce.Do(func() {
		killed := s.killed.Load()
		if !killed {
			for _, slot := range s.slots {
				s.log.Printf("worker %d buried after 1 seconds", slot.id)
			}
			s.log.Print("goodbye to uWSGI.")
			s.rec.Record(trace.Event{To: trace.Uwsgi, Instance: s.name, Phase: trace.Info, At: trace.Now(), State: true,
				Kind: trace.InstanceStopped, Subject: s.name, Why: "instance stopped", WhyZH: "实例已停止"})
		}
		s.closeApp()
		if !killed {
			s.vacuum() // kill -9 leaves the pidfile and UNIX sockets behind
		}
		if s.logFile != nil {
			s.logFile.Close()
		}
	})
	return nil
}

// logBusy says what Shutdown is still waiting for when its time is up (the
// lab's own lines; uWSGI's master would kill the workers): the requests
// in service, and the http router's requests on their way to a worker.
func (s *Server) logBusy() {
	now := time.Now()
	for _, slot := range s.slots {
		w := slot.cur.Load()
		if w == nil {
			continue
		}
		for _, c := range w.cores {
			c.mu.Lock()
			if !c.started.IsZero() {
				s.log.Printf("shutdown: worker %d core %d still busy with %s %s (%s) since %s ago",
					slot.id, c.id, c.method, c.uri, c.remote, now.Sub(c.started).Round(time.Millisecond))
			}
			c.mu.Unlock()
		}
	}
	for _, r := range s.routers {
		if n := r.busy(); n > 0 {
			s.log.Printf("shutdown: http router %s still relaying %d request(s)", r.l.name(), n)
		}
	}
}

// cancelAll cancels every in-flight request's Context (Shutdown's deadline passed).
func (s *Server) cancelAll() {
	for _, slot := range s.slots {
		if w := slot.cur.Load(); w != nil {
			for _, c := range w.cores {
				c.mu.Lock()
				if c.cancel != nil {
					c.cancel()
				}
				c.mu.Unlock()
			}
		}
	}
}

// abort undoes a failed start. vacuum is false when uWSGI would not
// vacuum: its vacuum runs only in the process it takes for the master, and
// a daemon takes itself for the master only once its sockets are bound and
// its workers set up (core/uwsgi.c sets masterpid again there), so a
// daemon that fails before (a bad chdir, a busy port) leaves its pidfile.
func (s *Server) abort(vacuum bool) {
	s.closeO.Do(func() { close(s.closing) })
	for _, l := range s.listeners {
		l.ln.Close()
		if l.file != nil {
			l.file.Close()
		}
	}
	s.acceptors.Wait()
	s.quitOnce()
	s.wg.Wait()
	s.closeApp()
	if vacuum {
		s.vacuum()
	}
	if s.logFile != nil {
		s.logFile.Close()
	}
}

// vacuum removes the pidfile and the UNIX socket files this instance
// created, in uWSGI's order (core/uwsgi.c vacuum): the pidfile, then a
// chdir back into the chdir directory (which fails again, and says so,
// when that directory is what stopped the start), then the sockets.
func (s *Server) vacuum() {
	if !s.cfg.Vacuum {
		return
	}
	if s.pidfileMade {
		if err := os.Remove(s.cfg.Pidfile); err == nil {
			s.log.Print("VACUUM: pidfile removed.")
		}
	}
	if s.cfg.Chdir != "" && s.dir == "" {
		if _, err := os.Stat(s.cfg.Chdir); err != nil {
			s.log.Printf("chdir(): %s [core/uwsgi.c line 1649]", errno.Strerror(errors.Unwrap(err)))
		}
	}
	for _, l := range s.listeners {
		if l.created && l.a.path != "" {
			if err := os.Remove(l.a.path); err == nil {
				s.log.Printf("VACUUM: unix socket %s removed.", l.a.path)
			}
		}
	}
}

// Reload is uWSGI's graceful reload (SIGHUP, `uwsgi --reload`): each worker
// finishes its request and exits, the app is loaded again, and new workers
// start on the same sockets; connections arriving meanwhile wait in the
// accept queue. The log then gets what a fresh start logs while reading the
// options (each ini file, the notes, the static-map mappings), as uWSGI's
// re-executed binary logs them; the options themselves are the ones the
// server was built with (a caller that reads the files again and finds them
// changed starts a new Server instead). If ctx ends before the old workers are done, those still
// busy are killed, as uWSGI's master does once worker-reload-mercy has
// passed, the new workers start all the same, and ctx.Err() is returned.
func (s *Server) Reload(ctx context.Context) error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	s.lifeMu.Lock()
	if s.state.Load() != 1 {
		s.lifeMu.Unlock()
		return ErrServerClosed
	}
	s.log.Print("...gracefully killing workers...")
	var old []*worker
	for _, slot := range s.slots {
		w := slot.cur.Load()
		s.log.Printf("Gracefully killing worker %d (pid: %d)...", slot.id, s.pid)
		w.retiring.Store(true)
		w.stop()
		s.removeIdle(w)
		old = append(old, w)
	}
	// Harakiri keeps running while the workers finish (it may kill one
	// that hangs), so the lock is not held while waiting.
	s.lifeMu.Unlock()
	if s.direct != nil {
		// Wake the idle cores waiting in accept so they see they are retired;
		// new connections wait in the kernel's queue meanwhile.
		s.direct.nudge(true)
		defer s.direct.nudge(false)
	}
	var err error
	var waiting []*worker // old workers still finishing when ctx ended
	for i, w := range old {
		done := make(chan struct{})
		go func() {
			w.wg.Wait()
			close(done)
		}()
		select {
		case <-done:
			s.log.Printf("worker %d buried after %d seconds", w.slot.id, max(1, int(time.Since(w.start).Seconds())))
			continue
		case <-ctx.Done():
			err = ctx.Err()
		}
		waiting = old[i:]
		break
	}
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	// uWSGI's master gives retiring workers worker-reload-mercy seconds,
	// then kills them (core/master.c) and respawns: a reload that runs out
	// of time never leaves the instance without workers.
	for _, w := range waiting {
		if !w.dead.Load() {
			s.log.Printf("%s - worker %d (pid: %d) is taking too much time to die...NO MERCY !!!", asctime(time.Now()), w.slot.id, s.pid)
			s.terminate(w)
		}
	}
	if s.state.Load() != 1 {
		// Shutdown began meanwhile: no new workers, and an acceptor holding
		// a connection must not wait for one.
		s.noWorkersLeft()
		return ErrServerClosed
	}
	s.log.Print("binary reloading uWSGI...")
	s.logReexec()
	s.closeApp()
	s.loadApp()
	if s.direct != nil {
		s.direct.nudge(false)
	}
	s.log.Printf("gracefully (RE)spawned uWSGI master process (pid: %d)", s.pid)
	for _, slot := range s.slots {
		s.spawnWorker(slot)
		s.log.Printf("spawned uWSGI worker %d (pid: %d, cores: %d)", slot.id, s.pid, s.threads)
	}
	s.logStatsServer()
	s.rec.Record(trace.Event{To: trace.Uwsgi, Instance: s.name, Phase: trace.Info, At: trace.Now(), State: true,
		Kind: trace.InstanceStarted, Subject: s.name, Why: "instance reloaded", WhyZH: "实例已重新加载"})
	return err
}

// BrutalReload is uWSGI 2.0's answer to SIGTERM: the workers are killed at
// once (requests in flight get nothing), the app is loaded again and new
// workers start on the same sockets. The instance keeps running.
func (s *Server) BrutalReload() error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	if s.state.Load() != 1 {
		return ErrServerClosed
	}
	s.log.Print("...brutally killing workers...")
	for _, slot := range s.slots {
		s.terminate(slot.cur.Load())
	}
	s.log.Print("binary reloading uWSGI...")
	s.logReexec()
	s.closeApp()
	s.loadApp()
	s.log.Printf("gracefully (RE)spawned uWSGI master process (pid: %d)", s.pid)
	for _, slot := range s.slots {
		s.spawnWorker(slot)
		s.log.Printf("spawned uWSGI worker %d (pid: %d, cores: %d)", slot.id, s.pid, s.threads)
	}
	s.logStatsServer()
	s.rec.Record(trace.Event{To: trace.Uwsgi, Instance: s.name, Phase: trace.Info, At: trace.Now(), State: true,
		Kind: trace.InstanceStarted, Subject: s.name, Why: "instance reloaded brutally (SIGTERM)", WhyZH: "实例被强制重新加载（SIGTERM）"})
	return nil
}

// logReexec logs what uWSGI logs between "binary reloading uWSGI..." and
// the app's loading, when it executes its binary again (core/master_utils.c
// uwsgi_reload, then a start with the sockets inherited): back to the
// starting directory, the uwsgi sockets kept by their file descriptors, the
// options read again (ini files, the lab's notes, static-map lines), the
// banner, and each uwsgi socket "inherited" instead of bound. The lab does
// not execute anything: its workers are goroutines, started again below.
func (s *Server) logReexec() {
	wd, _ := os.Getwd()
	exe, _ := os.Executable()
	s.log.Printf("chdir() to %s", wd)
	for i, l := range s.workerSockets {
		if l.proto == "uwsgi" && !l.internal {
			s.log.Printf("found fd %d mapped to socket %d (%s)", l.fd, i, l.name())
		}
	}
	s.log.Printf("running %s", exe)
	s.logOptionsRead()
	s.log.Printf("*** Starting uWSGI %s (%dbit) on [%s] ***", Version, 32<<(^uint(0)>>63), asctime(time.Now()))
	s.log.Printf("current working directory: %s", wd)
	s.log.Printf("detected binary path: %s", exe)
	if s.cfg.Chdir != "" {
		s.log.Printf("chdir() to %s", s.cfg.Chdir)
	}
	for _, l := range s.listeners {
		switch {
		case l.proto == "router":
			s.log.Printf("uWSGI http bound on %s fd %d", l.a.raw, l.fd)
		case l.proto == "uwsgi" && l.internal:
			s.log.Printf("uwsgi socket 0 bound to TCP address %s (port auto-assigned) fd %d", l.ln.Addr(), l.fd)
		case l.proto == "uwsgi" || l.proto == "http":
			kind := "INET"
			if l.a.network == "unix" {
				kind = "UNIX"
			}
			s.log.Printf("uwsgi socket %d inherited %s address %s fd %d", slices.Index(s.workerSockets, l), kind, l.name(), l.fd)
		}
	}
	s.logPythonInit()
	s.logModes()
}

// noWorkersLeft closes noCores once Shutdown has begun and every slot's
// worker has quit (retired by a reload, killed by harakiri) with nothing to
// replace it. It is called with lifeMu held wherever a worker goes for good.
func (s *Server) noWorkersLeft() {
	select {
	case <-s.closing:
	default:
		return
	}
	for _, slot := range s.slots {
		if w := slot.cur.Load(); w != nil {
			select {
			case <-w.quit:
			default:
				return // this one can still take a connection
			}
		}
	}
	s.noCoresO.Do(func() { close(s.noCores) })
}

// Kill stops the instance the way `kill -9` on uWSGI's master does: every
// connection in service is reset at once (the proxy reads "Connection reset
// by peer"), nothing more is logged, and the pidfile stays behind, stale.
// It returns when every goroutine has ended.
func (s *Server) Kill() error {
	s.killed.Store(true)
	s.lifeMu.Lock()
	s.state.Store(2)
	s.closeO.Do(func() { close(s.closing) })
	for _, slot := range s.slots {
		if w := slot.cur.Load(); w != nil {
			s.terminate(w)
		}
	}
	s.lifeMu.Unlock()
	s.rec.Record(trace.Event{To: trace.Uwsgi, Instance: s.name, Phase: trace.Failed, At: trace.Now(), State: true,
		Kind: trace.InstanceKilled, Subject: s.name,
		Why: "killed (kill -9): connections in service reset", WhyZH: "被强制杀死（kill -9）：正在处理的连接被重置"})
	return s.Shutdown(context.Background())
}
