package proxy

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"webflow-lab/servers/errno"
	"webflow-lab/servers/trace"
)

// documentRoot is $document_root: root, or alias for an alias location.
func (r *request) documentRoot() string {
	s := r.loc.s
	if s.alias != nil {
		return strings.TrimSuffix(s.alias.eval(r), "/")
	}
	return s.root.eval(r)
}

// mapURIToPath is ngx_http_map_uri_to_path: root + URI, or for alias the
// alias + the URI minus the location's prefix. The result is not cleaned:
// "/static../secret" with "alias /srv/data/" gives "/srv/data/../secret",
// which the kernel resolves outside the alias directory, exactly the
// missing-slash pitfall nginx has. Apart from that pitfall, $uri is already
// normalized, so no path climbs above its root.
func (r *request) mapURIToPath(uri string) (path string, rootLen int) {
	s := r.loc.s
	if s.alias != nil {
		a := s.alias.eval(r)
		if s.aliasRegex {
			return a, len(a)
		}
		rest := ""
		if s.aliasLen <= len(uri) {
			rest = uri[s.aliasLen:]
		}
		return a + rest, len(a)
	}
	root := s.root.eval(r)
	return root + uri, len(root)
}

// static runs the content phase for files: index, autoindex, static, in
// nginx's order; each may decline to the next.
func (r *request) static() (redirect string, status int) {
	if strings.HasSuffix(r.uri, "/") {
		if next, code, handled := r.index(); handled {
			return next, code
		}
		if r.loc.s.autoindex && (r.method == "GET" || r.method == "HEAD") {
			return "", r.autoindex()
		}
		if r.method != "GET" && r.method != "HEAD" && r.method != "POST" {
			return "", 405
		}
		path, _ := r.mapURIToPath(r.uri)
		r.logf(levelError, "directory index of \"%s\" is forbidden", path)
		return "", 403
	}
	return "", r.serveFile()
}

// index is ngx_http_index_handler: the first index file that exists becomes
// an internal redirect to URI + name.
func (r *request) index() (redirect string, status int, handled bool) {
	if r.method != "GET" && r.method != "HEAD" && r.method != "POST" {
		return "", 0, false
	}
	base, _ := r.mapURIToPath(r.uri)
	dirTested := false
	for _, t := range r.loc.s.index {
		name := t.eval(r)
		if strings.HasPrefix(name, "/") {
			return name, 0, true
		}
		path := base + name
		fi, err := os.Stat(path)
		if r.traced {
			r.event(trace.Event{From: trace.Proxy, To: trace.Disk, Phase: trace.Sent, Why: "index " + path,
				WhyZH: "index 查找 " + path})
		}
		if err == nil && !fi.IsDir() {
			return r.uri + name, 0, true
		}
		if err == nil && fi.IsDir() {
			// nginx's open with test_only succeeds on a directory, and the
			// redirect then meets the static handler's 301.
			return r.uri + name, 0, true
		}
		switch {
		case errno.Is(err, errno.ENOTDIR), errno.Is(err, errno.ENAMETOOLONG):
			r.logf(levelError, "\"%s\" is not found (%s)", path, errno.Format(err))
			return "", 404, true
		case errno.Is(err, errno.EACCES):
			r.logf(levelError, "\"%s\" is forbidden (%s)", path, errno.Format(err))
			return "", 403, true
		}
		if !dirTested {
			dirTested = true
			dir := strings.TrimSuffix(base, "/")
			if dir == "" {
				dir = "/"
			}
			if _, derr := os.Stat(dir); derr != nil && errors.Is(derr, fs.ErrNotExist) {
				if r.loc.s.logNotFound {
					r.logf(levelError, "\"%s\" is not found (%s)", path, errno.Format(derr))
				}
				return "", 404, true
			}
		}
	}
	return "", 0, false
}

