package replay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"webflow-lab/servers/trace"
	"webflow-lab/sim"
)

// A Source is what Record records: a running lab (FromLab) or a Player
// (Player.Source), whose run recorded again is the file it plays.
type Source struct {
	Header   Header
	Watch    func(buffer int) *trace.Subscription
	Snapshot func() sim.Snapshot
	// Configs returns the config files as they are now; nil: none.
	Configs func() []Config
	// Now is the source's clock, on the scale of its events' At; Origin
	// is the At that is the recording's 0.
	Now    func() time.Duration
	Origin time.Duration
	// Lost is what the source itself missed before this recorder (a
	// Player: what the recording it plays had missed).
	Lost End
	// Ready, if set, is called once the recorder is subscribed and has
	// written the configs and snapshot it starts with: traffic started
	// after it is recorded from its first request.
	Ready func()
}

// FromLab is a running lab as a Source: its events from now on, its
// snapshot, and its workspace's config files (nginx.conf, conf.d/*,
// uwsgi-N.ini). h's Format and Version are the package's.
func FromLab(lab *sim.Lab, h Header) Source {
	if h.Created.IsZero() {
		h.Created = time.Now()
	}
	if h.Dir == "" {
		h.Dir = lab.Dir()
	}
	if h.URL == "" {
		h.URL = lab.URL()
	}
	return Source{Header: h, Watch: lab.Watch, Snapshot: lab.Snapshot, Now: trace.Now, Origin: trace.Now(),
		Configs: func() []Config { return workspaceConfigs(lab.Dir()) }}
}

// workspaceConfigs reads the configs a recording keeps, sorted by path.
func workspaceConfigs(dir string) []Config {
	paths := []string{filepath.Join(dir, "nginx.conf")}
	confd, _ := filepath.Glob(filepath.Join(dir, "conf.d", "*"))
	paths = append(paths, confd...)
	inis, _ := sim.InstanceFiles(dir)
	paths = append(paths, inis...)
	var out []Config
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // a directory, or gone: nothing to keep
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			continue
		}
		out = append(out, Config{Path: filepath.ToSlash(rel), Text: string(b)})
	}
	slices.SortFunc(out, func(a, b Config) int { return cmpString(a.Path, b.Path) })
	return out
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// checkEvery is how often, in the events' time, the recorder looks at the
// snapshot and the configs when no state changes: at the first event at
// least this long after its last look.
const checkEvery = time.Second

// checkpoint reports whether the recorder looks at the snapshot and the
// configs after event e (a state change, or the first event a second after
// the last look), and moves last. The Player runs the same function over
// the recording to know which events their snapshot belongs to.
func checkpoint(e *trace.Event, last *time.Duration) bool {
	if e.State || e.At >= *last+checkEvery {
		*last = e.At
		return true
	}
	return false
}

// Record writes what src does to w until ctx ends: the header, the configs
// and the snapshot, then every event, with the snapshot and configs again
// after each checkpoint and at the end when they changed, and the end line. It returns the
// end line it wrote, and an error only when writing failed. The events
// still queued when ctx ends are written first; events after that are not
// recorded.
func Record(ctx context.Context, w io.Writer, src Source) (End, error) {
	sub := src.Watch(1 << 16)
	defer sub.Close()
	rc := &recorder{src: src, enc: newEncoder(w), configs: map[string]string{}}
	if err := rc.start(); err != nil {
		return End{}, err
	}
	if src.Ready != nil {
		src.Ready()
	}
	for {
		e, err := sub.Next(ctx)
		if err != nil {
			break
		}
		if err := rc.event(e); err != nil {
			return End{}, err
		}
	}
	for _, e := range sub.Drain() {
		if err := rc.event(e); err != nil {
			return End{}, err
		}
	}
	end := src.Lost
	// The last look is after the last event, never at its time: a Player
	// would take it for that event's checkpoint.
	end.At = max(src.Now()-src.Origin, rc.lastAt+1)
	if err := rc.look(end.At); err != nil { // the lab as the recording leaves it
		return End{}, err
	}
	end.Skipped += sub.Skipped()
	end.Dropped += sub.Dropped()
	if err := rc.enc.finish(end); err != nil {
		return End{}, err
	}
	return rc.enc.end, nil
}

type recorder struct {
	src       Source
	enc       *encoder
	configs   map[string]string // path → text last written
	lastSnap  []byte            // the last snapshot written, without its Taken
	lastCheck time.Duration
	lastAt    time.Duration
}

func (rc *recorder) start() error {
	if err := rc.enc.header(rc.src.Header); err != nil {
		return err
	}
	if err := rc.look(0); err != nil {
		return err
	}
	return nil
}

func (rc *recorder) event(e trace.Event) error {
	e.At -= rc.src.Origin
	if e.At < 0 {
		e.At = 0 // taken a moment before the recorder's clock began
	}
	rc.lastAt = max(rc.lastAt, e.At)
	if err := rc.enc.entry(Entry{At: e.At, Event: &e}); err != nil {
		return err
	}
	if checkpoint(&e, &rc.lastCheck) {
		return rc.look(e.At)
	}
	return nil
}

// look writes the configs and the snapshot if they changed since last
// written.
func (rc *recorder) look(at time.Duration) error {
	if rc.src.Configs != nil {
		now := map[string]bool{}
		for _, c := range rc.src.Configs() {
			now[c.Path] = true
			if old, ok := rc.configs[c.Path]; ok && old == c.Text {
				continue
			}
			rc.configs[c.Path] = c.Text
			if err := rc.enc.entry(Entry{At: at, Config: &c}); err != nil {
				return err
			}
		}
		for _, p := range slices.Sorted(maps.Keys(rc.configs)) {
			if !now[p] {
				delete(rc.configs, p)
				if err := rc.enc.entry(Entry{At: at, Config: &Config{Path: p, Gone: true}}); err != nil {
					return err
				}
			}
		}
	}
	s := rc.src.Snapshot()
	key, err := snapshotKey(s)
	if err != nil {
		return err
	}
	if bytes.Equal(key, rc.lastSnap) {
		return nil
	}
	rc.lastSnap = key
	return rc.enc.entry(Entry{At: at, Snapshot: &s})
}

// snapshotKey is s without the moment it was taken, to tell whether
// anything in it changed.
func snapshotKey(s sim.Snapshot) ([]byte, error) {
	s = portable(s)
	s.Taken = time.Time{}
	b, err := json.Marshal(s)
	if err != nil {
		return nil, errors.Join(errors.New("replay: a snapshot that JSON cannot hold"), err)
	}
	return b, nil
}
