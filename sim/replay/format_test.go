package replay

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"webflow-lab/servers/explain"
	"webflow-lab/servers/testenv/golden"
	"webflow-lab/servers/trace"
	"webflow-lab/sim"
)

// sample is a small recording of one request and one state change, in
// every shape an entry takes.
func sample() *Recording {
	at := func(ms float64) time.Duration { return time.Duration(ms * float64(time.Millisecond)) }
	taken := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	snap := func(state sim.RunState) *sim.Snapshot {
		return &sim.Snapshot{Taken: taken, Dir: "/home/learner/workspace",
			Proxy: sim.ProxyState{State: sim.Running, Addrs: []string{"127.0.0.1:8080"}, ConfFile: "/home/learner/workspace/nginx.conf"},
			Upstreams: []sim.Upstream{{Name: "ems", Strategy: "round robin", Where: "conf.d/ems.conf:1", Peers: []sim.Peer{
				{Addr: "127.0.0.1:9001", Instance: "uwsgi-1", Weight: 1, State: sim.PeerUp, MaxFails: 1},
				{Addr: "127.0.0.1:9011", Instance: "uwsgi-2", Weight: 1, State: sim.PeerUp, MaxFails: 1}}}},
			Instances: []sim.Instance{
				{Name: "uwsgi-1", State: sim.Running, Socket: "127.0.0.1:9001", Processes: 2, Threads: 2, ListenQueue: -1, Requests: 1},
				{Name: "uwsgi-2", State: state, Socket: "127.0.0.1:9011", Processes: 2, Threads: 2, ListenQueue: -1,
					LastError: &explain.Error{What: explain.T("uwsgi-2: stopped", "uwsgi-2：已停止"), Err: errors.New("gone")}}},
			DB: sim.DB{State: sim.Running, Files: []string{"/home/learner/workspace/db.sqlite3"}}, Sessions: "db",
			Traffic: []sim.TrafficRun{{ID: 1, Spec: "1 browser, journey open", Kind: "browse", Users: [2]int{1, 1},
				From: "127.0.1.1", State: sim.TrafficRunning, Started: taken, Sent: 1, Status: map[int]int64{200: 1},
				P50: at(2.5), P90: at(2.5), P99: at(2.5), Max: at(2.5), RPS: 4.5, Instances: map[string]int64{"uwsgi-1": 1}, Seen: 1}}}
	}
	ev := func(ms float64, e trace.Event) Entry {
		e.At = at(ms)
		return Entry{At: e.At, Event: &e}
	}
	const id = "3f9c0a1e5b7d2c4a"
	return &Recording{
		Header: Header{Format: Format, Version: Version, Created: taken, Tool: "webflow-lab (test)",
			Dir: "/home/learner/workspace", URL: "http://127.0.0.1:8080", Traffic: "1 browser, journey open"},
		Entries: []Entry{
			{Config: &Config{Path: "conf.d/ems.conf", Text: "upstream ems {\n    server 127.0.0.1:9001;\n    server 127.0.0.1:9011;\n}\n"}},
			{Config: &Config{Path: "nginx.conf", Text: "events {}\nhttp { include conf.d/*.conf; }\n"}},
			{Config: &Config{Path: "uwsgi-1.ini", Text: "[uwsgi]\nsocket = 127.0.0.1:9001\n"}},
			{Snapshot: snap(sim.Running)},
			ev(12.5, trace.Event{ReqID: id, From: trace.Browser, To: trace.Proxy, Instance: "127.0.0.1:8080", Phase: trace.Arrived,
				Bytes: 78, Why: "GET /login/ HTTP/1.1", First: true, Conn: "127.0.1.1:40112→127.0.0.1:8080",
				PDU: &trace.PDU{Kind: trace.HTTPHead, Data: []byte("GET /login/ HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n")}}),
			ev(12.6, trace.Event{ReqID: id, From: trace.Proxy, To: trace.Uwsgi, Instance: "uwsgi-1", Phase: trace.Info,
				Why: "round robin: weights 1,1, current 1,1 → peer 1", WhyZH: "轮询：权重 1,1，当前 1,1 → 第 1 个"}),
			ev(12.7, trace.Event{ReqID: id, From: trace.Proxy, To: trace.Uwsgi, Instance: "uwsgi-1", Phase: trace.Sent, Bytes: 402,
				Conn: "127.0.0.1:53211→127.0.0.1:9001", PDU: &trace.PDU{Kind: trace.UwsgiPacket, Data: []byte{0, 0x8e, 1, 0, 14, 0, 'R', 'E', 'Q'}}}),
			ev(13.1, trace.Event{ReqID: id, From: trace.App, To: trace.DB, Instance: "uwsgi-1", Phase: trace.Sent,
				PDU: &trace.PDU{Kind: trace.SQL, Data: []byte("SELECT 1 <\"&\">")}}),
			ev(13.0, trace.Event{ReqID: id, From: trace.Uwsgi, To: trace.App, Instance: "uwsgi-1", Phase: trace.Arrived,
				PDU: &trace.PDU{Kind: trace.Environ, Data: []byte{}}}),
			ev(15.25, trace.Event{ReqID: id, From: trace.Proxy, To: trace.Browser, Instance: "127.0.0.1:8080", Phase: trace.Returned,
				Status: 200, Bytes: 2048, Last: true}),
			ev(1500, trace.Event{To: trace.Uwsgi, Instance: "uwsgi-2", Phase: trace.Info, State: true, Kind: trace.InstanceStopped,
				Subject: "uwsgi-2", Why: "stopped uwsgi-2", WhyZH: "已停止 uwsgi-2"}),
			{At: at(1500), Snapshot: snap(sim.Stopped)},
			{At: at(1500), Config: &Config{Path: "uwsgi-1.ini", Gone: true}},
		},
		End: End{At: at(2000), Events: 7, Snapshots: 2, Configs: 4, Skipped: 3, Dropped: 1},
	}
}