// serveFile is ngx_http_static_handler.
func (r *request) serveFile() int {
	if r.method != "GET" && r.method != "HEAD" && r.method != "POST" {
		return 405
	}
	path, _ := r.mapURIToPath(r.uri)
	// One disk event per file, taken when the answer is known (returned
	// with the size, or failed with the errno): the path is its reason.
	f, err := os.Open(path)
	var fi os.FileInfo
	if err == nil {
		fi, err = f.Stat()
		if err != nil {
			f.Close()
		}
	}
	if err != nil {
		if r.traced {
			msg := errno.Format(err)
			r.event(trace.Event{From: trace.Disk, To: trace.Proxy, Phase: trace.Failed, Why: path + ": " + msg,
				WhyZH: "无法打开 " + path + "：" + msg})
		}
		switch {
		case errno.Is(err, errno.ENOENT), errno.Is(err, errno.ENOTDIR), errno.Is(err, errno.ENAMETOOLONG):
			if r.loc.s.logNotFound {
				r.logf(levelError, "open() \"%s\" failed (%s)", path, errno.Format(err))
			}
			return 404
		case errno.Is(err, errno.EACCES), errno.Is(err, errno.ELOOP):
			r.logf(levelError, "open() \"%s\" failed (%s)", path, errno.Format(err))
			return 403
		}
		r.logf(levelCrit, "open() \"%s\" failed (%s)", path, errno.Format(err))
		return 500
	}
	defer f.Close()
	if fi.IsDir() {
		loc := escapeURI(r.uri) + "/"
		if r.args != "" {
			loc += "?" + r.args
		}
		r.redirect(301, loc)
		return 0
	}
	if !fi.Mode().IsRegular() {
		r.logf(levelCrit, "\"%s\" is not a regular file", path)
		return 404
	}
	if r.method == "POST" {
		return 405
	}
	if st := r.discardRequestBody(); st != 0 {
		return st
	}
	r.discardBody()
	size, mtime := fi.Size(), fi.ModTime().Truncate(time.Second)
	h := respHead{status: 200, contentLength: size, lastModified: mtime, acceptRanges: true,
		contentType: r.contentType()}
	if r.loc.s.etag {
		h.etag = "\"" + strconv.FormatInt(mtime.Unix(), 16) + "-" + strconv.FormatInt(size, 16) + "\""

	}
	if r.errStatus == 0 && r.notModified(mtime, h.etag) {
		h.status, h.contentType, h.contentLength, h.acceptRanges = 304, "", -2, false
		r.writeHead(&h)
		if r.traced {
			r.event(trace.Event{From: trace.Disk, To: trace.Proxy, Phase: trace.Returned, Status: 304, Why: path, WhyZH: path})
		}
		return 0
	}
	var off int64
	if rng, ok := r.header("Range"); ok && r.errStatus == 0 && r.major == 1 {
		// ngx_http_range_filter_module: one "bytes=" range gives 206,
		// an unsatisfiable one 416; several ranges are answered whole here
		// (nginx sends multipart/byteranges).
		switch a, b, st := parseRange(rng, size); st {
		case 206:
			h.status, h.acceptRanges = 206, false
			h.contentRange = fmt.Sprintf("bytes %d-%d/%d", a, b, size)
			off, size = a, b-a+1
			h.contentLength = size
		case 416:
			r.noPadding = false
			r.writeResponse(416, "text/html", []header{{"Content-Range", fmt.Sprintf("bytes */%d", size)}},
				[]byte(builtinPage(416, r.loc.s.serverTokens)), false)
			return 0
		}
	}
	r.writeHead(&h)
	if r.traced {
		r.event(trace.Event{From: trace.Disk, To: trace.Proxy, Phase: trace.Returned, Bytes: int(size), Why: path, WhyZH: path})
	}
	if r.headerOnly || size == 0 {
		return 0
	}
	if off > 0 {
		if _, err := f.Seek(off, io.SeekStart); err != nil {
			r.keepalive = false
			return 0
		}
	}
	r.c.nc.SetWriteDeadline(time.Now().Add(r.loc.s.sendTimeout))
	if r.gz != nil {
		// compressed by the gzip filter: the file goes through it
		if _, err := io.Copy(bodyWriter{r}, io.LimitReader(f, size)); err != nil || r.endBody() != nil {
			r.keepalive = false
		}
		return 0
	}
	var n int64
	if size <= 32<<10 {
		// small file: into the buffer with the head, one write to the socket
		n, err = r.c.bw.readFile(f, size)
	} else if size <= 256<<10 {
		// medium file: head and body in one writev(2); on loopback that is
		// cheaper than a write for the head and a sendfile for the body
		bp := fileBufs.Get().(*[]byte)
		if cap(*bp) < int(size) {
			*bp = make([]byte, size)
		}
		buf := (*bp)[:size]
		var m int
		if m, err = io.ReadFull(f, buf); err == nil {
			head := int64(r.c.bw.Buffered())
			var w int64
			w, err = r.c.bw.writevWith(r.c.nc, buf[:m])
			n = max(w-head, 0)
		}
		fileBufs.Put(bp)
	} else if err = r.c.bw.Flush(); err == nil {
		// large file: flush the head, then sendfile(2) via io.Copy, or
		// with "sendfile off" (nginx's default) reads and writes
		before := r.c.cw.n
		if r.loc.s.sendfile {
			_, err = io.Copy(&r.c.cw, io.LimitReader(f, size))
		} else {
			bp := relayBufs.Get().(*[]byte)
			_, err = io.CopyBuffer(struct{ io.Writer }{&r.c.cw}, io.LimitReader(f, size), *bp)
			relayBufs.Put(bp)
		}
		n = r.c.cw.n - before
	}
	r.bodySent += n
	r.bytesSent += n
	if err != nil {
		r.keepalive = false
	}
	return 0
}

