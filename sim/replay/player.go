package replay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"webflow-lab/servers/explain"
	"webflow-lab/servers/trace"
	"webflow-lab/sim"
	"webflow-lab/sim/traffic"
)

// A Player plays a Recording back as a running lab shows itself to the
// screen: Watch's subscribers get each event when its recorded time comes
// (scaled by the speed), Snapshot is the lab as it was recorded last before
// that moment, and Do takes the controls a recording can honour. No server
// runs. Run drives its clock; until Run is called it stands at the start.
// A Player is safe for concurrent use.
type Player struct {
	rec    *Recording
	broker *trace.Broker
	start  step   // the entries before the first event: the lab at 0
	steps  []step // then one for each event (with what its checkpoint wrote)
	raw    map[int][]byte

	mu       sync.Mutex
	running  bool
	speed    float64
	paused   bool
	next     int           // the next step to play
	posBase  time.Duration // the position at wallBase
	wallBase time.Time
	barrier  bool   // the last step was a checkpoint: wait a moment before the next
	snap     []byte // the snapshot at the position, as JSON
	configs  map[string]Config
	ended    chan struct{}
	isEnded  bool
	wake     chan struct{}
}

// A step is entries played at one moment, together: an event and the
// snapshot and configs its checkpoint wrote, so a reader that looks at the
// snapshot when it sees the event sees the one recorded with it.
type step struct {
	at          time.Duration
	first, last int // entries [first, last)
	checkpoint  bool
}

// MaxSpeed is the fastest a recording plays: a thousand times real time.
const MaxSpeed = 1000

// Open reads the recording at path and returns a Player for it.
func Open(path string) (*Player, error) {
	rec, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	return New(rec)
}

// New returns a Player of rec at its start, at speed 1, not yet running.
func New(rec *Recording) (*Player, error) {
	p := &Player{rec: rec, broker: trace.NewBroker(), raw: map[int][]byte{}, speed: 1,
		ended: make(chan struct{}), wake: make(chan struct{}, 1)}
	for i, en := range rec.Entries {
		if en.Snapshot != nil {
			b, err := json.Marshal(portable(*en.Snapshot))
			if err != nil {
				return nil, fmt.Errorf("replay: snapshot at %v: %w", en.At, err)
			}
			p.raw[i] = b
		}
	}
	i := 0
	for i < len(rec.Entries) && rec.Entries[i].Event == nil {
		i++
	}
	p.start = step{first: 0, last: i}
	var lastCheck time.Duration
	for i < len(rec.Entries) {
		en := rec.Entries[i]
		st := step{at: en.At, first: i, last: i + 1}
		if en.Event != nil {
			e := *en.Event
			st.checkpoint = checkpoint(&e, &lastCheck)
			if st.checkpoint { // what its look wrote has its time
				for st.last < len(rec.Entries) && rec.Entries[st.last].Event == nil && rec.Entries[st.last].At == en.At {
					st.last++
				}
			}
		}
		p.steps = append(p.steps, st)
		i = st.last
	}
	p.rewind()
	return p, nil
}

// rewind puts the player at 0; the caller holds p.mu (or owns p).
func (p *Player) rewind() {
	p.next, p.posBase, p.barrier, p.snap = 0, 0, false, nil
	p.configs = map[string]Config{}
	p.wallBase = time.Now()
	p.apply(p.start)
	if p.isEnded {
		p.ended, p.isEnded = make(chan struct{}), false
	}
}

// apply plays a step's entries; the caller holds p.mu, so that Snapshot
// and Configs see the whole step or none of it.
func (p *Player) apply(st step) {
	for i := st.first; i < st.last; i++ {
		en := p.rec.Entries[i]
		switch {
		case en.Event != nil:
			p.broker.Record(*en.Event)
		case en.Snapshot != nil:
			p.snap = p.raw[i]
		case en.Config != nil:
			if en.Config.Gone {
				delete(p.configs, en.Config.Path)
			} else {
				p.configs[en.Config.Path] = *en.Config
			}
		}
	}
}

// UserOf names the virtual user a recorded connection came from, as
// sim.Lab.UserOf does: N for 127.0.N.1 ("user N"), 0 for anyone else. A
// recording made where all users shared 127.0.0.1 (macOS) cannot tell them
// apart: the source ports the lab knew then are not in the file.
func (p *Player) UserOf(conn string) int {
	client, _, _ := strings.Cut(conn, "→")
	var anyone *traffic.Users // the address alone
	return anyone.Who(client)
}

