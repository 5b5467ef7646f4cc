package proxy

import (
	"strings"
	"testing"
)

// TestRedirectEscapes: a rewrite's redirect target is unescaped as
// ngx_unescape_uri(NGX_UNESCAPE_REDIRECT) does, and the captures it puts in
// the arguments are escaped as ngx_escape_uri(NGX_ESCAPE_ARGS).
func TestRedirectEscapes(t *testing.T) {
	un := []struct{ in, want string }{
		{"/a%41b", "/aAb"}, {"/a%20b", "/a%20b"}, {"/a%25b", "/a%25b"}, {"/a%26b", "/a&b"},
		{"/a?x=%41", "/a?x=%41"}, {"/a%3Fb", "/a?b"}, {"/a%3F1", "/a?1"}, {"/a%zz", "/azz"}, {"/a%3f%41", "/a?%41"}, {"/a%4", "/a"},
		{"/a%", "/a"}, {"/a%7F", "/a%7F"},
	}
	for _, tt := range un {
		t.Run("unescape "+tt.in, func(t *testing.T) {
			if got := unescapeRedirect(tt.in); got != tt.want {
				t.Errorf("unescapeRedirect(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	esc := []struct{ in, want string }{
		{"a b", "a%20b"}, {"a&b=c", "a%26b=c"}, {"x/y", "x/y"}, {"100%", "100%25"}, {"é", "%C3%A9"}, {"?#+;", "%3F%23%2B%3B"},
	}
	for _, tt := range esc {
		t.Run("escape "+tt.in, func(t *testing.T) {
			if got := escapeArgs(tt.in); got != tt.want {
				t.Errorf("escapeArgs(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzRedirectEscapes: no panic; unescaping never grows a string;
// escaping leaves only printable bytes that need no escape, and
// unescaping what was escaped ends no longer than the original escaped.
func FuzzRedirectEscapes(f *testing.F) {
	for _, s := range []string{"/a%41b", "/a%3F", "/a%3Fb?c", "%", "%4", "a b&c", "/x?%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if u := unescapeRedirect(s); len(u) > len(s) {
			t.Fatalf("unescapeRedirect(%q) = %q, longer", s, u)
		}
		e := escapeArgs(s)
		for i := 0; i < len(e); i++ {
			c := e[i]
			if c <= 0x20 || c >= 0x7f || c != '%' && strings.IndexByte("\"#%&+;<>?\\^`{|}", c) >= 0 {
				t.Fatalf("escapeArgs(%q) = %q: byte %q left", s, e, c)
			}
		}
	})
}
