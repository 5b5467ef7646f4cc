package replay

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"

	"webflow-lab/servers/explain"
)

// What can be wrong with a file; errors from Decode wrap one of them.
var (
	ErrNotRecording = errors.New("replay: not a webflow-lab recording")
	ErrNewer        = errors.New("replay: recorded by a newer webflow-lab")
	ErrDamaged      = errors.New("replay: damaged recording")
	ErrTruncated    = errors.New("replay: recording cut short")
)

// maxLine bounds one line: a snapshot is a few kilobytes, an event with a
// PDU tens of them.
const maxLine = 16 << 20

// ReadFile reads and decodes the recording at path.
func ReadFile(path string) (*Recording, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &explain.Error{
			What:  explain.T("replay: cannot open "+path, "replay: 无法打开 "+path),
			Where: path, Why: explain.T(err.Error(), err.Error()),
			Try: explain.T("give the path of a file written by webflow-lab record", "请给出 webflow-lab record 写出的文件路径"), Err: err}
	}
	defer f.Close()
	return Decode(f, path)
}

// Decode reads a recording, plain or gzip-compressed, and checks it whole:
// a file that is not a recording, was written by a newer format version,
// is damaged or cut short is an *explain.Error naming the line and byte
// (of the uncompressed text) where reading stopped, wrapping ErrNotRecording,
// ErrNewer, ErrDamaged or ErrTruncated. name is the file's name, for those
// errors.
func Decode(r io.Reader, name string) (*Recording, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	d := &decoder{name: name}
	var src io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, d.streamError(err)
		}
		d.gzipped = true
		src = zr
	}
	d.r = bufio.NewReaderSize(src, 64<<10)
	return d.decode()
}

type decoder struct {
	name    string
	gzipped bool
	r       *bufio.Reader
	line    int   // the line being read, from 1
	start   int64 // its first byte's offset in the text
	next    int64 // the offset after it
}

// readLine returns the next line without its newline; complete is false
// for a last line that has none. At the end it returns io.EOF.
func (d *decoder) readLine() (b []byte, complete bool, err error) {
	d.line++
	d.start = d.next
	var buf []byte
	for {
		chunk, err := d.r.ReadSlice('\n')
		if len(buf)+len(chunk) > maxLine {
			return nil, false, d.fail(ErrDamaged, fmt.Sprintf("longer than %d MiB", maxLine>>20),
				fmt.Sprintf("超过 %d MiB", maxLine>>20))
		}
		buf = append(buf, chunk...)
		d.next += int64(len(chunk))
		switch {
		case err == nil:
			return buf[:len(buf)-1], true, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if len(buf) == 0 {
				d.line--
				return nil, false, io.EOF
			}
			return buf, false, nil
		default:
			return nil, false, d.streamError(err)
		}
	}
}

func (d *decoder) decode() (*Recording, error) {
	rec := &Recording{}
	if err := d.header(&rec.Header); err != nil {
		return nil, err
	}
	var maxAt time.Duration
	var counts End
	for {
		b, complete, err := d.readLine()
		if errors.Is(err, io.EOF) {
			return nil, d.truncated(false)
		}
		if err != nil {
			return nil, err
		}
		var l line
		if err := json.Unmarshal(b, &l); err != nil {
			if !complete {
				return nil, d.truncated(true)
			}
			return nil, d.jsonError(err)
		}
		en, end, problem := d.entry(l)
		if problem != "" {
			return nil, d.fail(ErrDamaged, problem, problem)
		}
		if end == nil {
			rec.Entries = append(rec.Entries, en)
			maxAt = max(maxAt, en.At)
			switch {
			case en.Event != nil:
				counts.Events++
			case en.Snapshot != nil:
				counts.Snapshots++
			default:
				counts.Configs++
			}
			continue
		}
		if p := checkEnd(*end, counts, maxAt); p != "" {
			return nil, d.fail(ErrDamaged, p, p)
		}
		rec.End = *end
		if _, _, err := d.readLine(); !errors.Is(err, io.EOF) {
			if err != nil {
				return nil, err
			}
			return nil, d.fail(ErrDamaged, "there is more after the end line", "end 行之后还有内容")
		}
		return rec, nil
	}
}