// fileBufs hold medium files on their way to the socket.
var fileBufs = sync.Pool{New: func() any { b := make([]byte, 0, 256<<10); return &b }}

// parseRange reads a single "bytes=a-b", "bytes=a-" or "bytes=-n" range
// as ngx_http_range_parse does: 206 with the inclusive bounds; 416 when it
// starts past the end or is malformed after "bytes="; 200 (ignore it) when
// it is not a bytes range or names several ranges (not served here).
func parseRange(v string, size int64) (from, to int64, status int) {
	spec, ok := strings.CutPrefix(v, "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return 0, 0, 200
	}
	a, b, ok := strings.Cut(strings.TrimSpace(spec), "-")
	if !ok {
		return 0, 0, 416
	}
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	switch {
	case a == "" && digits(b): // suffix: the last n bytes
		n, _ := strconv.ParseInt(b, 10, 64)
		if n == 0 {
			return 0, 0, 416
		}
		if n > size {
			n = size
		}
		return size - n, size - 1, 206
	case digits(a) && (b == "" || digits(b)):
		from, _ = strconv.ParseInt(a, 10, 64)
		to = size - 1
		if b != "" {
			to, _ = strconv.ParseInt(b, 10, 64)
			if to < from {
				return 0, 0, 416
			}
			if to >= size {
				to = size - 1
			}
		}
		if from >= size {
			return 0, 0, 416
		}
		return from, to, 206
	}
	return 0, 0, 416
}

// contentType picks the MIME type by the URI's extension (types,
// default_type), as ngx_http_set_content_type does.
func (r *request) contentType() string {
	s := r.loc0().s
	uri := r.uri
	slash := strings.LastIndexByte(uri, '/')
	dot := strings.LastIndexByte(uri, '.')
	if dot > slash && dot >= 0 {
		ext := uri[dot+1:]
		if t, ok := s.types[ext]; ok {
			return t
		}
		if t, ok := s.types[strings.ToLower(ext)]; ok {
			return t
		}
	}
	return s.defaultType
}