// Recording is what the player plays.
func (p *Player) Recording() *Recording { return p.rec }

// Watch subscribes to the played events, as sim.Lab.Watch does to a live
// lab's. The caller must Close it.
func (p *Player) Watch(buffer int) *trace.Subscription {
	if buffer <= 0 {
		buffer = 4096
	}
	return p.broker.Subscribe(buffer)
}

// Snapshot returns the lab as recorded last at or before the playback
// position: a copy of its own, the caller may keep or change it.
func (p *Player) Snapshot() sim.Snapshot {
	p.mu.Lock()
	raw := p.snap
	p.mu.Unlock()
	var s sim.Snapshot
	if raw != nil {
		json.Unmarshal(raw, &s) // it was written by json.Marshal in New
	}
	return s
}

// Configs returns the workspace's config files as they were at the
// playback position, sorted by path.
func (p *Player) Configs() []Config {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Config, 0, len(p.configs))
	for _, k := range slices.Sorted(maps.Keys(p.configs)) {
		out = append(out, p.configs[k])
	}
	return out
}

// Status is where a playback stands.
type Status struct {
	Position time.Duration // on the recording's clock
	Length   time.Duration
	Speed    float64
	Paused   bool
	Ended    bool
}

// Status says where the playback stands.
func (p *Player) Status() Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	return Status{Position: p.position(time.Now()), Length: p.rec.End.At, Speed: p.speed, Paused: p.paused, Ended: p.isEnded}
}

// Position is the playback position on the recording's clock.
func (p *Player) Position() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.position(time.Now())
}

// Ended is closed when the playback reaches the end of the recording (a
// restart makes a new one).
func (p *Player) Ended() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ended
}

// Source is the player as a Source for Record: recording a replay writes
// the file it plays, byte for byte.
func (p *Player) Source() Source {
	return Source{Header: p.rec.Header, Watch: p.Watch, Snapshot: p.Snapshot, Configs: p.Configs,
		Now: p.Position, Lost: End{Skipped: p.rec.End.Skipped, Dropped: p.rec.End.Dropped}}
}

// position is the playback position at wall time now, within the
// recording; the caller holds p.mu.
func (p *Player) position(now time.Time) time.Duration {
	pos := p.posBase
	if p.running && !p.paused {
		pos += time.Duration(float64(now.Sub(p.wallBase)) * p.speed)
	}
	return min(max(pos, 0), p.rec.End.At)
}

// rebase starts counting from now at the current position; the caller
// holds p.mu.
func (p *Player) rebase(now time.Time) {
	p.posBase, p.wallBase = p.position(now), now
}

func (p *Player) poke() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Run plays the recording from the position, on its recorded timing
// scaled by the speed, until ctx ends; at the end of the recording it
// waits there (for a restart). It returns ctx's error. One Run at a time.
func (p *Player) Run(ctx context.Context) error {
	p.mu.Lock()
	if p.running {
		p.mu.Unlock()
		return errors.New("replay: the player is already running")
	}
	p.running, p.wallBase = true, time.Now()
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.rebase(time.Now())
		p.running = false
		p.mu.Unlock()
	}()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		if wait := p.advance(); wait >= 0 {
			timer.Reset(wait)
		} else {
			timer.Stop()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-p.wake:
		case <-timer.C:
		}
	}
}

// advance plays every step that is due and returns how long to wait for
// the next, or -1 to wait until woken (paused, or at the end).
func (p *Player) advance() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	for {
		if p.paused {
			return -1
		}
		pos := p.position(now)
		due := p.rec.End.At
		if p.next < len(p.steps) {
			due = p.steps[p.next].at
		}
		wait := time.Duration(0)
		if pos < due {
			wait = time.Duration(math.Ceil(float64(due-pos) / p.speed))
		}
		if p.barrier {
			// After a checkpoint, the next step waits at least a moment,
			// so whoever reads the snapshot for that checkpoint's event
			// (the screen, a recorder of this replay) does so before the
			// lab moves on; under a fake clock that moment is exact.
			p.barrier = false
			return max(wait, 1)
		}
		if wait > 0 {
			return wait
		}
		if p.next >= len(p.steps) {
			if !p.isEnded {
				p.isEnded = true
				close(p.ended)
			}
			return -1
		}
		st := p.steps[p.next]
		p.apply(st)
		p.next++
		p.barrier = st.checkpoint
	}
}

