package uwsgi

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"webflow-lab/servers/uwsgiproto"
	"webflow-lab/servers/wsgi"
)

// staticHit is a file a static-map found.
type staticHit struct {
	mount string
	path  string // real path
	fi    os.FileInfo
}

// lookupStatic follows uWSGI's static-map (core/static.c): each mapping in
// order whose mountpoint is a plain string prefix of PATH_INFO ("/static"
// also matches "/staticfoo/x"); the file is realpath(docroot + "/" + rest);
// it must be a regular file under the docroot's real path, requested with
// GET or HEAD. Any miss falls through to the next mapping and finally to the
// app: static-map never answers 404 or 403 itself.
func (s *Server) lookupStatic(pathInfo, method string) (staticHit, bool) {
	if len(s.statics) == 0 || (method != "GET" && method != "HEAD") {
		return staticHit{}, false
	}
	for i := range s.statics {
		sm := &s.statics[i]
		if !strings.HasPrefix(pathInfo, sm.mount) {
			continue
		}
		name := sm.docroot + "/" + pathInfo[len(sm.mount):]
		real, err := filepath.EvalSymlinks(name)
		if err != nil {
			continue
		}
		real, _ = filepath.Abs(real)
		root := sm.real
		if root == "" {
			if r, err := filepath.EvalSymlinks(sm.docroot); err == nil {
				root, _ = filepath.Abs(r)
			}
		}
		// uWSGI compares plain string prefixes, so a sibling directory
		// whose name starts with the docroot's also passes, as it does there.
		if root == "" || !strings.HasPrefix(real, root) {
			s.log.Printf("[uwsgi-fileserve] security error: %s is not under %s or a safe path", real, root)
			continue
		}
		fi, err := os.Stat(real)
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		return staticHit{mount: sm.mount, path: real, fi: fi}, true
	}
	return staticHit{}, false
}

// serveStatic writes the file as uWSGI does: 200 with Content-Type (from
// /etc/mime.types), Content-Length and Last-Modified, or a bare 304 when
// If-Modified-Since is not older than the file. HEAD gets the head only.
func (s *Server) serveStatic(bw *bufio.Writer, proto string, h staticHit, vars uwsgiproto.Vars) (n int64, headers, headBytes, status int, err error) {
	rw := &wsgi.RawWriter{W: bw, Protocol: proto}
	mtime := h.fi.ModTime()
	if ims, ok := vars.Get("HTTP_IF_MODIFIED_SINCE"); ok {
		if t, perr := http.ParseTime(ims); perr == nil && !mtime.Truncate(time.Second).After(t) {
			err = rw.WriteHead("304 Not Modified", nil)
			return 0, 0, wsgi.HeadSize(proto, "304 Not Modified", nil), 304, err
		}
	}
	var hdr []wsgi.Header
	if ct := mimeType(h.path); ct != "" {
		hdr = append(hdr, wsgi.Header{Name: "Content-Type", Value: ct})
	}
	hdr = append(hdr,
		wsgi.Header{Name: "Content-Length", Value: strconv.FormatInt(h.fi.Size(), 10)},
		wsgi.Header{Name: "Last-Modified", Value: mtime.UTC().Format(http.TimeFormat)})
	if err = rw.WriteHead("200 OK", hdr); err != nil {
		return 0, len(hdr), wsgi.HeadSize(proto, "200 OK", hdr), 200, err
	}
	headBytes = wsgi.HeadSize(proto, "200 OK", hdr)
	if m, _ := vars.Get("REQUEST_METHOD"); m == "HEAD" {
		return 0, len(hdr), headBytes, 200, nil
	}
	f, err := os.Open(h.path)
	if err != nil {
		return 0, len(hdr), headBytes, 200, err
	}
	defer f.Close()
	if err = bw.Flush(); err != nil {
		return 0, len(hdr), headBytes, 200, err
	}
	// bufio.Writer.ReadFrom hands an empty buffer's work to the connection,
	// which uses sendfile(2) as uWSGI does.
	n, err = io.Copy(bw, f)
	return n, len(hdr), headBytes, 200, err
}

var (
	mimeOnce  sync.Once
	mimeTypes map[string]string
)

// mimeType looks the extension up in /etc/mime.types as uWSGI does at
// startup ("building mime-types dictionary from file /etc/mime.types"). Go's
// mime package would add "; charset=utf-8" to text types; uWSGI does not.
func mimeType(path string) string {
	mimeOnce.Do(func() {
		mimeTypes = map[string]string{}
		b, err := os.ReadFile("/etc/mime.types")
		if err != nil {
			for ext, t := range map[string]string{"html": "text/html", "htm": "text/html", "css": "text/css",
				"js": "application/javascript", "txt": "text/plain", "png": "image/png", "jpg": "image/jpeg",
				"jpeg": "image/jpeg", "gif": "image/gif", "svg": "image/svg+xml", "ico": "image/vnd.microsoft.icon",
				"json": "application/json"} {
				mimeTypes[ext] = t
			}
			return
		}
		for _, line := range strings.Split(string(b), "\n") {
			if i := strings.IndexByte(line, '#'); i >= 0 {
				line = line[:i]
			}
			f := strings.Fields(line)
			for _, ext := range f[min(1, len(f)):] {
				if _, ok := mimeTypes[ext]; !ok {
					mimeTypes[ext] = f[0]
				}
			}
		}
	})
	i := strings.LastIndexByte(path, '.')
	if i < 0 || strings.ContainsRune(path[i:], '/') {
		return ""
	}
	return mimeTypes[path[i+1:]]
}