// notModified is ngx_http_not_modified_filter for If-Modified-Since and
// If-None-Match.
func (r *request) notModified(mtime time.Time, etag string) bool {
	ims, hasIMS := r.header("If-Modified-Since")
	inm, hasINM := r.header("If-None-Match")
	if !hasIMS && !hasINM {
		return false
	}
	if hasIMS {
		t, err := time.Parse("Mon, 02 Jan 2006 15:04:05 GMT", ims)
		if err != nil {
			return false
		}
		switch r.loc.s.ifModSince {
		case "off":
			return false
		case "before":
			if t.Before(mtime) {
				return false
			}
		default:
			if !t.Equal(mtime) {
				return false
			}
		}
	}
	if hasINM {
		if etag == "" {
			return false
		}
		if strings.TrimSpace(inm) == "*" {
			return true
		}
		weak := "W/" + etag
		for _, v := range strings.Split(inm, ",") {
			v = strings.TrimSpace(v)
			if v == etag || v == weak {
				return true
			}
		}
		return false
	}
	return true
}

// tryFiles is ngx_http_core_try_files_phase: the first argument that
// exists on disk as what it asks for (a directory for "$uri/", a file for
// the others) becomes the URI, without the slash, and the same location goes
// on: "/d" found as a directory meets the static handler's 301 to "/d/",
// "/d/" the index module. If none exists, the last argument is an internal
// redirect, a status (=404) or a named location.
func (r *request) tryFiles() (redirect string, status int, named *location) {
	args := r.loc.tryFiles
	for _, a := range args[:len(args)-1] {
		name := a.t.eval(r)
		path, _ := r.mapTry(name)
		fi, err := os.Stat(path)
		if err != nil && !errno.Is(err, errno.ENOENT) && !errno.Is(err, errno.ENOTDIR) &&
			!errno.Is(err, errno.ENAMETOOLONG) {
			r.logf(levelCrit, "stat() \"%s\" failed (%s)", path, errno.Format(err))
		}
		ok := err == nil && fi.IsDir() == a.testDir
		if r.traced {
			found, foundZH := " missing", " 不存在"
			if ok {
				found, foundZH = " found", " 存在"
			}
			r.event(trace.Event{From: trace.Proxy, To: trace.Disk, Phase: trace.Sent,
				Why: "try_files " + path + found, WhyZH: "try_files " + path + foundZH})
		}
		if !ok {
			continue
		}
		r.uri = r.triedURI(name)
		return "", 0, nil
	}
	last := args[len(args)-1].t.eval(r)
	switch {
	case strings.HasPrefix(last, "="):
		code, err := strconv.Atoi(last[1:])
		if err != nil || code < 0 || code > 999 {
			r.logf(levelError, "invalid code \"%s\"", last)
			return "", 500, nil
		}
		return "", code, nil
	case strings.HasPrefix(last, "@"):
		l := r.srv.named[last]
		if l == nil {
			r.logf(levelError, "could not find named location \"%s\"", last)
			return "", 500, nil
		}
		return "", 0, l
	}
	if !strings.Contains(last, "?") {
		r.args = "" // nginx splits args off the fallback: none given, none kept
	}
	if last == "" {
		return "", 500, nil
	}
	return last, 0, nil
}

// triedURI is the URI a found try_files name becomes: the name; with an
// alias, a name that does not start with the location's prefix is put
// after it, as its file was looked up in the alias directory.
func (r *request) triedURI(name string) string {
	s := r.loc.s
	if s.alias == nil || s.aliasRegex || strings.HasPrefix(name, r.loc.name) {
		return name
	}
	return r.loc.name + name
}

// mapTry maps a try_files name: root + name, or for alias the alias + the
// name minus the location prefix when it starts with it.
func (r *request) mapTry(name string) (string, int) {
	s := r.loc.s
	if s.alias != nil && !s.aliasRegex {
		a := s.alias.eval(r)
		if strings.HasPrefix(name, r.loc.name) {
			return a + name[s.aliasLen:], len(a)
		}
		return a + name, len(a)
	}
	if s.alias != nil {
		a := s.alias.eval(r)
		return a, len(a)
	}
	root := s.root.eval(r)
	return root + name, len(root)
}

