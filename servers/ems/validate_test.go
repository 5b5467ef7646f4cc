package ems

import (
	"strings"
	"testing"
)

func TestCleanUsername(t *testing.T) {
	tests := []struct {
		name, in, want, field string
	}{
		{"plain", "alice", "alice", ""},
		{"trimmed", "  bob_1 ", "bob_1", ""},
		{"email-like", "a.b+c@d-e", "a.b+c@d-e", ""},
		{"empty", "  ", "", "username"},
		{"short", "ab", "", "username"},
		{"long", strings.Repeat("x", 31), "", "username"},
		{"sql", "a' OR '1'='1", "", "username"},
		{"html", "<script>", "", "username"},
		{"chinese", "张三丰", "", "username"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CleanUsername(tt.in)
			if tt.field != "" {
				e, ok := err.(*Error)
				if !ok || e.Field != tt.field || e.Code != EINVALID {
					t.Fatalf("CleanUsername(%q) error = %v, want EINVALID on %q", tt.in, err, tt.field)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("CleanUsername(%q) = %q, %v; want %q, nil", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestCheckPassword(t *testing.T) {
	tests := []struct {
		name, pw, again, field string
	}{
		{"ok", "secret1", "secret1", ""},
		{"empty", "", "", "password"},
		{"short", "abc", "abc", "password"},
		{"long", strings.Repeat("p", 73), strings.Repeat("p", 73), "password"},
		{"mismatch", "secret1", "secret2", "password2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckPassword(tt.pw, tt.again)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			if e, ok := err.(*Error); !ok || e.Field != tt.field {
				t.Fatalf("got %v, want an error on %q", err, tt.field)
			}
		})
	}
}

func TestEmployeeValidate(t *testing.T) {
	tests := []struct {
		name  string
		e     Employee
		field string
	}{
		{"chinese name", Employee{Name: " 张三 ", Salary: 8000, Age: 30}, ""},
		{"no name", Employee{Name: "", Salary: 1, Age: 30}, "name"},
		{"control char", Employee{Name: "a\x00b", Salary: 1, Age: 30}, "name"},
		{"too long", Employee{Name: strings.Repeat("王", 51), Salary: 1, Age: 30}, "name"},
		{"negative salary", Employee{Name: "李四", Salary: -1, Age: 30}, "salary"},
		{"too young", Employee{Name: "李四", Salary: 1, Age: 15}, "age"},
		{"too old", Employee{Name: "李四", Salary: 1, Age: 101}, "age"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := tt.e
			err := e.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				if e.Name != "张三" {
					t.Fatalf("got name %q, want %q (trimmed)", e.Name, "张三")
				}
				return
			}
			if e, ok := err.(*Error); !ok || e.Field != tt.field {
				t.Fatalf("got %v, want an error on %q", err, tt.field)
			}
		})
	}
}

// FuzzCleanName checks that cleaning is idempotent: a name that passes comes
// back unchanged when cleaned again, and never carries a control character.
func FuzzCleanName(f *testing.F) {
	for _, s := range []string{"张三", " Alice ", "<b>x</b>", "a\x00", "\xff", "王" + strings.Repeat("二", 60)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := CleanName("name", s)
		if err != nil {
			return
		}
		again, err := CleanName("name", got)
		if err != nil || again != got {
			t.Fatalf("CleanName not idempotent: %q → %q → %q, %v", s, got, again, err)
		}
	})
}

// FuzzCleanUsername checks that an accepted username is ASCII, within the
// length limits and stable under a second cleaning.
func FuzzCleanUsername(f *testing.F) {
	for _, s := range []string{"alice", " bob ", "a' OR 1=1--", "ab", "用户"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := CleanUsername(s)
		if err != nil {
			return
		}
		if len(got) < MinUsername || len(got) > MaxUsername {
			t.Fatalf("accepted %q of length %d", got, len(got))
		}
		if again, err := CleanUsername(got); err != nil || again != got {
			t.Fatalf("not idempotent: %q → %q, %v", got, again, err)
		}
	})
}