func encode(t testing.TB, r *Recording) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Encode(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestSampleFile: the encoder writes the format README and doc.go
// describe (the file in testdata is its golden copy: -update rewrites it),
// and reading it back gives the recording again.
func TestSampleFile(t *testing.T) {
	got := encode(t, sample())
	path := filepath.Join("testdata", "sample.jsonl")
	golden.Check(t, path, string(got))
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := Decode(bytes.NewReader(want), path)
	if err != nil {
		t.Fatal(err)
	}
	if again := encode(t, rec); !bytes.Equal(again, want) {
		t.Errorf("decode → encode differs:\n%s", again)
	}
	if l := strings.SplitN(string(want), "\n", 2)[0]; !strings.HasPrefix(l, `{"format":"webflow-lab-recording","version":1,`) {
		t.Errorf("line 1: %s; want the header first, format and version leading", l)
	}
	// What is lost on the way is only what the doc says: an error's cause.
	w := sample()
	w.Entries[3].Snapshot.Instances[1].LastError.Err = nil
	w.Entries[11].Snapshot.Instances[1].LastError.Err = nil
	if !reflect.DeepEqual(rec.Entries[4:11], w.Entries[4:11]) {
		t.Errorf("events differ after a round trip:\ngot  %+v\nwant %+v", rec.Entries[4:11], w.Entries[4:11])
	}
	if !reflect.DeepEqual(rec.Entries[3].Snapshot.Traffic, w.Entries[3].Snapshot.Traffic) ||
		!reflect.DeepEqual(rec.Entries[3].Snapshot.Instances, w.Entries[3].Snapshot.Instances) {
		t.Errorf("snapshot differs after a round trip:\ngot  %+v\nwant %+v", rec.Entries[3].Snapshot, w.Entries[3].Snapshot)
	}
	// gzip: the same text, read the same.
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(want)
	zw.Close()
	zrec, err := Decode(&z, "sample.jsonl.gz")
	if err != nil {
		t.Fatal(err)
	}
	if again := encode(t, zrec); !bytes.Equal(again, want) {
		t.Errorf("gzip: decode → encode differs")
	}
}

// TestWireCoversEvent: every field of trace.Event survives the file, and
// every state kind and phase trace has is a word of the format (a new one
// fails here until wire.go names it).
func TestWireCoversEvent(t *testing.T) {
	var e trace.Event
	v := reflect.ValueOf(&e).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString("x" + v.Type().Field(i).Name)
		case reflect.Int, reflect.Int64:
			f.SetInt(int64(i + 1))
		case reflect.Uint8:
			f.SetUint(1)
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Pointer:
			f.Set(reflect.ValueOf(&trace.PDU{Kind: trace.SQL, Data: []byte("SELECT 1")}))
		default:
			t.Fatalf("trace.Event.%s is a %v: teach the wire format (and this test) about it", v.Type().Field(i).Name, f.Kind())
		}
	}
	w, err := toWire(e)
	if err != nil {
		t.Fatal(err)
	}
	back, problem := fromWire(w)
	if problem != "" || !reflect.DeepEqual(back, e) {
		t.Errorf("round trip: got %+v (%s), want %+v", back, problem, e)
	}
	for k := trace.StateKind(0); k.String() != "state?"; k++ {
		if _, ok := kindWords[k]; !ok {
			t.Errorf("state kind %d (%v) has no word in wire.go", k, k)
		}
	}
	for p := trace.Phase(0); p.String() != "phase?"; p++ {
		if _, ok := phaseWords[p]; !ok {
			t.Errorf("phase %v has no word in wire.go", p)
		}
	}
}

