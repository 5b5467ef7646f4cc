package replay

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"webflow-lab/servers/explain"
	"webflow-lab/servers/trace"
	"webflow-lab/sim"
)

// The format's name and the version this package writes and reads.
const (
	Format  = "webflow-lab-recording"
	Version = 1
)

// A Recording is a run of the lab: what the file holds, decoded.
type Recording struct {
	Header  Header
	Entries []Entry // in the order they were recorded
	End     End
}

// Header is the file's first line: what the recording is and where it
// came from.
type Header struct {
	Format  string    `json:"format"`
	Version int       `json:"version"`
	Created time.Time `json:"created"`
	Tool    string    `json:"tool,omitempty"`    // the webflow-lab that recorded it
	Dir     string    `json:"dir,omitempty"`     // the workspace
	URL     string    `json:"url,omitempty"`     // the proxy, as the lab served it
	Traffic string    `json:"traffic,omitempty"` // the traffic spec the recording ran, if any
}

// An Entry is one line after the header: an event, a snapshot of the lab,
// or a config file's text, at a time since the recording began.
type Entry struct {
	At       time.Duration
	Event    *trace.Event // its At is the entry's
	Snapshot *sim.Snapshot
	Config   *Config
}

// A Config is a config file of the workspace as it was at that moment.
type Config struct {
	Path string `json:"path"` // relative to the workspace, with / ("conf.d/ems.conf")
	Text string `json:"text"`
	Gone bool   `json:"gone,omitempty"` // the file was removed
}

// End is the file's last line: when the recording stopped, how many
// entries of each kind it has (a reader checks them), and what the
// recorder missed under a load it could not keep up with.
type End struct {
	At        time.Duration `json:"at"`
	Events    int           `json:"events"`
	Snapshots int           `json:"snapshots"`
	Configs   int           `json:"configs"`
	Skipped   int64         `json:"skipped"` // whole requests the recorder's subscription skipped
	Dropped   int64         `json:"dropped"` // events of no request it dropped
}

// Length is how long the recording lasts.
func (r *Recording) Length() time.Duration { return r.End.At }

// Events returns the recording's events, in order.
func (r *Recording) Events() []trace.Event {
	var out []trace.Event
	for _, e := range r.Entries {
		if e.Event != nil {
			out = append(out, *e.Event)
		}
	}
	return out
}

// line is one line of the file as JSON: exactly one field is set.
type line struct {
	Config   *wireConfig   `json:"config,omitempty"`
	Snapshot *wireSnapshot `json:"snapshot,omitempty"`
	Event    *wireEvent    `json:"event,omitempty"`
	End      *End          `json:"end,omitempty"`
}

type wireConfig struct {
	At int64 `json:"at"`
	Config
}

type wireSnapshot struct {
	At  int64         `json:"at"`
	Lab *sim.Snapshot `json:"lab"`
}

// An encoder writes a recording line by line, counting what it wrote.
type encoder struct {
	w   *bufio.Writer
	enc *json.Encoder
	end End
}

func newEncoder(w io.Writer) *encoder {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false) // "<html>" stays readable in a PDU-less why
	return &encoder{w: bw, enc: enc}
}

func (e *encoder) header(h Header) error {
	h.Format, h.Version = Format, Version
	return e.enc.Encode(h)
}

func (e *encoder) entry(en Entry) error {
	var l line
	switch {
	case en.Event != nil:
		w, err := toWire(*en.Event)
		if err != nil {
			return err
		}
		w.At = int64(en.At)
		l.Event = &w
		e.end.Events++
	case en.Snapshot != nil:
		s := portable(*en.Snapshot)
		l.Snapshot = &wireSnapshot{At: int64(en.At), Lab: &s}
		e.end.Snapshots++
	case en.Config != nil:
		l.Config = &wireConfig{At: int64(en.At), Config: *en.Config}
		e.end.Configs++
	default:
		return fmt.Errorf("replay: an empty entry at %v", en.At)
	}
	return e.enc.Encode(l)
}

// finish writes the end line (its counts are the encoder's own) and
// flushes.
func (e *encoder) finish(end End) error {
	end.Events, end.Snapshots, end.Configs = e.end.Events, e.end.Snapshots, e.end.Configs
	e.end = end
	if err := e.enc.Encode(line{End: &end}); err != nil {
		return err
	}
	return e.w.Flush()
}

// Encode writes r to w in the format's text form. Its end line's counts
// are those of r's entries.
func Encode(w io.Writer, r *Recording) error {
	e := newEncoder(w)
	if err := e.header(r.Header); err != nil {
		return err
	}
	for _, en := range r.Entries {
		if err := e.entry(en); err != nil {
			return err
		}
	}
	return e.finish(r.End)
}

// portable is s ready for JSON both ways: an explain.Error's cause is an
// interface value that could not be read back, so only its words are kept
// (what the screen shows).
func portable(s sim.Snapshot) sim.Snapshot {
	s.Proxy.LastError = wordsOnly(s.Proxy.LastError)
	if len(s.Instances) > 0 {
		ins := make([]sim.Instance, len(s.Instances))
		for i, in := range s.Instances {
			in.LastError = wordsOnly(in.LastError)
			ins[i] = in
		}
		s.Instances = ins
	}
	return s
}

func wordsOnly(e *explain.Error) *explain.Error {
	if e == nil || e.Err == nil {
		return e
	}
	c := *e
	c.Err = nil
	return &c
}
