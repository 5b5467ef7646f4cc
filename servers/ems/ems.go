// Package ems is the domain of the Employee Management System (员工管理系统),
// the Django project the course deploys behind uWSGI and nginx.
//
// The layout follows Ben Johnson's WTF Dial: this package holds the domain
// types and rules (Employee, User, Error, validation) and does no I/O;
// ems/sqlite stores them; ems/web is the WSGI application a uWSGI-compatible
// server hosts, as Django's ems_project/wsgi.py is hosted by uWSGI.
//
// What it leaves out compared with the course's Django project: the admin
// site, departments, and an ORM. The deployment behaviour is kept real:
// sessions live per instance or in the shared database, uploads go to
// MEDIA_ROOT and are never served by the app itself, and a stopped database
// gives a 500 page.
package ems

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// An Employee is one row of the employee list (员工列表).
type Employee struct {
	ID      int64
	Name    string // 姓名: any script; Chinese names are the common case
	Salary  int64  // 工资: monthly, in yuan
	Age     int    // 年龄
	Avatar  string // 头像: a path below MEDIA_ROOT ("avatars/3f9c.png"), "" when none
	Created time.Time
	Updated time.Time
}

// A User is an account that can log in (注册 / 登录).
type User struct {
	ID           int64
	Username     string // unique, exact match (as Django's auth on SQLite)
	RealName     string // 真实姓名
	PasswordHash string // bcrypt
	Created      time.Time
}

// Sort columns of the employee list. The store maps each to a fixed column
// name: a column a learner types into ?sort= never becomes SQL text.
const (
	SortID     = "id"
	SortName   = "name"
	SortSalary = "salary"
	SortAge    = "age"
)

// SortColumns lists the sortable columns in the order the list shows them.
var SortColumns = []string{SortID, SortName, SortSalary, SortAge}

// ValidSort reports whether col is one of SortColumns.
func ValidSort(col string) bool {
	for _, c := range SortColumns {
		if c == col {
			return true
		}
	}
	return false
}

// EmployeeFilter selects one page of employees.
type EmployeeFilter struct {
	Sort   string // one of SortColumns; "" means SortID
	Desc   bool
	Offset int
	Limit  int // 0 means no limit
}

// EmployeeService stores employees. ems/sqlite implements it.
type EmployeeService interface {
	FindEmployee(ctx context.Context, id int64) (*Employee, error)
	FindEmployees(ctx context.Context, f EmployeeFilter) ([]*Employee, int, error)
	CreateEmployee(ctx context.Context, e *Employee) error
	UpdateEmployee(ctx context.Context, e *Employee) error
	DeleteEmployee(ctx context.Context, id int64) error
}

// UserService stores accounts. ems/sqlite implements it.
type UserService interface {
	FindUserByUsername(ctx context.Context, username string) (*User, error)
	FindUserByID(ctx context.Context, id int64) (*User, error)
	CreateUser(ctx context.Context, u *User) error
}

// SessionStore keeps session data by session id, like Django's session
// backends: per instance in memory (the cache backend on one box) or in the
// shared database (django.contrib.sessions.backends.db).
type SessionStore interface {
	// LoadSession returns the data of id, or ok=false when there is no live session.
	LoadSession(ctx context.Context, id string) (data map[string]string, ok bool, err error)
	// SaveSession stores data under id until expires.
	SaveSession(ctx context.Context, id string, data map[string]string, expires time.Time) error
	// DeleteSession forgets id.
	DeleteSession(ctx context.Context, id string) error
}

// Error codes, as in WTF Dial's error.go: a code the web layer maps to a
// status, kept apart from the message a learner reads.
const (
	EINVALID     = "invalid"     // bad input: 400, or the form shown again with the message
	ENOTFOUND    = "not_found"   // 404
	ECONFLICT    = "conflict"    // a unique value already taken
	EUNAVAILABLE = "unavailable" // the database is stopped or unreadable: 500
	EINTERNAL    = "internal"
)

// Error is a domain error: a code, the form field it concerns (if any) and a
// message in Chinese and English.
type Error struct {
	Code    string
	Field   string
	Message string // 中文
	English string
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("ems: %s: %s (%s)", e.Field, e.English, e.Code)
	}
	return fmt.Sprintf("ems: %s (%s)", e.English, e.Code)
}

// Errorf returns an *Error for field with the Chinese and English message.
func Errorf(code, field, zh, en string) *Error {
	return &Error{Code: code, Field: field, Message: zh, English: en}
}

// ErrorCode returns the code of err's *Error, EINTERNAL for other errors and
// "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the Chinese message of err's *Error, or a generic one.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "服务器内部错误"
}
