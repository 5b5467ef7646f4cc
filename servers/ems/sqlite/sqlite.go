// Package sqlite stores the EMS in a SQLite file through database/sql and the
// pure-Go driver modernc.org/sqlite.
//
// A Django deployment talks to a database server (the course uses MySQL); the
// lab uses one SQLite file per "database", opened by every instance that
// shares it. WAL mode lets the instances read while one writes, and a busy
// timeout makes concurrent writers wait instead of failing.
//
// Stop and Start play the database server's `service mysqld stop/start`:
// while stopped, every query fails with ErrStopped, the app answers 500 and
// logs "数据库服务未启动"; after Start it works again with nothing lost.
//
// Every statement is parameterized (no SQL is ever built from input) and
// reports a trace event App → DB with its text, its arguments (secrets
// masked) and its duration.
//
// What it leaves out: a network protocol (SQLite is in-process), users and
// grants, and replication.
package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"webflow-lab/servers/ems"
	"webflow-lab/servers/explain"
)

// ErrStopped is returned by every query while the database is stopped.
var ErrStopped = &ems.Error{
	Code:    ems.EUNAVAILABLE,
	Message: "数据库服务未启动",
	English: "database service not started",
}

// DB is one SQLite database file and its connection pool.
type DB struct {
	path string

	mu     sync.RWMutex // queries hold it for reading; Stop/Start/Close for writing
	db     *sql.DB      // nil while stopped or closed
	closed bool
}

// Open opens (creating if needed) the database file at path, switches it to
// WAL mode and applies the migrations not yet applied.
func Open(path string) (*DB, error) {
	db := &DB{path: path}
	if err := db.Start(); err != nil {
		return nil, err
	}
	return db, nil
}

// Path returns the database file's path.
func (db *DB) Path() string { return db.path }

// dsn is the driver's connection string: every connection gets a busy timeout
// (wait up to 5 s for another instance's write lock instead of failing with
// SQLITE_BUSY), WAL journaling, foreign keys, and BEGIN IMMEDIATE for
// transactions so a read never has to be upgraded to a write under contention.
func (db *DB) dsn() string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	return "file:" + db.path + "?" + q.Encode()
}

// Start opens the connection pool and migrates, like starting the database
// service. Starting a started database does nothing.
func (db *DB) Start() error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.closed {
		return errors.New("sqlite: database closed")
	}
	if db.db != nil {
		return nil
	}
	if fi, err := os.Stat(db.path); err == nil && fi.IsDir() {
		return db.openError(fmt.Errorf("%s is a directory", db.path))
	}
	sdb, err := sql.Open("sqlite", db.dsn())
	if err != nil {
		return db.openError(err)
	}
	sdb.SetMaxOpenConns(8)
	sdb.SetMaxIdleConns(8)
	if err := migrate(sdb); err != nil {
		sdb.Close()
		return db.openError(err)
	}
	db.db = sdb
	return nil
}

func (db *DB) openError(err error) error {
	return &explain.Error{
		What:  explain.T("ems: cannot open the database", "ems: 无法打开数据库"),
		Where: db.path,
		Why:   explain.T(err.Error(), err.Error()),
		Try: explain.T("check EMS_DATABASE and that its folder exists and is writable",
			"检查 EMS_DATABASE 的路径，以及所在目录是否存在、可写"),
		Err: err,
	}
}

// Stop closes the pool after in-flight queries finish; until Start, queries
// fail with ErrStopped. Stopping a stopped database does nothing.
func (db *DB) Stop() error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.db == nil {
		return nil
	}
	err := db.db.Close()
	db.db = nil
	return err
}

// Stopped reports whether the database is stopped.
func (db *DB) Stopped() bool {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return db.db == nil
}

// Close stops the database for good.
func (db *DB) Close() error {
	err := db.Stop()
	db.mu.Lock()
	db.closed = true
	db.mu.Unlock()
	return err
}

// IntegrityCheck runs PRAGMA integrity_check and returns its first row ("ok"
// for a healthy file).
func (db *DB) IntegrityCheck(ctx context.Context) (string, error) {
	var res string
	err := db.queryRow(ctx, "PRAGMA integrity_check", nil, &res)
	return res, err
}

// SecretKey returns the database's SECRET_KEY, generating and storing one on
// first use. Every instance that opens the same file gets the same key, as
// Django instances share one settings.py.
func (db *DB) SecretKey(ctx context.Context) (string, error) {
	var b [32]byte
	rand.Read(b[:])
	if _, err := db.exec(ctx, "INSERT OR IGNORE INTO settings (key, value) VALUES ('secret_key', ?)",
		[]any{Secret(hex.EncodeToString(b[:]))}); err != nil {
		return "", err
	}
	var key string
	err := db.queryRow(ctx, "SELECT value FROM settings WHERE key = 'secret_key'", nil, &key)
	return key, err
}

func now() int64 { return time.Now().UnixMilli() }

func fromMillis(ms int64) time.Time { return time.UnixMilli(ms) }
