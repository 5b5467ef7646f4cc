package replay

import (
	"fmt"
	"time"

	"webflow-lab/servers/trace"
)

// wireEvent is a trace.Event as a line of the file. Enumerations are
// written as words of the format's own (not trace's String methods, which
// may change for the screen's sake), zero values are left out.
type wireEvent struct {
	At       int64    `json:"at"`
	ReqID    string   `json:"req,omitempty"`
	From     string   `json:"from,omitempty"`
	To       string   `json:"to,omitempty"`
	Instance string   `json:"instance,omitempty"`
	Phase    string   `json:"phase"`
	Bytes    int      `json:"bytes,omitempty"`
	Status   int      `json:"status,omitempty"`
	Why      string   `json:"why,omitempty"`
	WhyZH    string   `json:"why_zh,omitempty"`
	PDU      *wirePDU `json:"pdu,omitempty"`
	State    bool     `json:"state,omitempty"`
	Kind     string   `json:"kind,omitempty"`
	Subject  string   `json:"subject,omitempty"`
	Conn     string   `json:"conn,omitempty"`
	First    bool     `json:"first,omitempty"`
	Last     bool     `json:"last,omitempty"`
}

type wirePDU struct {
	Kind string `json:"kind"`
	Data []byte `json:"data"` // base64, as encoding/json writes bytes
}

// The words of version 1. A constant trace adds must be added here (a test
// walks trace's constants and fails until it is).
var (
	phaseWords = map[trace.Phase]string{trace.Sent: "sent", trace.Arrived: "arrived", trace.Returned: "returned",
		trace.Failed: "failed", trace.Info: "info"}
	kindWords = map[trace.StateKind]string{trace.NoState: "", trace.PeerDown: "peer-down", trace.PeerUp: "peer-up",
		trace.InstanceStarted: "instance-started", trace.InstanceStopped: "instance-stopped",
		trace.InstanceKilled: "instance-killed", trace.InstanceFailed: "instance-failed",
		trace.ConfigReloaded: "config-reloaded", trace.ConfigRefused: "config-refused", trace.DBStopped: "db-stopped",
		trace.DBStarted: "db-started", trace.PortBlocked: "port-blocked", trace.PortOpened: "port-opened",
		trace.BreakpointHit: "breakpoint-hit", trace.BreakpointReleased: "breakpoint-released",
		trace.FaultSet: "fault-set", trace.Resync: "resync",
		trace.TrafficStarted: "traffic-started", trace.TrafficEnded: "traffic-ended"}
	pduWords = map[trace.PDUKind]string{trace.HTTPHead: "http-head", trace.UwsgiPacket: "uwsgi-packet",
		trace.Environ: "environ", trace.SQL: "sql"}

	phaseOf = invert(phaseWords)
	kindOf  = invert(kindWords)
	pduOf   = invert(pduWords)
)

func invert[K comparable](m map[K]string) map[string]K {
	out := make(map[string]K, len(m))
	for k, v := range m {
		out[v] = k
	}
	return out
}

func toWire(e trace.Event) (wireEvent, error) {
	w := wireEvent{At: int64(e.At), ReqID: e.ReqID, From: e.From, To: e.To, Instance: e.Instance,
		Bytes: e.Bytes, Status: e.Status, Why: e.Why, WhyZH: e.WhyZH, State: e.State, Subject: e.Subject,
		Conn: e.Conn, First: e.First, Last: e.Last}
	var ok bool
	if w.Phase, ok = phaseWords[e.Phase]; !ok {
		return w, fmt.Errorf("replay: event phase %d has no word in format version %d", e.Phase, Version)
	}
	if w.Kind, ok = kindWords[e.Kind]; !ok {
		return w, fmt.Errorf("replay: state kind %d (%v) has no word in format version %d", e.Kind, e.Kind, Version)
	}
	if e.PDU != nil {
		k, ok := pduWords[e.PDU.Kind]
		if !ok {
			return w, fmt.Errorf("replay: PDU kind %d has no word in format version %d", e.PDU.Kind, Version)
		}
		data := e.PDU.Data
		if data == nil {
			data = []byte{} // written "", as an empty one: one spelling for no bytes
		}
		w.PDU = &wirePDU{Kind: k, Data: data}
	}
	return w, nil
}

// fromWire is the event a line holds, or what is wrong with it.
func fromWire(w wireEvent) (trace.Event, string) {
	e := trace.Event{At: time.Duration(w.At), ReqID: w.ReqID, From: w.From, To: w.To, Instance: w.Instance,
		Bytes: w.Bytes, Status: w.Status, Why: w.Why, WhyZH: w.WhyZH, State: w.State, Subject: w.Subject,
		Conn: w.Conn, First: w.First, Last: w.Last}
	var ok bool
	if e.Phase, ok = phaseOf[w.Phase]; !ok {
		return e, fmt.Sprintf("phase %q is not one of sent, arrived, returned, failed, info", w.Phase)
	}
	if e.Kind, ok = kindOf[w.Kind]; !ok {
		return e, fmt.Sprintf("state kind %q is not one this version knows", w.Kind)
	}
	if w.PDU != nil {
		k, ok := pduOf[w.PDU.Kind]
		if !ok {
			return e, fmt.Sprintf("pdu kind %q is not one of http-head, uwsgi-packet, environ, sql", w.PDU.Kind)
		}
		data := w.PDU.Data
		if data == nil {
			data = []byte{}
		}
		e.PDU = &trace.PDU{Kind: k, Data: data}
	}
	return e, ""
}
