package replay

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"webflow-lab/servers/explain"
)

// FuzzDecode: whatever the bytes, Decode returns a recording or an
// explain.Error naming where it stopped, never a panic; and a recording it
// returns survives decode → encode → decode unchanged, as value and as
// text (the encoder is deterministic).
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.jsonl")
	for _, file := range files {
		b, _ := os.ReadFile(file)
		f.Add(b)
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write(b)
		zw.Close()
		f.Add(z.Bytes())
		lines := strings.SplitAfter(string(b), "\n")
		f.Add([]byte(lines[0] + lines[len(lines)-2])) // header and end: counts wrong
		f.Add([]byte(lines[0] + `{"end":{"at":0,"events":0,"snapshots":0,"configs":0,"skipped":0,"dropped":0}}` + "\n"))
	}
	f.Add([]byte(`{"format":"webflow-lab-recording","version":1}` + "\n" + `{"event":{"at":5,"phase":"info","pdu":{"kind":"sql","data":null}}}` + "\n" +
		`{"end":{"at":5,"events":1,"snapshots":0,"configs":0,"skipped":0,"dropped":0}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<20 {
			return
		}
		rec, err := Decode(bytes.NewReader(data), "fuzz")
		if err != nil {
			var e *explain.Error
			if !errors.As(err, &e) || e.Where == "" || e.Why.EN == "" || e.Try.EN == "" {
				t.Fatalf("error without where, why and try: %#v", err)
			}
			return
		}
		var one bytes.Buffer
		if err := Encode(&one, rec); err != nil {
			t.Fatalf("a decoded recording does not encode: %v", err)
		}
		again, err := Decode(bytes.NewReader(one.Bytes()), "fuzz")
		if err != nil {
			t.Fatalf("what Encode wrote does not decode: %v\n%s", err, one.Bytes())
		}
		if !reflect.DeepEqual(again, rec) {
			t.Fatalf("decode → encode → decode differs:\n%+v\n%+v", rec, again)
		}
		var two bytes.Buffer
		Encode(&two, again)
		if !bytes.Equal(one.Bytes(), two.Bytes()) {
			t.Fatalf("encode is not stable:\n%s\n%s", one.Bytes(), two.Bytes())
		}
	})
}
