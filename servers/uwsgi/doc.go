// Package uwsgi is a uWSGI-compatible application server: the program that
// sits behind nginx's uwsgi_pass, speaks the uwsgi binary protocol on its
// `socket`, calls a WSGI application for each request and writes the
// application's HTTP response back, unframed, before closing the connection.
//
// What it does the way uWSGI 2.0 does:
//   - `socket` (uwsgi protocol, TCP or UNIX), `http-socket` (workers speak
//     HTTP themselves) and `http` (a separate router that accepts browsers and
//     forwards each request over the uwsgi protocol to the workers, through an
//     internal 127.0.0.1:0 socket when no `socket` is given), and `stats`;
//   - `processes` × `threads` request slots ("cores"), each accepting on the
//     shared socket and handling one connection start to finish, so that when
//     all are busy new connections wait in the kernel's accept queue, whose
//     size is `listen` (default 100), passed to listen(2) for real; a core
//     drives its connection with non-blocking read/write/close and waits in
//     poll(2) for at most `socket-timeout` (4 s), as a uWSGI thread does
//     (direct_linux.go; on macOS, Windows and with -tags portable, Go's net
//     package with a deadline does the same), so a client that stalls
//     mid-packet frees its core; a
//     failing accept(2) (EMFILE, or EINVAL once the socket no longer
//     listens) is logged as "accept(): Invalid argument" and retried after
//     a pause doubling from 5 ms to 1 s, never spun on;
//   - `harakiri`: a master check about once a second that kills a worker whose
//     request runs too long (its connections are closed with 0 bytes and the
//     worker is respawned), with uWSGI's log lines;
//   - `static-map` with uWSGI's prefix matching and fall-through, the request
//     log line of core/logging.c, the startup banner, the stats JSON, pidfile,
//     vacuum, and uWSGI's startup errors followed by what to try.
//
// The lab's own additions: every hop is reported to a trace.Recorder (the
// raw packet and the environ when someone watches), and every startup error
// also comes as an explain.Error saying what to try, in English and Chinese.
//
// What this version leaves out, and why: there is no Python and there are no
// processes. A worker is a group of goroutines (one per thread) inside this
// one process, so every worker reports the real process's pid; "killing" a
// worker closes its connections and cancels its requests' Context, because Go
// cannot kill a goroutine: an app that ignores the Context keeps running until
// it returns, and Shutdown waits for it. `chdir` does not change the process's
// working directory (several instances share one process); it is the base
// directory against which relative paths (sockets, wsgi-file, static-map) are
// resolved, and it is checked the way uWSGI checks it. Inside one process
// `daemonize` cannot detach: it moves the log to its file once the options are
// read; `webflow-lab uwsgi` detaches for real by starting its own binary
// again, which then runs with Options.Detached. `virtualenv` is accepted and noted. The
// master always runs (harakiri and the listen-queue check need it). Options
// beyond the lab's (max-requests, cheaper, offloading, routing, caches,
// signals, spooler, mules…) are not implemented.
//
// Reference: https://uwsgi-docs.readthedocs.io/en/latest/ and the lab's
// reference notes (uwsgi.md), checked against uWSGI 2.0.21.
package uwsgi
