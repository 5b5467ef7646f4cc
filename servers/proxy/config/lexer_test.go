package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// lexAll splits src into statements, "}" written as a statement of its own.
func lexAll(src string) ([][]string, error) {
	lx := newLexer("t.conf", []byte(src))
	var out [][]string
	for {
		words, st, err := lx.next()
		if err != nil {
			return out, err
		}
		var s []string
		for _, w := range words {
			s = append(s, w.text)
		}
		switch st {
		case stopFileDone:
			return out, nil
		case stopBlockDone:
			s = []string{"}"}
		case stopBlockStart:
			s = append(s, "{")
		}
		out = append(out, s)
	}
}

func TestLexer(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want [][]string
		err  string // nginx's message and line, "msg:line"
	}{
		{"simple", "a b c;", [][]string{{"a", "b", "c"}}, ""},
		{"separators", "a\tb\r\nc  d\n;", [][]string{{"a", "b", "c", "d"}}, ""},
		{"block", "a { b; }", [][]string{{"a", "{"}, {"b"}, {"}"}}, ""},
		{"no space before brace and semicolon", "a b{c;}", [][]string{{"a", "b", "{"}, {"c"}, {"}"}}, ""},
		{"comment at token start", "a b; # c d;\ne;", [][]string{{"a", "b"}, {"e"}}, ""},
		{"comment after semicolon", "a;#x\nb;", [][]string{{"a"}, {"b"}}, ""},
		{"hash inside token", "return 200 a#b;", [][]string{{"return", "200", "a#b"}}, ""},
		{"double quotes", `a "b c";`, [][]string{{"a", "b c"}}, ""},
		{"single quotes", `a 'b "c"';`, [][]string{{"a", `b "c"`}}, ""},
		{"empty quotes", `a "" '';`, [][]string{{"a", "", ""}}, ""},
		{"quote mid-token is literal", `a b"c;`, [][]string{{"a", `b"c`}}, ""},
		{"closing quote then semicolon", `a "b";`, [][]string{{"a", "b"}}, ""},
		{"closing quote then brace", `a "b"{ }`, [][]string{{"a", "b", "{"}, {"}"}}, ""},
		{"closing quote then paren", `if ($a = "b") { }`, [][]string{{"if", "($a", "=", "b", ")", "{"}, {"}"}}, ""},
		{"closing quote then letter", `a "x"y;`, nil, `unexpected "y":1`},
		{"closing quote then hash", `a "x"#c;`, nil, `unexpected "#":1`},
		{"escapes in quotes", `a "\"\'\\\n\r\t";`, [][]string{{"a", "\"'\\\n\r\t"}}, ""},
		{"other escapes kept", `a "\d\x\$";`, [][]string{{"a", `\d\x\$`}}, ""},
		{"other escapes unquoted keep the backslash", `a b\ c\;d;`, [][]string{{"a", `b\ c\;d`}}, ""},
		{"escaped quote at start", `a \"b;`, [][]string{{"a", `"b`}}, ""},
		{"variable braces", `a ${b}c;`, [][]string{{"a", "${b}c"}}, ""},
		{"dollar brace mid-token", `a x${b};`, [][]string{{"a", "x${b}"}}, ""},
		{"brace without dollar ends token", `a x{ }`, [][]string{{"a", "x", "{"}, {"}"}}, ""},
		{"close brace inside token is literal", "a b}", nil, `unexpected end of file, expecting ";" or "}":1`},
		{"unexpected semicolon", "a;;", [][]string{{"a"}}, `unexpected ";":1`},
		{"unexpected open brace", "{", nil, `unexpected "{":1`},
		{"brace after words", "a b }", nil, `unexpected "}":1`},
		{"eof in directive", "a b", nil, `unexpected end of file, expecting ";" or "}":1`},
		{"eof line counts newlines", "a\nb\n", nil, `unexpected end of file, expecting ";" or "}":3`},
		{"eof in quote", `a "b`, nil, `unexpected end of file, expecting ";" or "}":1`},
		{"quoted newline", "a \"b\nc\";", [][]string{{"a", "b\nc"}}, ""},
		{"too long word", "a " + strings.Repeat("x", 4096) + " ;", nil, `too long parameter "xxxxxxxxxx..." started:1`},
		{"word just short enough", "a " + strings.Repeat("x", 4095) + ";", [][]string{{"a", strings.Repeat("x", 4095)}}, ""},
		{"long unclosed quote", "a\n\"" + strings.Repeat("x", 5000), nil, `too long parameter, probably missing terminating """ character:2`},
		{"long comment", "#" + strings.Repeat("x", 5000) + "\na;", nil, `too long parameter "#xxxxxxxxx..." started:1`},
		{"utf-8 and bytes", "a 员工 \xff;", [][]string{{"a", "员工", "\xff"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := lexAll(tt.src)
			if tt.err != "" {
				var le *lexError
				if !errors.As(err, &le) {
					t.Fatalf("got error %v, want %s", err, tt.err)
				}
				if g := le.msg + ":" + itoa(le.line); g != tt.err {
					t.Errorf("got error %q, want %q", g, tt.err)
				}
				if tt.want != nil && !reflect.DeepEqual(got, tt.want) {
					t.Errorf("got statements %q before the error, want %q", got, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func itoa(n int) string {
	s := ""
	for {
		s = string(rune('0'+n%10)) + s
		n /= 10
		if n == 0 {
			return s
		}
	}
}

func TestScriptError(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", ""}, {"$uri", ""}, {"${uri}x", ""}, {"a$1b", ""}, {"$uri$", "invalid variable name"},
		{"$ x", "invalid variable name"}, {"${}", "invalid variable name"}, {"${", "invalid variable name"},
		{"${uri", `the closing bracket in "uri" variable is missing`}, {"${a-b}", `the closing bracket in "a" variable is missing`},
		{"$#x", "invalid variable name"}, {"$0", ""},
	}
	for _, tt := range tests {
		if got := scriptError(tt.in); got != tt.want {
			t.Errorf("scriptError(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}
