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
// What it leaves out so far: fault injection, virtual browsers, the load
// generator and replay (see DESIGN.md); the TUI that animates the events.
package sim