// TestSnapshotHasNoOtherCause: portable clears the only interface values in
// sim.Snapshot (explain.Error's cause); a new one would make snapshots
// unreadable, so this test lists them.
func TestSnapshotHasNoOtherCause(t *testing.T) {
	errType := reflect.TypeFor[error]()
	var found []string
	seen := map[reflect.Type]bool{}
	var walk func(tp reflect.Type, path string)
	walk = func(tp reflect.Type, path string) {
		switch tp.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array:
			walk(tp.Elem(), path+"[]")
		case reflect.Map:
			walk(tp.Elem(), path+"{}")
		case reflect.Interface:
			if tp == errType {
				found = append(found, path)
			} else {
				t.Errorf("%s: an interface %v cannot be read back from JSON", path, tp)
			}
		case reflect.Struct:
			if seen[tp] || tp == reflect.TypeFor[time.Time]() {
				return
			}
			seen[tp] = true
			for i := range tp.NumField() {
				if f := tp.Field(i); f.IsExported() {
					walk(f.Type, path+"."+f.Name)
				}
			}
			seen[tp] = false
		}
	}
	walk(reflect.TypeFor[sim.Snapshot](), "Snapshot")
	want := []string{"Snapshot.Proxy.LastError[].Err", "Snapshot.Instances[].LastError[].Err"}
	if !reflect.DeepEqual(found, want) {
		t.Errorf("error values in sim.Snapshot: got %v, want %v (portable must clear each)", found, want)
	}
}

// TestDecodeErrors: a file that is not a recording, newer, damaged or cut
// short is an explain.Error in both languages naming the line and byte.
func TestDecodeErrors(t *testing.T) {
	good := string(encode(t, sample()))
	lines := strings.SplitAfter(good, "\n")
	lines = lines[:len(lines)-1] // the empty string after the last newline
	replace := func(i int, s string) string {
		l := append([]string(nil), lines...)
		l[i] = s
		return strings.Join(l, "")
	}
	gz := func(s string) string {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write([]byte(s))
		zw.Close()
		return b.String()
	}
	tests := []struct {
		name, data string
		kind       error
		where      string
		want       string
	}{
		{"empty", "", ErrNotRecording, "f:1 (byte 0)", "the file is empty"},
		{"another file", "upstream ems {\n", ErrNotRecording, "f:1", "first line is not the header"},
		{"newer", replace(0, `{"format":"webflow-lab-recording","version":2,"created":{"changed":true}}`+"\n"), ErrNewer, "f:1", "format version 2"},
		{"version 0", replace(0, `{"format":"webflow-lab-recording","version":0}`+"\n"), ErrDamaged, "f:1", "format version 0 does not exist"},
		{"header only", lines[0], ErrTruncated, "f:1 (byte 206)", "stops before its end line"},
		{"cut mid-line", good[:len(lines[0])+len(lines[1])+20], ErrTruncated, "f:3", "cut short in line 3"},
		{"no end line", strings.Join(lines[:len(lines)-1], ""), ErrTruncated, "f:14", "cut short after line 14"},
		{"not JSON", replace(5, "{\"event\":{\"at\":12500000,}\n"), ErrDamaged, "f:6", "not JSON"},
		{"a wrong type", replace(5, "{\"event\":{\"at\":\"soon\",\"phase\":\"sent\"}}\n"), ErrDamaged, "f:6", "event.at"},
		{"an unknown phase", replace(5, "{\"event\":{\"at\":1,\"phase\":\"flying\"}}\n"), ErrDamaged, "f:6", `phase "flying"`},
		{"an unknown state kind", replace(5, "{\"event\":{\"at\":1,\"phase\":\"info\",\"kind\":\"moon-rise\"}}\n"), ErrDamaged, "f:6", `"moon-rise"`},
		{"two entries on a line", replace(5, "{\"event\":{\"at\":1,\"phase\":\"info\"},\"end\":{}}\n"), ErrDamaged, "f:6", "holds 2"},
		{"an empty line", replace(5, "\n"), ErrDamaged, "f:6", "not JSON"},
		{"a time before the start", replace(5, "{\"event\":{\"at\":-5,\"phase\":\"info\"}}\n"), ErrDamaged, "f:6", "before the recording began"},
		{"an absolute config path", replace(1, "{\"config\":{\"at\":0,\"path\":\"/etc/passwd\",\"text\":\"\"}}\n"), ErrDamaged, "f:2", "relative to the workspace"},
		{"a config outside", replace(1, "{\"config\":{\"at\":0,\"path\":\"../x\",\"text\":\"\"}}\n"), ErrDamaged, "f:2", "inside the workspace"},
		{"a line lost", strings.Join(append(append([]string(nil), lines[:6]...), lines[7:]...), ""), ErrDamaged, "f:14", "lines are missing"},
		{"after the end", good + "{}\n", ErrDamaged, "f:16", "more after the end line"},
		{"gzip cut short", gz(good)[:100], ErrTruncated, "uncompressed text", "cut short"},
		{"gzip corrupt", gz(good)[:40] + strings.Repeat("\xff", 60) + gz(good)[100:], ErrDamaged, "uncompressed text", "gzip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(strings.NewReader(tt.data), "f")
			var e *explain.Error
			if !errors.As(err, &e) || !errors.Is(err, tt.kind) {
				t.Fatalf("got %v, want an explain.Error wrapping %v", err, tt.kind)
			}
			en, zh := e.Block("en"), e.Block("zh")
			if !strings.Contains(e.Where, tt.where) || !strings.Contains(en, tt.want) || en == zh {
				t.Errorf("got\n%s\n%s\nwant where %q and %q, in both languages", en, zh, tt.where, tt.want)
			}
		})
	}
}
