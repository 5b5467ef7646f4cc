package errno

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"runtime"
	"syscall"
	"testing"
)

// TestTableIsGlibc: on Linux each table entry is the system's own errno
// and its text is Go's (glibc's, first letter lowered) capitalized, so the
// table says what nginx and uWSGI print here.
func TestTableIsGlibc(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skipf("the table is checked against glibc on Linux; this is %s", runtime.GOOS)
	}
	for _, e := range table {
		t.Run(e.text, func(t *testing.T) {
			if int(e.sys) != int(e.no) {
				t.Errorf("number: got %d, want syscall's %d", e.no, int(e.sys))
			}
			if got := capitalize(e.sys.Error()); got != e.text {
				t.Errorf("text: got %q from Go, want %q in the table", got, e.text)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string // Format
		str  string // Strerror
	}{
		{"refused connect", &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)},
			"111: Connection refused", "Connection refused"},
		{"missing file", &fs.PathError{Op: "open", Path: "/x", Err: syscall.ENOENT}, "2: No such file or directory", "No such file or directory"},
		{"bare errno", syscall.EADDRINUSE, "98: Address already in use", "Address already in use"},
		{"fs.ErrNotExist without an errno", fmt.Errorf("embed: %w", fs.ErrNotExist), "2: No such file or directory", "No such file or directory"},
		{"fs.ErrPermission without an errno", fs.ErrPermission, "13: Permission denied", "Permission denied"},
		{"an Errno itself", fmt.Errorf("upstream: %w", ETIMEDOUT), "110: Connection timed out", "Connection timed out"},
		{"no errno at all", errors.New("injected fault"), "injected fault", "Injected fault"},
		{"path error without an errno", &fs.PathError{Op: "open", Path: "/x", Err: errors.New("weird")}, "open /x: weird", "Weird"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Format(tt.err); got != tt.want {
				t.Errorf("Format: got %q, want %q", got, tt.want)
			}
			if got := Strerror(tt.err); got != tt.str {
				t.Errorf("Strerror: got %q, want %q", got, tt.str)
			}
		})
	}
}

// TestOfTranslates: every table entry's system errno is found again, with
// Linux's number, however it is wrapped: this is the path macOS and
// Windows take for the errors their calls return.
func TestOfTranslates(t *testing.T) {
	for _, e := range table {
		t.Run(e.text, func(t *testing.T) {
			err := &net.OpError{Op: "read", Err: os.NewSyscallError("read", e.sys)}
			got, ok := Of(err)
			if !ok || got != e.no {
				t.Errorf("got %d, %v; want %d, true", got, ok, e.no)
			}
			if !Is(err, e.no) {
				t.Errorf("Is(%d): got false, want true", e.no)
			}
		})
	}
}

func TestNativeTargetsAreInTheTable(t *testing.T) {
	for sys, no := range native {
		if _, ok := texts[no]; !ok {
			t.Errorf("native %d maps to %d, which has no text in the table", int(sys), no)
		}
	}
}
