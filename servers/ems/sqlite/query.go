package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"webflow-lab/servers/ems"
	"webflow-lab/servers/trace"
)

// Secret marks a query argument that must not appear in traces (password
// hashes, session data): the PDU shows '***' instead.
type Secret string

// Value passes the string to the driver unchanged.
func (s Secret) Value() (driver.Value, error) { return string(s), nil }

// A Hop is where a request's queries report and ask: the recorder, the
// lab's points at app→db and db→app, and the request they belong to.
type Hop struct {
	Recorder trace.Recorder // nil: trace.Nop
	Points   *trace.Points  // nil: never armed
	ReqID    string
	Instance string // the app instance running the request ("uwsgi-1")
	Method   string
	Path     string
}

type hopKey struct{}

// WithTrace returns ctx carrying h, which queries run with ctx report to
// (the WSGI environ's Trace and RequestID). Without it, queries report
// nowhere and are never held.
func WithTrace(ctx context.Context, h Hop) context.Context {
	h.Recorder = trace.OrNop(h.Recorder)
	return context.WithValue(ctx, hopKey{}, h)
}

func hopOf(ctx context.Context) Hop {
	if h, ok := ctx.Value(hopKey{}).(Hop); ok {
		return h
	}
	return Hop{Recorder: trace.Nop}
}

// ask asks the lab's point at hop; a fault there is the error a failing
// database gives.
func (h Hop) ask(ctx context.Context, hop trace.Hop) error {
	if !h.Points.Armed() {
		return nil
	}
	err := h.Points.Ask(ctx, trace.Stop{Hop: hop, ReqID: h.ReqID, Instance: h.Instance, Method: h.Method, Path: h.Path})
	var f *trace.Fault
	if errors.As(err, &f) {
		return &ems.Error{Code: ems.EINTERNAL, Message: "数据库错误：disk I/O error", English: "database error: disk I/O error (fault injected by the lab at " + hop.String() + ")"}
	}
	return err
}

// traced runs fn (one statement) under the read lock and reports it: Sent
// before, Returned or Failed after, with the duration in Why and, when
// someone watches, the statement and masked arguments as a PDU.
func (db *DB) traced(ctx context.Context, query string, args []any, fn func(*sql.DB) error) error {
	h := hopOf(ctx)
	// Reasons are built only while someone watches; the statement reads
	// the same in both languages.
	watched := trace.Watched(h.Recorder)
	var summary string
	if watched {
		summary = summarize(query)
		h.Recorder.Record(trace.Event{ReqID: h.ReqID, From: trace.App, To: trace.DB, Instance: h.Instance,
			Phase: trace.Sent, At: trace.Now(), Why: summary, WhyZH: summary})
	}
	start := time.Now()
	err := h.ask(ctx, trace.AppToDB)
	if err == nil {
		err = db.run(fn)
		if err == nil {
			err = h.ask(ctx, trace.DBToApp)
		}
	}
	if !watched {
		return err
	}
	d := time.Since(start)
	why := fmt.Sprintf("%s (%s)", summary, roundDuration(d))
	ev := trace.Event{ReqID: h.ReqID, From: trace.App, To: trace.DB, Instance: h.Instance,
		Phase: trace.Returned, At: trace.Now(), Why: why, WhyZH: why}
	switch {
	case errors.Is(err, sql.ErrNoRows):
		// the database answered: with no row (a username not taken yet),
		// which the app reads as an answer, not as a failure
		ev.Why = fmt.Sprintf("%s (%s): no rows", summary, roundDuration(d))
		ev.WhyZH = fmt.Sprintf("%s（%s）：没有结果行", summary, roundDuration(d))
	case err != nil:
		ev.Phase = trace.Failed
		ev.Why = fmt.Sprintf("%s: %v", summary, err)
		ev.WhyZH = summary + "：" + errZH(err)
	}
	if trace.WantsPDU(h.Recorder, h.ReqID) {
		ev.PDU = &trace.PDU{Kind: trace.SQL, Data: []byte(FormatSQL(query, args, d))}
	}
	h.Recorder.Record(ev)
	return err
}

// errZH words a failed statement's error in Chinese: an *ems.Error's own
// message, else the driver's text after a Chinese prefix.
func errZH(err error) string {
	var e *ems.Error
	if errors.As(err, &e) && e.Message != "" {
		return e.Message
	}
	return "数据库出错：" + err.Error()
}

func (db *DB) run(fn func(*sql.DB) error) error {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.db == nil {
		return ErrStopped
	}
	err := fn(db.db)
	if errors.Is(err, sql.ErrConnDone) || err != nil && strings.Contains(err.Error(), "database is closed") {
		return ErrStopped
	}
	return err
}

func (db *DB) exec(ctx context.Context, query string, args []any) (res sql.Result, err error) {
	err = db.traced(ctx, query, args, func(d *sql.DB) error {
		res, err = d.ExecContext(ctx, query, args...)
		return err
	})
	return res, err
}

func (db *DB) queryRow(ctx context.Context, query string, args []any, dest ...any) error {
	return db.traced(ctx, query, args, func(d *sql.DB) error {
		return d.QueryRowContext(ctx, query, args...).Scan(dest...)
	})
}

func (db *DB) query(ctx context.Context, query string, args []any, scan func(*sql.Rows) error) error {
	return db.traced(ctx, query, args, func(d *sql.DB) error {
		rows, err := d.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}

// summarize squeezes a statement's whitespace and cuts it to one short line.
func summarize(q string) string {
	s := strings.Join(strings.Fields(q), " ")
	if len(s) > 72 {
		s = s[:69] + "..."
	}
	return s
}

func roundDuration(d time.Duration) time.Duration {
	switch {
	case d > time.Millisecond:
		return d.Round(10 * time.Microsecond)
	case d > time.Microsecond:
		return d.Round(time.Microsecond)
	}
	return d
}

// FormatSQL renders a statement and its arguments the way the inspector
// shows them:
//
//	SELECT id FROM users WHERE username = ?
//	-- args: ['alice']
//	-- took: 52µs
//
// Secret arguments print as '***'.
func FormatSQL(query string, args []any, took time.Duration) string {
	var b strings.Builder
	b.WriteString(strings.Join(strings.Fields(query), " "))
	b.WriteString("\n-- args: [")
	for i, a := range args {
		if i > 0 {
			b.WriteString(", ")
		}
		switch v := a.(type) {
		case Secret:
			b.WriteString("'***'")
		case string:
			b.WriteString(strconv.Quote(v))
		case nil:
			b.WriteString("NULL")
		default:
			fmt.Fprint(&b, v)
		}
	}
	b.WriteString("]\n-- took: ")
	b.WriteString(roundDuration(took).String())
	b.WriteString("\n")
	return b.String()
}

// isUnique reports whether err is a UNIQUE constraint failure.
func isUnique(err error) bool {
	var c interface{ Code() int }
	if errors.As(err, &c) {
		return c.Code() == 2067 || c.Code() == 1555 // SQLITE_CONSTRAINT_UNIQUE, _PRIMARYKEY
	}
	return false
}

// notFound turns sql.ErrNoRows into an ems ENOTFOUND error.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ems.Errorf(ems.ENOTFOUND, "", what+"不存在", what+" not found")
	}
	return err
}