// autoindex lists a directory as ngx_http_autoindex_module's HTML format.
func (r *request) autoindex() int {
	if st := r.discardRequestBody(); st != 0 {
		return st
	}
	path, _ := r.mapURIToPath(r.uri)
	dir := strings.TrimSuffix(path, "/")
	entries, err := os.ReadDir(dir)
	if err != nil {
		switch {
		case errors.Is(err, fs.ErrNotExist), errno.Is(err, errno.ENOTDIR):
			if r.loc.s.logNotFound {
				r.logf(levelError, "\"%s\" is not found (%s)", path, errno.Format(err))
			}
			return 404
		case errors.Is(err, fs.ErrPermission):
			r.logf(levelError, "opendir() \"%s\" failed (%s)", path, errno.Format(err))
			return 403
		}
		return 500
	}
	type entry struct {
		name  string
		dir   bool
		size  int64
		mtime time.Time
	}
	var list []entry
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		fi, err := os.Stat(dir + "/" + e.Name())
		if err != nil {
			continue
		}
		list = append(list, entry{e.Name(), fi.IsDir(), fi.Size(), fi.ModTime()})
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].dir != list[j].dir {
			return list[i].dir
		}
		return list[i].name < list[j].name
	})
	var b strings.Builder
	b.WriteString("<html>\r\n<head><title>Index of ")
	b.WriteString(htmlEscape(r.uri))
	b.WriteString("</title></head>\r\n<body>\r\n<h1>Index of ")
	b.WriteString(htmlEscape(r.uri))
	b.WriteString("</h1><hr><pre><a href=\"../\">../</a>\r\n")
	const nameLen = 50
	months := [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
	for _, e := range list {
		b.WriteString("<a href=\"")
		b.WriteString(escapeComponent(e.name))
		if e.dir {
			b.WriteByte('/')
		}
		b.WriteString("\">")
		n := len(e.name)
		if n > nameLen {
			b.WriteString(htmlEscape(e.name[:nameLen-3]))
			b.WriteString("..&gt;</a>")
		} else {
			b.WriteString(htmlEscape(e.name))
			if e.dir && nameLen-n > 0 {
				b.WriteByte('/')
				n++
			}
			b.WriteString("</a>")
			if nameLen-n > 0 {
				b.WriteString(strings.Repeat(" ", nameLen-n))
			}
		}
		b.WriteByte(' ')
		t := e.mtime.UTC()
		if r.loc.s.autoindexLocal {
			t = e.mtime.Local()
		}
		fmt.Fprintf(&b, "%02d-%s-%d %02d:%02d ", t.Day(), months[t.Month()-1], t.Year(), t.Hour(), t.Minute())
		switch {
		case r.loc.s.autoindexExact && e.dir:
			b.WriteString("                  -")
		case r.loc.s.autoindexExact:
			fmt.Fprintf(&b, "%19d", e.size)
		case e.dir:
			b.WriteString("      -")
		default:
			b.WriteString(humanSize(e.size))
		}
		b.WriteString("\r\n")
	}
	b.WriteString("</pre><hr></body>\r\n</html>\r\n")
	r.writeStream(200, "text/html", []byte(b.String()))
	return 0
}

func humanSize(length int64) string {
	const g, m = 1 << 30, 1 << 20
	switch {
	case length > g-1:
		size := length / g
		if length%g > g/2-1 {
			size++
		}
		return fmt.Sprintf("%6d%c", size, 'G')
	case length > m-1:
		size := length / m
		if length%m > m/2-1 {
			size++
		}
		return fmt.Sprintf("%6d%c", size, 'M')
	case length > 9999:
		size := length / 1024
		if length%1024 > 511 {
			size++
		}
		return fmt.Sprintf("%6d%c", size, 'K')
	}
	return fmt.Sprintf(" %6d", length)
}

func htmlEscape(s string) string {
	return strings.NewReplacer("<", "&lt;", ">", "&gt;", "&", "&amp;", "\"", "&quot;").Replace(s)
}

// escapeComponent is NGX_ESCAPE_URI_COMPONENT: everything but unreserved
// characters is %XX.
func escapeComponent(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isAlpha(c) || isDigit(c) || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
