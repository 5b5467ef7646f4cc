package sqlite

import (
	"context"
	"database/sql"

	"webflow-lab/servers/ems"
)

var _ ems.UserService = (*DB)(nil)

const userColumns = "id, username, real_name, password_hash, created_at"

func (db *DB) findUser(ctx context.Context, where string, arg any) (*ems.User, error) {
	q := "SELECT " + userColumns + " FROM users WHERE " + where + " = ?"
	var u ems.User
	var created int64
	err := db.traced(ctx, q, []any{arg}, func(d *sql.DB) error {
		return d.QueryRowContext(ctx, q, arg).Scan(&u.ID, &u.Username, &u.RealName, &u.PasswordHash, &created)
	})
	if err != nil {
		return nil, notFound(err, "用户")
	}
	u.Created = fromMillis(created)
	return &u, nil
}

// FindUserByUsername returns the user named username.
func (db *DB) FindUserByUsername(ctx context.Context, username string) (*ems.User, error) {
	return db.findUser(ctx, "username", username)
}

// FindUserByID returns the user with id.
func (db *DB) FindUserByID(ctx context.Context, id int64) (*ems.User, error) {
	return db.findUser(ctx, "id", id)
}

// CreateUser inserts u (PasswordHash already set) and sets its ID. A taken
// username is an ECONFLICT error on the username field; the UNIQUE
// constraint decides, so two instances registering one name at once cannot
// both win.
func (db *DB) CreateUser(ctx context.Context, u *ems.User) error {
	t := now()
	res, err := db.exec(ctx, "INSERT INTO users (username, real_name, password_hash, created_at) VALUES (?, ?, ?, ?)",
		[]any{u.Username, u.RealName, Secret(u.PasswordHash), t})
	if isUnique(err) {
		return ems.Errorf(ems.ECONFLICT, "username", "用户名已存在", "username taken")
	}
	if err != nil {
		return err
	}
	u.ID, err = res.LastInsertId()
	u.Created = fromMillis(t)
	return err
}
