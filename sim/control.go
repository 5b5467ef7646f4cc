package sim

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"webflow-lab/servers/explain"
	"webflow-lab/servers/proxy/config"
)

// The lab's servers are goroutines in one process, yet a learner in a
// second terminal types the real commands — `webflow-lab proxy -s reload`,
// `webflow-lab uwsgi --stop workspace/uwsgi-1.pid`, `webflow-lab db stop` —
// and each must act on the one component it names, on Linux, macOS and
// Windows alike. Unix signals cannot do that (one process, and Windows has
// none), so the running lab listens on a loopback control endpoint and
// writes where to find it into its workspace:
//
//	<workspace>/.webflow-lab/control.json   {"pid":…, "addr":"127.0.0.1:…", "token":"…"}
//
// readable only by its owner. A command finds the file (from the pidfile
// it was given, or the workspace), checks that its pid is the pidfile's,
// and sends its words with the token; the lab runs them through DoArgs and
// answers with the Result or the error. The file goes when the lab stops.

// ControlFile is the control endpoint's address file.
type ControlFile struct {
	PID   int    `json:"pid"`
	Addr  string `json:"addr"`
	Token string `json:"token"`
}

// ControlPath is where a workspace's control file lives.
func ControlPath(dir string) string { return filepath.Join(dir, ".webflow-lab", "control.json") }

type controlServer struct {
	lab   *Lab
	ln    net.Listener
	token string
	path  string
	wg    sync.WaitGroup
	ctx   context.Context
	stop  context.CancelFunc
}

func startControl(l *Lab) (*controlServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("lab: control endpoint: %w", err)
	}
	var b [16]byte
	rand.Read(b[:])
	c := &controlServer{lab: l, ln: ln, token: hex.EncodeToString(b[:]), path: ControlPath(l.dir)}
	c.ctx, c.stop = context.WithCancel(context.Background())
	data, _ := json.Marshal(ControlFile{PID: os.Getpid(), Addr: ln.Addr().String(), Token: c.token})
	if err := os.MkdirAll(filepath.Dir(c.path), 0o700); err != nil {
		ln.Close()
		return nil, err
	}
	if err := os.WriteFile(c.path, data, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	c.wg.Add(1)
	go c.serve()
	return c, nil
}

func (c *controlServer) serve() {
	defer c.wg.Done()
	for {
		conn, err := c.ln.Accept()
		if err != nil {
			return
		}
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			c.handle(conn)
		}()
	}
}

// ctlRequest and ctlResponse are the wire format: one JSON line each way.
type ctlRequest struct {
	Token string   `json:"token"`
	Args  []string `json:"args"`
}

type ctlResponse struct {
	Result *Result    `json:"result,omitempty"`
	Error  *wireError `json:"error,omitempty"`
}

type wireError struct {
	What  explain.Text `json:"what"`
	Where string       `json:"where,omitempty"`
	Why   explain.Text `json:"why"`
	Try   explain.Text `json:"try"`
	Said  string       `json:"said,omitempty"`
}

// A RemoteError is a control the running lab refused, as a command typed
// in another terminal receives it: the explanation, and Said, the line the
// real server prints on the terminal for the same failure (`nginx: [emerg]
// unexpected "}" in …/conf.d/ems.conf:20`), "" when it prints none.
type RemoteError struct {
	Err  *explain.Error
	Said string
}

func (e *RemoteError) Error() string { return e.Err.Error() }
func (e *RemoteError) Unwrap() error { return e.Err }

func (c *controlServer) handle(conn net.Conn) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	var req ctlRequest
	sc := bufio.NewScanner(conn)
	sc.Buffer(make([]byte, 4096), 64<<10)
	if !sc.Scan() || json.Unmarshal(sc.Bytes(), &req) != nil ||
		subtle.ConstantTimeCompare([]byte(req.Token), []byte(c.token)) != 1 {
		return // not ours: say nothing
	}
	// A graceful stop may wait for requests in flight; the client waits too.
	conn.SetDeadline(time.Now().Add(2 * time.Minute))
	ctx, cancel := context.WithTimeout(c.ctx, 90*time.Second)
	defer cancel()
	r, err := c.lab.DoArgs(ctx, req.Args)
	var resp ctlResponse
	if err != nil {
		resp.Error = toWire(err)
	} else {
		resp.Result = &r
	}
	data, _ := json.Marshal(resp)
	conn.Write(append(data, '\n'))
}

func toWire(err error) *wireError {
	var e *explain.Error
	var said string
	var ne *config.NginxError
	if errors.As(err, &ne) {
		said = "nginx: [" + ne.Level + "] " + ne.Error()
	}
	if errors.As(err, &e) {
		return &wireError{What: e.What, Where: e.Where, Why: e.Why, Try: e.Try, Said: said}
	}
	return &wireError{What: explain.T(err.Error(), err.Error()), Said: said}
}

func (c *controlServer) close() error {
	c.stop()
	err := c.ln.Close()
	c.wg.Wait()
	os.Remove(c.path)
	os.Remove(filepath.Dir(c.path)) // only when empty: a backup may live there
	return err
}

// ErrNoLab is returned by Send when no running lab answers for a workspace.
var ErrNoLab = errors.New("lab: no running lab for this workspace")

// FindControl looks for a running lab's control file in dir and the
// folders above it (a pidfile's folder is the workspace or below it). When
// pid is not 0, the file must name that pid: a pidfile written by another
// process (a real uWSGI, a standalone server) is not the lab's.
func FindControl(dir string, pid int) (ControlFile, string, bool) {
	dir, _ = filepath.Abs(dir)
	for range 4 {
		path := ControlPath(dir)
		if b, err := os.ReadFile(path); err == nil {
			var cf ControlFile
			if json.Unmarshal(b, &cf) == nil && cf.Addr != "" && (pid == 0 || cf.PID == pid) {
				return cf, filepath.Dir(filepath.Dir(path)), true
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return ControlFile{}, "", false
}

// Send runs args on the lab whose control file is cf, as a command typed
// in another terminal does. A stale file (the lab died without removing
// it) is ErrNoLab.
func Send(ctx context.Context, cf ControlFile, args []string) (Result, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", cf.Addr)
	if err != nil {
		return Result{}, fmt.Errorf("%w (%v)", ErrNoLab, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	data, _ := json.Marshal(ctlRequest{Token: cf.Token, Args: args})
	if _, err := conn.Write(append(data, '\n')); err != nil {
		return Result{}, err
	}
	sc := bufio.NewScanner(conn)
	sc.Buffer(make([]byte, 4096), 4<<20)
	if !sc.Scan() {
		return Result{}, fmt.Errorf("%w: the lab closed the connection without an answer", ErrNoLab)
	}
	var resp ctlResponse
	if err := json.Unmarshal(sc.Bytes(), &resp); err != nil {
		return Result{}, fmt.Errorf("lab: a garbled answer: %v", err)
	}
	if resp.Error != nil {
		w := resp.Error
		return Result{}, &RemoteError{Err: &explain.Error{What: w.What, Where: w.Where, Why: w.Why, Try: w.Try}, Said: w.Said}
	}
	if resp.Result == nil {
		return Result{}, errors.New("lab: an empty answer")
	}
	return *resp.Result, nil
}
