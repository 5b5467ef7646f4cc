package web

import (
	"context"
	"strconv"
	"testing"
	"time"
)

func TestMemorySessionsBounded(t *testing.T) {
	ms := newMemorySessions()
	ctx := context.Background()
	for i := range maxMemorySessions + 500 {
		if err := ms.SaveSession(ctx, "s"+strconv.Itoa(i), map[string]string{"captcha": "1"}, time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(ms.m); n >= maxMemorySessions || n < maxMemorySessions/2 {
		t.Fatalf("got %d sessions after culling, want between %d and %d", n, maxMemorySessions/2, maxMemorySessions)
	}
	last := "s" + strconv.Itoa(maxMemorySessions+499)
	if _, ok, _ := ms.LoadSession(ctx, last); !ok {
		t.Fatalf("the newest session %s was culled", last)
	}
	ms.SaveSession(ctx, "old", map[string]string{"a": "b"}, time.Now().Add(-time.Second))
	if _, ok, _ := ms.LoadSession(ctx, "old"); ok {
		t.Fatalf("expired session loaded")
	}
}

func TestSessionCopies(t *testing.T) {
	ms := newMemorySessions()
	ctx := context.Background()
	data := map[string]string{"k": "v"}
	ms.SaveSession(ctx, "id", data, time.Now().Add(time.Hour))
	data["k"] = "changed"
	got, _, _ := ms.LoadSession(ctx, "id")
	got["x"] = "y"
	again, _, _ := ms.LoadSession(ctx, "id")
	if again["k"] != "v" || again["x"] != "" {
		t.Fatalf("store shares maps with callers: %v", again)
	}
}
