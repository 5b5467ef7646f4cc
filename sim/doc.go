// Package sim is the lab runtime: it builds the default topology from a
// learner's workspace and runs it —
//
//	browser ──HTTP──▶ proxy :8080 ──uwsgi──▶ uwsgi-1 :9001 / uwsgi-2 :9011 ──WSGI──▶ EMS ──SQL──▶ db.sqlite3
//
// every server real, on loopback, reading the workspace's own nginx.conf and
// uwsgi-N.ini files, so what a learner edits is what runs. All hop events go
// to one trace.Broker that the screen, `webflow-lab serve` and lesson checks
// read.
//
// Ports are chosen once, when a workspace is created (Options.Ports): they
// are written into conf.d/ems.conf and the uwsgi-N.ini files as a learner
// would write them, and from then on the files are the truth, as on a real
// server. A busy port is the server's own explanation (nginx's bind() line,
// uWSGI's "probably another instance"), and Start stops whatever it had
// started. The controls so far are the ones a learner has on a real box:
// stop an instance (Instances[i].Shutdown), restart it after editing its ini
// (RestartInstance), reload the proxy after editing nginx.conf (ReloadProxy).
//
// What it leaves out so far: fault injection, virtual browsers, the load
// generator and replay (see DESIGN.md); the TUI that animates the events.
package sim
