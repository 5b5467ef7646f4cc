package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"webflow-lab/servers/ems"
)

var _ ems.SessionStore = (*DB)(nil)

// LoadSession returns the data of a live session (Django's
// backends.db.SessionStore.load).
func (db *DB) LoadSession(ctx context.Context, id string) (map[string]string, bool, error) {
	var raw string
	err := db.queryRow(ctx, "SELECT data FROM sessions WHERE id = ? AND expire_at > ?", []any{id, now()}, &raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	data := map[string]string{}
	if err := json.Unmarshal([]byte(raw), &data); err != nil {
		return nil, false, nil // a corrupt session is no session, as in Django
	}
	return data, true, nil
}

// SaveSession stores data under id until expires.
func (db *DB) SaveSession(ctx context.Context, id string, data map[string]string, expires time.Time) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return err
	}
	_, err = db.exec(ctx, "INSERT INTO sessions (id, data, expire_at) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data, expire_at = excluded.expire_at",
		[]any{id, Secret(raw), expires.UnixMilli()})
	return err
}

// DeleteSession forgets id.
func (db *DB) DeleteSession(ctx context.Context, id string) error {
	_, err := db.exec(ctx, "DELETE FROM sessions WHERE id = ?", []any{id})
	return err
}

// DeleteExpiredSessions removes expired sessions (Django's clearsessions).
func (db *DB) DeleteExpiredSessions(ctx context.Context) (int64, error) {
	res, err := db.exec(ctx, "DELETE FROM sessions WHERE expire_at <= ?", []any{now()})
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
