package config

import "fmt"

// The lexer is a port of ngx_conf_read_token (src/core/ngx_conf_file.c): the
// same states (last_space, need_space, quoted, s_quoted, d_quoted,
// sharp_comment, variable), so that every odd input splits into words and
// fails exactly where real nginx does.

// stop says what ended one statement.
type stop uint8

const (
	stopSemicolon  stop = iota // NGX_OK: "name args ;"
	stopBlockStart             // NGX_CONF_BLOCK_START: "name args {"
	stopBlockDone              // NGX_CONF_BLOCK_DONE: "}"
	stopFileDone               // NGX_CONF_FILE_DONE
)

// confBuffer is NGX_CONF_BUFFER: nginx reads a config file through a 4096-byte
// buffer, so no single word may be that long.
const confBuffer = 4096

// A word is one token after quote and escape processing.
type word struct {
	text string
	line int // line the word starts on
}

// lexer reads statements from one file.
type lexer struct {
	file string
	src  []byte
	pos  int
	line int // nginx's cf->conf_file->line: the line of the byte last read
}

func newLexer(file string, src []byte) *lexer {
	return &lexer{file: file, src: src, line: 1}
}

// lexError is a tokenizer failure before the parser adds its explanation.
type lexError struct {
	file  string
	line  int
	kind  errKind
	char  byte
	msg   string
	words []word // the statement's words before the error
}

func (e *lexError) Error() string { return fmt.Sprintf("%s in %s:%d", e.msg, e.file, e.line) }

func (lx *lexer) errorf(line int, kind errKind, format string, args ...any) error {
	e := &lexError{file: lx.file, line: line, kind: kind, msg: fmt.Sprintf(format, args...)}
	if kind == errUnexpectedChar && lx.pos > 0 {
		e.char = lx.src[lx.pos-1]
	}
	return e
}

func isSpace(ch byte) bool { return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' }

// next reads one statement: its words and what ended it. Errors carry
// nginx's message and the line nginx reports.
func (lx *lexer) next() ([]word, stop, error) {
	var (
		words                             []word
		needSpace, sharpComment, variable bool
		quoted, sQuoted, dQuoted, found   bool
		lastSpace                         = true
		start                             = lx.pos
		startLine                         = lx.line
	)
	for {
		if lx.pos >= len(lx.src) {
			if len(words) > 0 || !lastSpace {
				err := lx.errorf(lx.line, errUnexpectedEOF, `unexpected end of file, expecting ";" or "}"`)
				err.(*lexError).words = words
				return nil, 0, err
			}
			return nil, stopFileDone, nil
		}
		// nginx refills its buffer here; a word that fills the whole
		// buffer is refused (only when more of the file remains).
		if lx.pos-start == confBuffer {
			switch {
			case dQuoted:
				return nil, 0, lx.errorf(startLine, errTooLong, `too long parameter, probably missing terminating """ character`)
			case sQuoted:
				return nil, 0, lx.errorf(startLine, errTooLong, `too long parameter, probably missing terminating "'" character`)
			}
			return nil, 0, lx.errorf(startLine, errTooLong, `too long parameter "%s..." started`, lx.src[start:start+10])
		}

		ch := lx.src[lx.pos]
		lx.pos++

		if ch == '\n' {
			lx.line++
			sharpComment = false
		}
		if sharpComment {
			continue
		}
		if quoted {
			quoted = false
			continue
		}

		if needSpace {
			switch {
			case isSpace(ch):
				lastSpace, needSpace = true, false
				continue
			case ch == ';':
				return words, stopSemicolon, nil
			case ch == '{':
				return words, stopBlockStart, nil
			case ch == ')':
				lastSpace, needSpace = true, false
			default:
				return nil, 0, lx.errorf(lx.line, errUnexpectedChar, `unexpected "%c"`, ch)
			}
		}

		if lastSpace {
			start = lx.pos - 1
			startLine = lx.line
			if isSpace(ch) {
				continue
			}
			switch ch {
			case ';', '{':
				if len(words) == 0 {
					return nil, 0, lx.errorf(lx.line, errUnexpectedChar, `unexpected "%c"`, ch)
				}
				if ch == '{' {
					return words, stopBlockStart, nil
				}
				return words, stopSemicolon, nil
			case '}':
				if len(words) != 0 {
					err := lx.errorf(lx.line, errUnexpectedBrace, `unexpected "}"`)
					err.(*lexError).words = words
					return nil, 0, err
				}
				return nil, stopBlockDone, nil
			case '#':
				sharpComment = true
			case '\\':
				quoted, lastSpace = true, false
			case '"':
				start++
				dQuoted, lastSpace = true, false
			case '\'':
				start++
				sQuoted, lastSpace = true, false
			case '$':
				variable, lastSpace = true, false
			default:
				lastSpace = false
			}
			continue
		}

		// Inside a word.
		if ch == '{' && variable {
			continue // "${name}": the brace belongs to the variable
		}
		variable = false
		if ch == '\\' {
			quoted = true
			continue
		}
		if ch == '$' {
			variable = true
			continue
		}
		switch {
		case dQuoted:
			if ch == '"' {
				dQuoted, needSpace, found = false, true, true
			}
		case sQuoted:
			if ch == '\'' {
				sQuoted, needSpace, found = false, true, true
			}
		case isSpace(ch) || ch == ';' || ch == '{':
			lastSpace, found = true, true
		}
		if !found {
			continue
		}
		words = append(words, word{text: unescape(lx.src[start : lx.pos-1]), line: startLine})
		found = false
		if ch == ';' {
			return words, stopSemicolon, nil
		}
		if ch == '{' {
			return words, stopBlockStart, nil
		}
	}
}

// unescape applies nginx's escapes: \" \' \\ give the character, \t \r \n
// give control characters, any other backslash stays as written.
func unescape(raw []byte) string {
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		if raw[i] == '\\' && i+1 < len(raw) {
			switch raw[i+1] {
			case '"', '\'', '\\':
				i++
			case 't':
				out = append(out, '\t')
				i++
				continue
			case 'r':
				out = append(out, '\r')
				i++
				continue
			case 'n':
				out = append(out, '\n')
				i++
				continue
			}
		}
		out = append(out, raw[i])
	}
	return string(out)
}
