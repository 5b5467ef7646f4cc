package uwsgiproto

// The two line parsers nginx runs over an upstream's head, byte for byte:
// ngx_http_parse_status_line and ngx_http_parse_header_line (src/http/
// ngx_http_parse.c, nginx 1.22). They return offsets into the buffer, so a
// head that is still incomplete costs no allocation.

type parseState uint8

const (
	parseOK parseState = iota
	parseAgain
	parseError
	parseInvalid
	parseDone
)

// parseStatusLine mirrors ngx_http_parse_status_line: "HTTP/" major "."
// minor, spaces, exactly three digits, then a space, '.', CR or LF, and any
// text to the end of the line. It returns the code, where the status text
// starts and ends ("200 OK": from the code to the line's end), and the bytes
// consumed.
func parseStatusLine(b []byte) (code, text, textEnd, n int, st parseState) {
	const prefix = "HTTP/"
	for i := 0; i < len(prefix); i++ {
		if i >= len(b) {
			return 0, 0, 0, 0, parseAgain
		}
		if b[i] != prefix[i] {
			return 0, 0, 0, 0, parseError
		}
	}
	p := len(prefix)
	// major: a first digit 1-9, then digits (at most three in all), then '.'
	if p >= len(b) {
		return 0, 0, 0, 0, parseAgain
	}
	if b[p] < '1' || b[p] > '9' {
		return 0, 0, 0, 0, parseError
	}
	major := int(b[p] - '0')
	for p++; ; p++ {
		if p >= len(b) {
			return 0, 0, 0, 0, parseAgain
		}
		if b[p] == '.' {
			break
		}
		if !isDigit(b[p]) || major > 99 {
			return 0, 0, 0, 0, parseError
		}
		major = major*10 + int(b[p]-'0')
	}
	p++
	// minor: digits up to a space
	if p >= len(b) {
		return 0, 0, 0, 0, parseAgain
	}
	if !isDigit(b[p]) {
		return 0, 0, 0, 0, parseError
	}
	minor := int(b[p] - '0')
	for p++; ; p++ {
		if p >= len(b) {
			return 0, 0, 0, 0, parseAgain
		}
		if b[p] == ' ' {
			break
		}
		if !isDigit(b[p]) || minor > 99 {
			return 0, 0, 0, 0, parseError
		}
		minor = minor*10 + int(b[p]-'0')
	}
	// status: three digits; nginx skips spaces anywhere before the third
	// digit and takes the text from two bytes before it.
	count := 0
	for p++; count < 3; p++ {
		if p >= len(b) {
			return 0, 0, 0, 0, parseAgain
		}
		if b[p] == ' ' {
			continue
		}
		if !isDigit(b[p]) {
			return 0, 0, 0, 0, parseError
		}
		code = code*10 + int(b[p]-'0')
		if count++; count == 3 {
			text = p - 2
		}
	}
	// after the status: ' ' or '.' (IIS's 403.1) start the text; CR or LF end the line
	if p >= len(b) {
		return 0, 0, 0, 0, parseAgain
	}
	switch b[p] {
	case ' ', '.':
	case '\r':
		return almostDone(b, p, text, code)
	case '\n':
		return code, text, p, p + 1, parseOK
	default:
		return 0, 0, 0, 0, parseError
	}
	for p++; ; p++ {
		if p >= len(b) {
			return 0, 0, 0, 0, parseAgain
		}
		switch b[p] {
		case '\r':
			return almostDone(b, p, text, code)
		case '\n':
			return code, text, p, p + 1, parseOK
		}
	}
}

// almostDone handles the byte after the status line's CR: only LF may follow.
func almostDone(b []byte, cr, text, code int) (int, int, int, int, parseState) {
	if cr+1 >= len(b) {
		return 0, 0, 0, 0, parseAgain
	}
	if b[cr+1] != '\n' {
		return 0, 0, 0, 0, parseError
	}
	return code, text, cr, cr + 2, parseOK
}

// nameChar reports the bytes of nginx's lowcase table (letters, digits,
// '-') plus '_' (upstream headers are parsed with underscores allowed).
func nameChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) || c == '-' || c == '_'
}

// parseHeaderLine mirrors ngx_http_parse_header_line (allow_underscores on)
// from b[pos:]. parseOK gives one header and where the next line starts;
// parseDone the end of the head (next = head size); parseInvalid the line's
// start (sp.name) and the offending byte's offset (sp.valEnd), which is
// what nginx's log line prints.
//
// Quirks kept: a line without a colon is a header with an empty value; a
// name byte outside letters, digits, '-' and '_' is tolerated (nginx only
// flags it) unless it is a control byte or space; "HTTP/…" lines after the
// status line are skipped (IIS sends them twice); a NUL in a value is invalid.
func parseHeaderLine(b []byte, pos int) (sp span, next int, st parseState) {
	const (
		sStart = iota
		sName
		sSpaceBeforeValue
		sValue
		sSpaceAfterValue
		sIgnoreLine
		sAlmostDone
		sHeaderAlmostDone
	)
	state := sStart
	invalid := func(at int) (span, int, parseState) {
		return span{name: sp.name, valEnd: at}, 0, parseInvalid
	}
	for p := pos; p < len(b); p++ {
		ch := b[p]
		switch state {
		case sStart:
			sp.name = p
			switch {
			case ch == '\r':
				sp.valEnd = p
				state = sHeaderAlmostDone
			case ch == '\n':
				return span{}, p + 1, parseDone
			case nameChar(ch):
				state = sName
			case ch <= 0x20 || ch == 0x7f || ch == ':':
				return invalid(p)
			default:
				state = sName
			}
		case sName:
			switch {
			case nameChar(ch):
			case ch == ':':
				sp.nameEnd = p
				state = sSpaceBeforeValue
			case ch == '\r':
				sp.nameEnd, sp.val, sp.valEnd = p, p, p
				state = sAlmostDone
			case ch == '\n':
				sp.nameEnd, sp.val, sp.valEnd = p, p, p
				return sp, p + 1, parseOK
			case ch == '/' && p-sp.name == 4 && string(b[sp.name:p]) == "HTTP":
				state = sIgnoreLine
			case ch <= 0x20 || ch == 0x7f:
				return invalid(p)
			}
		case sSpaceBeforeValue:
			switch ch {
			case ' ':
			case '\r':
				sp.val, sp.valEnd = p, p
				state = sAlmostDone
			case '\n':
				sp.val, sp.valEnd = p, p
				return sp, p + 1, parseOK
			case 0:
				return invalid(p)
			default:
				sp.val = p
				state = sValue
			}
		case sValue:
			switch ch {
			case ' ':
				sp.valEnd = p
				state = sSpaceAfterValue
			case '\r':
				sp.valEnd = p
				state = sAlmostDone
			case '\n':
				sp.valEnd = p
				return sp, p + 1, parseOK
			case 0:
				return invalid(p)
			}
		case sSpaceAfterValue:
			switch ch {
			case ' ':
			case '\r':
				state = sAlmostDone
			case '\n':
				return sp, p + 1, parseOK
			case 0:
				return invalid(p)
			default:
				state = sValue
			}
		case sIgnoreLine:
			if ch == '\n' {
				state = sStart
			}
		case sAlmostDone:
			switch ch {
			case '\n':
				return sp, p + 1, parseOK
			case '\r':
			default:
				return invalid(sp.valEnd)
			}
		case sHeaderAlmostDone:
			if ch == '\n' {
				return span{}, p + 1, parseDone
			}
			return invalid(sp.valEnd)
		}
	}
	return span{}, 0, parseAgain
}