// header reads and checks line 1: the format's name first, then its
// version, and only then the rest, whose shape a newer version may change.
func (d *decoder) header(h *Header) error {
	b, complete, err := d.readLine()
	if errors.Is(err, io.EOF) {
		return d.fail(ErrNotRecording, "the file is empty", "文件是空的")
	}
	if err != nil {
		return err
	}
	var id struct {
		Format  string `json:"format"`
		Version int    `json:"version"`
	}
	if json.Unmarshal(b, &id) != nil || id.Format != Format {
		if !complete && bytes.HasPrefix(b, []byte(`{"format":"`+Format)) {
			return d.truncated(true)
		}
		return d.fail(ErrNotRecording, "its first line is not the header of a webflow-lab recording",
			"第一行不是 webflow-lab 录制文件的文件头")
	}
	if id.Version > Version {
		return &explain.Error{
			What: explain.T(fmt.Sprintf("replay: %s was recorded by a newer webflow-lab (format version %d)", d.name, id.Version),
				fmt.Sprintf("replay: %s 由更新版本的 webflow-lab 录制（格式版本 %d）", d.name, id.Version)),
			Where: d.where(),
			Why: explain.T(fmt.Sprintf("this webflow-lab reads format version %d and older", Version),
				fmt.Sprintf("当前 webflow-lab 只能读取格式版本 %d 及更早的文件", Version)),
			Try: explain.T("update webflow-lab, or replay it with the webflow-lab that recorded it",
				"请升级 webflow-lab，或用录制它的那个 webflow-lab 回放"),
			Err: ErrNewer}
	}
	if id.Version < 1 {
		return d.fail(ErrDamaged, fmt.Sprintf("format version %d does not exist (the first is 1)", id.Version),
			fmt.Sprintf("不存在格式版本 %d（第一个版本是 1）", id.Version))
	}
	if err := json.Unmarshal(b, h); err != nil {
		return d.jsonError(err)
	}
	if !complete {
		return d.truncated(true)
	}
	return nil
}

// entry checks one line and returns its entry, or its end, or what is
// wrong with it.
func (d *decoder) entry(l line) (Entry, *End, string) {
	n := 0
	for _, set := range []bool{l.Config != nil, l.Snapshot != nil, l.Event != nil, l.End != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return Entry{}, nil, fmt.Sprintf("a line holds one of config, snapshot, event or end; this one holds %d", n)
	}
	switch {
	case l.Config != nil:
		c := l.Config
		if p := checkPath(c.Path); p != "" {
			return Entry{}, nil, p
		}
		if c.Gone && c.Text != "" {
			return Entry{}, nil, "a config that is gone has no text"
		}
		if c.At < 0 {
			return Entry{}, nil, fmt.Sprintf("config at %d: a time before the recording began", c.At)
		}
		cfg := c.Config
		return Entry{At: time.Duration(c.At), Config: &cfg}, nil, ""
	case l.Snapshot != nil:
		if l.Snapshot.Lab == nil {
			return Entry{}, nil, "a snapshot without its lab"
		}
		if l.Snapshot.At < 0 {
			return Entry{}, nil, fmt.Sprintf("snapshot at %d: a time before the recording began", l.Snapshot.At)
		}
		return Entry{At: time.Duration(l.Snapshot.At), Snapshot: l.Snapshot.Lab}, nil, ""
	case l.Event != nil:
		e, problem := fromWire(*l.Event)
		if problem != "" {
			return Entry{}, nil, "event: " + problem
		}
		if e.At < 0 {
			return Entry{}, nil, fmt.Sprintf("event at %d: a time before the recording began", e.At)
		}
		return Entry{At: e.At, Event: &e}, nil, ""
	}
	return Entry{}, l.End, ""
}

