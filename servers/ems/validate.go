package ems

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits of the forms. Passwords are capped at 72 bytes because bcrypt reads
// no more (golang.org/x/crypto/bcrypt rejects longer ones).
const (
	MinUsername = 3
	MaxUsername = 30
	MinPassword = 6
	MaxPassword = 72
	MaxName     = 50 // runes, for real names and employee names
	MinAge      = 16
	MaxAge      = 100
	MaxSalary   = 1_000_000_000
)

// CleanUsername trims spaces and checks a username: 3–30 letters, digits or
// @ . + - _ (Django's username characters, ASCII only here).
func CleanUsername(s string) (string, error) {
	s = strings.TrimSpace(s)
	n := len(s)
	if n == 0 {
		return "", Errorf(EINVALID, "username", "请输入用户名", "username is required")
	}
	if n < MinUsername || n > MaxUsername {
		return "", Errorf(EINVALID, "username", "用户名长度须为 3–30 个字符", "username must be 3–30 characters")
	}
	for i := 0; i < n; i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("@.+-_", c) >= 0) {
			return "", Errorf(EINVALID, "username", "用户名只能包含字母、数字和 @ . + - _", "username may contain only letters, digits and @ . + - _")
		}
	}
	return s, nil
}

// CheckPassword checks a new password and its confirmation.
func CheckPassword(pw, again string) error {
	switch {
	case pw == "":
		return Errorf(EINVALID, "password", "请输入密码", "password is required")
	case len(pw) < MinPassword:
		return Errorf(EINVALID, "password", "密码至少 6 个字符", "password must be at least 6 characters")
	case len(pw) > MaxPassword:
		return Errorf(EINVALID, "password", "密码最多 72 个字节", "password must be at most 72 bytes")
	case !utf8.ValidString(pw):
		return Errorf(EINVALID, "password", "密码包含无效字符", "password is not valid UTF-8")
	case pw != again:
		return Errorf(EINVALID, "password2", "两次输入的密码不一致", "the two passwords differ")
	}
	return nil
}

// CleanName trims and checks a person's name (real name or employee name):
// 1–50 characters of any script, no control characters. field names the form
// field for the error.
func CleanName(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", Errorf(EINVALID, field, "请输入姓名", "name is required")
	}
	if !utf8.ValidString(s) {
		return "", Errorf(EINVALID, field, "姓名包含无效字符", "name is not valid UTF-8")
	}
	if utf8.RuneCountInString(s) > MaxName {
		return "", Errorf(EINVALID, field, "姓名最多 50 个字符", "name must be at most 50 characters")
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return "", Errorf(EINVALID, field, "姓名包含无效字符", "name contains a control character")
		}
	}
	return s, nil
}

// Validate checks an employee before it is stored and normalizes its name.
func (e *Employee) Validate() error {
	name, err := CleanName("name", e.Name)
	if err != nil {
		return err
	}
	e.Name = name
	if e.Salary < 0 || e.Salary > MaxSalary {
		return Errorf(EINVALID, "salary", "工资须在 0 到 1000000000 之间", "salary must be between 0 and 1000000000")
	}
	if e.Age < MinAge || e.Age > MaxAge {
		return Errorf(EINVALID, "age", "年龄须在 16 到 100 之间", "age must be between 16 and 100")
	}
	return nil
}
