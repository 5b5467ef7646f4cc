package lessons

import "strings"

// A word is one word of an action or a check line. Words are separated by
// spaces; a word that starts with " or ` is a quoted string (Go's rules:
// "a \"b\"", `raw`), and so is the part of `key="…"` after the =.
type word struct {
	Key    string // "status" in status=200; "" for a plain word
	Text   string // the value, unquoted
	Quoted bool
}

func (w word) String() string {
	if w.Key != "" {
		return w.Key + "=" + w.Text
	}
	return w.Text
}

// splitWords splits a line into words. The error says what is wrong with
// which quote.
func splitWords(line string) ([]word, error) {
	var out []word
	s := line
	for {
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			return out, nil
		}
		var w word
		if i := strings.IndexAny(s, "= \t\"`"); i > 0 && s[i] == '=' && isIdent(s[:i]) {
			w.Key, s = s[:i], s[i+1:]
		}
		if s != "" && (s[0] == '"' || s[0] == '`') {
			q, rest, err := quoted(s)
			if err != nil {
				return nil, err
			}
			w.Text, w.Quoted, s = q, true, rest
			if s != "" && s[0] != ' ' && s[0] != '\t' {
				return nil, errText("a quoted string must be followed by a space: "+clip(line), "引号字符串后面必须是空格："+clip(line))
			}
		} else {
			end := strings.IndexAny(s, " \t")
			if end < 0 {
				end = len(s)
			}
			w.Text, s = s[:end], s[end:]
		}
		out = append(out, w)
	}
}

// quoted reads the quoted string at the start of s. Inside "…", \" is a
// quote and \\ a backslash; any other backslash stays as written, so a
// regular expression reads as it looks ("1\.1"). Inside `…` nothing is
// special.
func quoted(s string) (string, string, error) {
	q := s[0]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch {
		case s[i] == '\\' && q == '"' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\'):
			b.WriteByte(s[i+1])
			i++
		case s[i] == q:
			return b.String(), s[i+1:], nil
		default:
			b.WriteByte(s[i])
		}
	}
	return "", "", errText("a quote is not closed: "+clip(s), "引号没有闭合："+clip(s))
}

func isIdent(s string) bool {
	for i, c := range s {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9' || i == 0) && c != '-' {
			return false
		}
	}
	return s != ""
}

// quote writes s as a word splitWords reads back as s.
func quote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\"`\\=") {
		return s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