func checkPath(p string) string {
	switch {
	case p == "":
		return "a config without a path"
	case strings.HasPrefix(p, "/") || strings.Contains(p, `\`) || strings.Contains(p, ":"):
		return fmt.Sprintf("config path %q: want one relative to the workspace, with /", p)
	case path.Clean(p) != p || p == "." || strings.HasPrefix(p, "../"):
		return fmt.Sprintf("config path %q: want a clean path inside the workspace", p)
	}
	return ""
}

func checkEnd(end, counts End, maxAt time.Duration) string {
	switch {
	case end.Events != counts.Events || end.Snapshots != counts.Snapshots || end.Configs != counts.Configs:
		return fmt.Sprintf("the end line counts %d events, %d snapshots, %d configs; the file has %d, %d, %d (lines are missing or were added)",
			end.Events, end.Snapshots, end.Configs, counts.Events, counts.Snapshots, counts.Configs)
	case end.At < maxAt:
		return fmt.Sprintf("the end line is at %v, before an entry at %v", end.At, maxAt)
	case end.Skipped < 0 || end.Dropped < 0:
		return "the end line counts less than nothing"
	}
	return ""
}

// where is the line and byte being read, for an error.
func (d *decoder) where() string {
	of := ""
	if d.gzipped {
		of = " of the uncompressed text"
	}
	return fmt.Sprintf("%s:%d (byte %d%s)", d.name, max(d.line, 1), d.start, of)
}

func (d *decoder) fail(kind error, en, zh string) error {
	e := &explain.Error{Where: d.where(), Err: kind}
	switch kind {
	case ErrNotRecording:
		e.What = explain.T("replay: "+d.name+" is not a webflow-lab recording", "replay: "+d.name+" 不是 webflow-lab 的录制文件")
		e.Why = explain.T(en, zh)
		e.Try = explain.T("give a file written by `webflow-lab record`", "请给出 `webflow-lab record` 写出的文件")
	default:
		e.What = explain.T(fmt.Sprintf("replay: %s is damaged at line %d", d.name, d.line),
			fmt.Sprintf("replay: %s 第 %d 行已损坏", d.name, d.line))
		e.Why = explain.T(en, zh)
		e.Try = explain.T("the file was changed after it was recorded: record the run again (webflow-lab record), or put that line back as it was",
			"文件在录制之后被改动过：请重新录制（webflow-lab record），或把这一行恢复原样")
	}
	return e
}

// truncated is the error for a file that stops before its end line: in
// the middle of a line (partial) or after a whole one.
func (d *decoder) truncated(partial bool) error {
	what := explain.T(fmt.Sprintf("replay: %s is cut short after line %d", d.name, d.line),
		fmt.Sprintf("replay: %s 在第 %d 行之后被截断", d.name, d.line))
	if partial {
		what = explain.T(fmt.Sprintf("replay: %s is cut short in line %d", d.name, d.line),
			fmt.Sprintf("replay: %s 在第 %d 行中间被截断", d.name, d.line))
	}
	return &explain.Error{
		What:  what,
		Where: d.where(),
		Why: explain.T("it stops before its end line: the recorder was killed or ran out of disk, or the file was copied only in part",
			"文件在 end 行之前就结束了：录制进程被杀死或磁盘已满，或文件只复制了一部分"),
		Try: explain.T("copy the file again from where it was recorded, or record the run again",
			"请从录制的地方重新复制文件，或重新录制"),
		Err: ErrTruncated}
}

// jsonError says where in the line the JSON went wrong.
func (d *decoder) jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		d.start += syn.Offset - 1
		return d.fail(ErrDamaged, "not JSON: "+syn.Error(), "不是 JSON："+syn.Error())
	case errors.As(err, &typ):
		d.start += typ.Offset - 1
		what := fmt.Sprintf("%s: a JSON %s where a %s belongs", typ.Field, typ.Value, typ.Type)
		return d.fail(ErrDamaged, what, what)
	}
	return d.fail(ErrDamaged, err.Error(), err.Error())
}

// streamError is a read error from the file or its gzip stream.
func (d *decoder) streamError(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return d.truncated(true)
	}
	if d.gzipped || errors.Is(err, gzip.ErrHeader) || errors.Is(err, gzip.ErrChecksum) {
		return d.fail(ErrDamaged, "the gzip data is corrupt: "+err.Error(), "gzip 数据已损坏："+err.Error())
	}
	return d.fail(ErrDamaged, "reading it failed: "+err.Error(), "读取失败："+err.Error())
}
