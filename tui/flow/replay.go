package flow

import (
	"time"

	"webflow-lab/servers/trace"
)

// Nodes of the topology a request visits. An instance's node is its name
// ("uwsgi-1"); the app inside it is AppOf(name).
const (
	NodeBrowser = "browser"
	NodeProxy   = "proxy"
	NodeDB      = "db"
)

// AppOf is the node of the app (the EMS) inside instance inst.
func AppOf(inst string) string { return "app@" + inst }

// A Stop is a node a request was at, from Arrive to Leave (real trace times).
type Stop struct {
	Node          string
	Arrive, Leave time.Duration
}

// Stops lists where the request has been so far, in order, merging
// consecutive steps at one node. A request served from disk goes browser →
// proxy → browser: it turns back at the proxy.
func (r *Request) Stops() []Stop {
	stops := []Stop{{Node: NodeBrowser, Arrive: r.Start, Leave: r.Start}}
	at := func(node string, t time.Duration) {
		last := &stops[len(stops)-1]
		if last.Node == node {
			last.Leave = max(last.Leave, t)
			return
		}
		stops = append(stops, Stop{Node: node, Arrive: t, Leave: t})
	}
	for _, st := range r.Steps {
		switch {
		case st.From == trace.Browser && st.To == trace.Proxy:
			at(NodeProxy, st.At)
		case st.From == trace.Browser && st.To == trace.Uwsgi && isInstance(st.Instance):
			at(st.Instance, st.At)
		case st.From == trace.Proxy && st.To == trace.Uwsgi && st.Phase == trace.Arrived && isInstance(st.Instance):
			at(st.Instance, st.At)
		case st.From == trace.Proxy && (st.Phase == trace.Sent || st.Phase == trace.Failed || st.Phase == trace.Info):
			at(NodeProxy, st.At)
		case st.From == trace.Uwsgi && st.To == trace.App && isInstance(st.Instance):
			at(AppOf(st.Instance), st.At)
		case st.From == trace.App && st.To == trace.DB && isInstance(st.Instance):
			if st.Phase == trace.Sent {
				at(NodeDB, st.At)
			} else {
				at(NodeDB, st.At)
				at(AppOf(st.Instance), st.At)
			}
		case st.From == trace.App && st.To == trace.Uwsgi && isInstance(st.Instance):
			at(st.Instance, st.At)
		case st.From == trace.Uwsgi && st.To == trace.Proxy:
			if isInstance(st.Instance) && len(stops) > 0 && stops[len(stops)-1].Node != NodeProxy {
				at(st.Instance, st.At)
			}
			at(NodeProxy, st.At)
		case st.To == trace.Proxy: // from disk or a backend
			at(NodeProxy, st.At)
		case st.To == trace.Browser:
			at(NodeBrowser, st.At)
		}
	}
	return stops
}

// Rank orders nodes from the browser inwards, so a move to a lower rank is
// the answer going back.
func Rank(node string) int {
	switch {
	case node == NodeBrowser:
		return 0
	case node == NodeProxy:
		return 1
	case node == NodeDB:
		return 4
	case len(node) > 4 && node[:4] == "app@":
		return 3
	}
	return 2
}

// Replay turns real hop times into screen time: Scale real time per screen
// time at speed 1×, each move lasting at least MinMove and at most MaxMove,
// each wait at a node at most MaxDwell.
type Replay struct {
	Scale    float64 // screen seconds per real second: 1000 shows 1 ms as 1 s
	MinMove  time.Duration
	MaxMove  time.Duration
	MaxDwell time.Duration
}

// DefaultReplay shows 1 ms of real time as 1 s, each move for ⅓ s to 1½ s.
var DefaultReplay = Replay{Scale: 1000, MinMove: 330 * time.Millisecond, MaxMove: 1500 * time.Millisecond,
	MaxDwell: 1500 * time.Millisecond}

func (p Replay) scale(d time.Duration, lo, hi time.Duration) time.Duration {
	s := time.Duration(float64(d) * p.Scale)
	return min(max(s, lo), hi)
}

// Pos is where a request is drawn at one moment.
type Pos struct {
	From, To string  // the edge; From == To while it waits at a node
	Frac     float64 // 0 at From, 1 at To
	Back     bool    // going back towards the browser
	Done     bool    // the replay is over (the answer reached the browser)
}

// At returns where stops put the request t after its replay began, and the
// screen time at which the replay of these stops ends. A request whose
// answer has not come yet waits at its last stop.
func (p Replay) At(stops []Stop, t time.Duration, done bool) (Pos, time.Duration) {
	var clock time.Duration
	pos := Pos{From: stops[0].Node, To: stops[0].Node}
	found := false
	for k := 0; k < len(stops); k++ {
		s := stops[k]
		dwell := p.scale(s.Leave-s.Arrive, 0, p.MaxDwell)
		if !found && t < clock+dwell {
			pos, found = Pos{From: s.Node, To: s.Node, Back: k > 0 && Rank(s.Node) < Rank(stops[k-1].Node)}, true
		}
		clock += dwell
		if k+1 == len(stops) {
			break
		}
		n := stops[k+1]
		move := p.scale(n.Arrive-s.Leave, p.MinMove, p.MaxMove)
		if !found && t < clock+move {
			pos = Pos{From: s.Node, To: n.Node, Frac: float64(t-clock) / float64(move), Back: Rank(n.Node) < Rank(s.Node)}
			found = true
		}
		clock += move
	}
	if !found {
		last := stops[len(stops)-1]
		pos = Pos{From: last.Node, To: last.Node, Done: done,
			Back: len(stops) > 1 && Rank(last.Node) < Rank(stops[len(stops)-2].Node)}
	}
	return pos, clock
}

// Bounds lists the screen times at which the replay reaches each stop, for
// single-stepping.
func (p Replay) Bounds(stops []Stop) []time.Duration {
	var out []time.Duration
	var clock time.Duration
	for k := 0; k+1 < len(stops); k++ {
		s, n := stops[k], stops[k+1]
		clock += p.scale(s.Leave-s.Arrive, 0, p.MaxDwell)
		clock += p.scale(n.Arrive-s.Leave, p.MinMove, p.MaxMove)
		out = append(out, clock)
	}
	return out
}