// Do runs one of the controls a recording honours: "speed 2" (or 0.5, 10x:
// the recorded timing scaled), "pause", "resume", "restart" (from the
// start), "status". Any other command of the lab is refused: nothing runs
// to change.
func (p *Player) Do(ctx context.Context, line string) (sim.Result, error) {
	w := strings.Fields(line)
	if len(w) == 0 || len(w) == 1 && strings.EqualFold(w[0], "status") {
		st := p.Status()
		text := fmt.Sprintf("replay %s of %s at %g×", fmtPos(st.Position), fmtPos(st.Length), st.Speed)
		if st.Paused {
			text += ", paused"
		}
		if st.Ended {
			text += ", at the end"
		}
		return sim.Result{At: time.Now(), Did: explain.T("status", "状态"), Output: text + "\n" + sim.FormatSnapshot(p.Snapshot())}, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	var did explain.Text
	switch cmd := strings.ToLower(w[0]); {
	case cmd == "speed" && len(w) == 2:
		x, ok := parseSpeed(w[1])
		if !ok {
			return sim.Result{}, &explain.Error{
				What: explain.T("replay: speed "+strconv.Quote(w[1]), "replay: speed "+strconv.Quote(w[1])),
				Why: explain.T(fmt.Sprintf("a speed is a number above 0 and at most %d: 1 is as recorded, 0.1 ten times slower", MaxSpeed),
					fmt.Sprintf("速度是大于 0、不超过 %d 的数：1 为录制时的速度，0.1 慢十倍", MaxSpeed)),
				Try: explain.T("speed 0.1, speed 1, speed 10", "speed 0.1、speed 1、speed 10")}
		}
		p.rebase(now)
		p.speed = x
		did = explain.T(fmt.Sprintf("replay at %g× the recorded speed", x), fmt.Sprintf("以录制速度的 %g 倍回放", x))
	case cmd == "pause" && len(w) == 1:
		p.rebase(now)
		p.paused = true
		did = explain.T("replay paused at "+fmtPos(p.posBase), "回放暂停于 "+fmtPos(p.posBase))
	case (cmd == "resume" || cmd == "play") && len(w) == 1:
		if p.paused {
			p.wallBase, p.paused = now, false
		}
		did = explain.T("replay goes on from "+fmtPos(p.posBase), "回放从 "+fmtPos(p.posBase)+" 继续")
	case cmd == "restart" && len(w) == 1:
		p.rewind()
		did = explain.T("replay from the start", "从头回放")
	default:
		return sim.Result{}, refusal(line)
	}
	p.poke()
	return sim.Result{At: now, Did: did}, nil
}

// Commands lists the controls a replay honours, for the screen's ':' line
// (help and completion) in place of sim.Commands.
func Commands() []sim.Command {
	return []sim.Command{
		{Name: "speed", Args: "X", Summary: explain.T("play at X times the recorded speed (0.1 slower, 10 faster)", "以录制速度的 X 倍回放（0.1 更慢，10 更快）"),
			Values: []string{"0.1", "0.5", "1", "2", "10"}},
		{Name: "pause", Summary: explain.T("hold the replay where it is", "暂停回放")},
		{Name: "resume", Summary: explain.T("go on from where it was paused", "从暂停处继续")},
		{Name: "restart", Summary: explain.T("play from the start", "从头回放")},
		{Name: "status", Summary: explain.T("where the replay is, and the lab as recorded then", "回放到了哪里，以及当时录下的实验状态")},
	}
}

func parseSpeed(s string) (float64, bool) {
	s = strings.TrimSuffix(strings.TrimSuffix(strings.ToLower(s), "x"), "×")
	x, err := strconv.ParseFloat(s, 64)
	return x, err == nil && x > 0 && x <= MaxSpeed
}

func fmtPos(d time.Duration) string { return d.Round(time.Millisecond).String() }

// refusal is the answer to a control a recording cannot honour.
func refusal(line string) error {
	q := "`" + strings.TrimSpace(line) + "`"
	return &explain.Error{
		What: explain.T("replay: this is a recording: "+q+" would change a running lab, and nothing runs here",
			"replay: 这是一段录制："+q+" 需要改变正在运行的实验，而这里没有任何东西在运行"),
		Why: explain.T("a replay plays back the events and snapshots recorded from a lab; no server is started",
			"回放只是重放从实验中录下的事件和快照，不会启动任何服务器"),
		Try: explain.T("a replay takes: speed 2, pause, resume, restart, status; to change the lab, run it: webflow-lab serve",
			"回放可用的命令：speed 2、pause、resume、restart、status；要改变实验，请运行它：webflow-lab serve")}
}
