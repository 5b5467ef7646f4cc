package tui

import (
	"context"
	"strings"

	"webflow-lab/sim/replay"
	"webflow-lab/tui/snap"
)

// ReplayLab adapts a recording's Player (sim/replay) to Lab, so the screen
// shows a recorded run as it shows a running lab: the same events on their
// recorded timing, the snapshot recorded last, and the controls a recording
// honours (speed, pause, resume, restart, status). Every other control is
// refused by the Player with a learner-facing error that says why. The
// snapshot names the recording (file, position, speed) for the header.
//
// The Player's clock (Player.Run) belongs to whoever opened it.
type ReplayLab struct {
	p    *replay.Player
	file string
}

// NewReplayLab wraps p, which plays file.
func NewReplayLab(p *replay.Player, file string) *ReplayLab { return &ReplayLab{p: p, file: file} }

// Snapshot is the lab as recorded last before the playback position, and
// where the playback stands.
func (r *ReplayLab) Snapshot() snap.Snapshot {
	s := fromSim(r.p.Snapshot(), "", nil)
	st := r.p.Status()
	h := r.p.Recording().Header
	s.Recording = &snap.Recording{File: r.file, Created: h.Created, Traffic: h.Traffic, Position: st.Position,
		Length: st.Length, Speed: st.Speed, Paused: st.Paused, Ended: st.Ended}
	return s
}

// Watch subscribes to the played events.
func (r *ReplayLab) Watch(buffer int) Watcher { return subscription{r.p.Watch(buffer)} }

// Do runs a control of the recording, or returns the Player's refusal.
func (r *ReplayLab) Do(ctx context.Context, command string) (snap.Result, error) {
	res, err := r.p.Do(ctx, command)
	if err != nil {
		return snap.Result{}, err
	}
	return fromResult(res), nil
}

// Commands lists the controls a recording honours.
func (r *ReplayLab) Commands() []snap.Command {
	var out []snap.Command
	for _, c := range replay.Commands() {
		out = append(out, snap.Command{Name: c.Name, Args: c.Args, Summary: c.Summary, Values: c.Values})
	}
	return out
}

// Complete completes a command name, then its first argument's words.
func (r *ReplayLab) Complete(line string) []string {
	words := strings.Fields(line)
	var out []string
	if len(words) == 0 || len(words) == 1 && !strings.HasSuffix(line, " ") {
		for _, c := range replay.Commands() {
			if len(words) == 0 || strings.HasPrefix(c.Name, words[0]) {
				out = append(out, c.Name)
			}
		}
		return out
	}
	for _, c := range replay.Commands() {
		if c.Name == words[0] {
			for _, v := range c.Values {
				out = append(out, c.Name+" "+v)
			}
		}
	}
	return out
}

// UserOf names a recorded connection's virtual user.
func (r *ReplayLab) UserOf(conn string) int { return r.p.UserOf(conn) }

var _ Lab = (*ReplayLab)(nil)
