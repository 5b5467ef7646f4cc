package proxy

import "errors"

// errBadURI is nginx's NGX_HTTP_PARSE_INVALID_REQUEST for a URI: the client
// gets 400 and the error log says "client sent invalid request".
var errBadURI = errors.New("proxy: invalid URI")

// normalizeURI turns the raw request target's path (everything before '?')
// into nginx's $uri: percent-decoded, "." and ".." segments resolved and, with
// merge_slashes on, runs of '/' merged. It follows ngx_http_parse_complex_uri
// state for state, so its odd corners are nginx's: a decoded "%2F" is a real
// slash, "%2e%2e" is "..", a decoded '?' or '%' or '#' is kept literally,
// "%00" and a ".." that climbs above "/" are errors (400).
//
// raw must start with '/'. The result never contains a "/../" or "/./"
// segment and never climbs above "/".
func normalizeURI(raw string, mergeSlashes bool) (string, error) {
	const (
		usual = iota
		slash
		dot
		dotDot
	)
	u := make([]byte, 0, len(raw))
	state := usual
	// back removes the last segment for "/..": u ends in "/.." and the
	// previous '/' must exist (nginx: u -= 4 and walk back).
	back := func() error {
		i := len(u) - 4
		for {
			if i < 0 {
				return errBadURI
			}
			if u[i] == '/' {
				u = u[:i+1]
				return nil
			}
			i--
		}
	}
	for i := 0; i < len(raw); i++ {
		ch := raw[i]
		literal := false
		if ch == '%' {
			if i+2 >= len(raw) {
				return "", errBadURI
			}
			hi, ok1 := unhex(raw[i+1])
			lo, ok2 := unhex(raw[i+2])
			if !ok1 || !ok2 {
				return "", errBadURI
			}
			i += 2
			ch = hi<<4 | lo
			switch ch {
			case 0:
				return "", errBadURI
			case '%', '#', '?':
				// nginx copies these decoded bytes as data and goes back to
				// the usual state.
				literal = true
			}
		} else if ch == '#' {
			break // a fragment ends the path
		} else if ch < 0x20 || ch == 0x7f {
			// the request-line parser refuses these before we get here
			return "", errBadURI
		}
		if literal {
			u = append(u, ch)
			state = usual
			continue
		}
		switch state {
		case usual:
			if ch == '/' {
				state = slash
			}
			u = append(u, ch)
		case slash:
			switch ch {
			case '/':
				if !mergeSlashes {
					u = append(u, ch)
				}
			case '.':
				state = dot
				u = append(u, ch)
			default:
				state = usual
				u = append(u, ch)
			}
		case dot:
			switch ch {
			case '/':
				state = slash
				u = u[:len(u)-1]
			case '.':
				state = dotDot
				u = append(u, ch)
			default:
				state = usual
				u = append(u, ch)
			}
		case dotDot:
			switch ch {
			case '/':
				if err := back(); err != nil {
					return "", err
				}
				state = slash
			default:
				state = usual
				u = append(u, ch)
			}
		}
	}
	switch state {
	case dot:
		u = u[:len(u)-1]
	case dotDot:
		if err := back(); err != nil {
			return "", err
		}
	}
	return string(u), nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// escapeURI escapes the bytes nginx escapes in a URI it puts in a Location
// header (ngx_escape_uri, NGX_ESCAPE_URI): controls, space, '#', '%', '?',
// bytes >= 0x7f. Quotes and the like pass through as nginx leaves them.
func escapeURI(s string) string {
	const hex = "0123456789ABCDEF"
	n := 0
	for i := 0; i < len(s); i++ {
		if uriEscaped(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if uriEscaped(c) {
			b = append(b, '%', hex[c>>4], hex[c&15])
			continue
		}
		b = append(b, c)
	}
	return string(b)
}

func uriEscaped(c byte) bool {
	return c <= ' ' || c == '#' || c == '%' || c == '?' || c >= 0x7f
}
