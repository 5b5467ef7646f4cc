package sqlite

import (
	"database/sql"
	"fmt"
)

// migrations are applied in order, each once, recorded in schema_migrations
// (Django's django_migrations plays the same role). Append; never edit.
var migrations = []string{
	`CREATE TABLE users (
		id            INTEGER PRIMARY KEY AUTOINCREMENT,
		username      TEXT NOT NULL UNIQUE,
		real_name     TEXT NOT NULL,
		password_hash TEXT NOT NULL,
		created_at    INTEGER NOT NULL
	)`,
	`CREATE TABLE employees (
		id         INTEGER PRIMARY KEY AUTOINCREMENT,
		name       TEXT NOT NULL,
		salary     INTEGER NOT NULL,
		age        INTEGER NOT NULL,
		avatar     TEXT NOT NULL DEFAULT '',
		created_at INTEGER NOT NULL,
		updated_at INTEGER NOT NULL
	)`,
	`CREATE INDEX employees_name ON employees (name)`,
	`CREATE TABLE sessions (
		id        TEXT PRIMARY KEY,
		data      TEXT NOT NULL,
		expire_at INTEGER NOT NULL
	)`,
	`CREATE INDEX sessions_expire_at ON sessions (expire_at)`,
	`CREATE TABLE settings (
		key   TEXT PRIMARY KEY,
		value TEXT NOT NULL
	)`,
}

// migrate applies the migrations not applied yet, in one IMMEDIATE
// transaction, so two instances starting on one file do not race.
func migrate(db *sql.DB) error {
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		applied_at INTEGER NOT NULL
	)`); err != nil {
		return fmt.Errorf("sqlite: create schema_migrations: %w", err)
	}
	tx, err := db.Begin()
	if err != nil {
		return fmt.Errorf("sqlite: begin migration: %w", err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRow("SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil {
		return fmt.Errorf("sqlite: read schema_migrations: %w", err)
	}
	for i := n; i < len(migrations); i++ {
		if _, err := tx.Exec(migrations[i]); err != nil {
			return fmt.Errorf("sqlite: migration %d: %w", i+1, err)
		}
		if _, err := tx.Exec("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", i+1, now()); err != nil {
			return fmt.Errorf("sqlite: record migration %d: %w", i+1, err)
		}
	}
	return tx.Commit()
}
