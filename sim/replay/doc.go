// Package replay records a run of the lab to one file and plays it back
// without starting any server: the same hop events on their recorded
// timing, at any speed, through the interface a live lab offers the screen
// (Snapshot, Watch, Do), so a classroom with no time to set up still sees
// real timings.
//
// # The file
//
// A recording is UTF-8 text, one JSON object a line (JSON Lines), so that
// any text tool reads it: `head -1` says what it is, `grep`, `jq` and a diff
// work on it. Written to a name ending in .gz it is the same text,
// gzip-compressed (about a tenth of the size: every event line repeats the
// same keys); a reader tells the two apart by gzip's magic bytes, not by
// the name. Line 1 is the header:
//
//	{"format":"webflow-lab-recording","version":1,"created":"2025-06-01T10:00:00+08:00","tool":"webflow-lab …","dir":"/home/me/workspace","url":"http://127.0.0.1:8080","traffic":"3 browsers, journey login-list, every 2s"}
//
// Then one entry a line, each an object with one key saying what it is:
//
//	{"config":{"at":0,"path":"conf.d/ems.conf","text":"upstream ems {…"}}       a config file's text; "gone":true when it was removed
//	{"snapshot":{"at":0,"lab":{…}}}                                            sim.Snapshot, with Go's field names
//	{"event":{"at":1234567,"req":"3f9c0a1e","from":"browser","to":"proxy","phase":"arrived","first":true,…}}
//	{"end":{"at":10000000000,"events":812,"snapshots":14,"configs":6,"skipped":0,"dropped":0}}
//
// "at" is nanoseconds since the recording began, on the monotonic clock of
// the lab's events (trace.Now). An event's keys are trace.Event's fields:
// req, from, to, instance, phase (sent, arrived, returned, failed, info),
// bytes, status, why, why_zh, pdu ({"kind": http-head | uwsgi-packet |
// environ | sql, "data": base64}), state, kind (peer-down, peer-up,
// instance-started, … resync), subject, conn, first, last; a zero value is
// left out. Events are in the order the recorder received them, which is
// not always the order of their "at" (two servers' events race to the
// recorder by a few microseconds).
//
// What is recorded: the configs (nginx.conf, conf.d/*, uwsgi-N.ini) at the
// start; the lab's snapshot at the start; every event of every request the
// recorder followed, and every state change; after each state change, and
// after the first event of each second while anything happens, the
// snapshot and the configs again when they changed (a snapshot, or config,
// entry has the "at" of the event it follows), and once more at the end.
// The end line counts the
// entries (a check that nothing is missing) and what the recorder's
// subscription skipped under a load it could not keep up with (whole
// requests) or dropped.
//
// Versions: a reader ignores keys it does not know, so adding one keeps the
// version; removing a key or changing what one means makes a new version,
// and a reader refuses a version newer than its own with an error that says
// so. A file cut short (no end line), damaged (a line that is not what the
// format says) or newer is an *explain.Error naming the file, the line and
// the byte where reading stopped; never a panic.
//
// # Playing
//
// A Player plays a Recording through a trace.Broker: each event reaches
// Watch's subscribers when its time comes, scaled by the speed, and
// Snapshot returns the snapshot recorded last before the playback
// position. Do takes the controls a recording can honour (speed, pause,
// resume, restart, status) and refuses the lab's others with an
// explain.Error ("this is a recording: …"). Run drives the clock; its
// caller owns that goroutine.
package replay
