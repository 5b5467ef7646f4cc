package cell

import (
	"strings"
	"testing"
)

func TestFit(t *testing.T) {
	tests := []struct {
		name, in string
		w        int
		want     string
	}{
		{"ascii pads", "abc", 5, "abc  "},
		{"ascii cuts", "abcdef", 4, "abc…"},
		{"chinese pads by cells", "请求", 6, "请求  "},
		{"chinese cut never splits a character", "请求列表", 5, "请求…"},
		{"chinese cut leaves a gap rather than half a character", "请求列表", 4, "请… "},
		{"zero width", "abc", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Fit(tt.in, tt.w, "…")
			if got != tt.want {
				t.Errorf("Fit(%q, %d) = %q, want %q", tt.in, tt.w, got, tt.want)
			}
			if tt.w > 0 && Width(got) != tt.w {
				t.Errorf("Fit(%q, %d) is %d cells wide, want %d", tt.in, tt.w, Width(got), tt.w)
			}
		})
	}
}

func TestLines(t *testing.T) {
	got := Lines("a\n中文字\nc\nd", 4, 3, "~")
	want := []string{"a   ", "中~ ", "c   "}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d = %q, want %q", i, got[i], want[i])
		}
	}
}

func TestWidthStyled(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"abc", 3},
		{"请求", 4},
		{"\x1b[1;38;2;1;2;3mabc\x1b[m", 3},
		{"x\x1b[7m请求\x1b[m·", 6},
		{"\x1b[m", 0},
	}
	for _, tt := range tests {
		if got := Width(tt.in); got != tt.want {
			t.Errorf("Width(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestWrap(t *testing.T) {
	tests := []struct {
		name, in string
		w        int
		want     []string
	}{
		{"fits", "a b c", 5, []string{"a b c"}},
		{"at spaces", "one two three", 8, []string{"one two", "three"}},
		{"chinese between characters", "虚拟浏览器走一遍流程", 8, []string{"虚拟浏览", "器走一遍", "流程"}},
		{"a word longer than the line is cut", "abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"paragraphs kept", "a\nb", 3, []string{"a", "b"}},
		{"no line starts with Chinese punctuation", "请求样式表。然后看日志", 10, []string{"请求样式", "表。然后看", "日志"}},
		{"a Latin word with Chinese punctuation moves whole", "重新读取配置（nginx -s reload，uwsgi --reload）", 24, []string{"重新读取配置（nginx -s", "reload，uwsgi --reload）"}},
		{"mixed", "写着 nginx 试图打开的文件", 12, []string{"写着 nginx", "试图打开的文", "件"}},
		{"a path breaks after a slash", "see /static/ems/css/style.css now", 16, []string{"see /static/ems/", "css/style.css", "now"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Wrap(tt.in, tt.w)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("Wrap(%q, %d) = %q, want %q", tt.in, tt.w, got, tt.want)
			}
			for _, l := range got {
				if Width(l) > tt.w {
					t.Errorf("line %q is %d cells, wider than %d", l, Width(l), tt.w)
				}
			}
		})
	}
}
