package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"net/http"
	"sync"
	"time"

	"webflow-lab/servers/ems"
)

// Django's defaults: the cookie is "sessionid", lives two weeks, is HttpOnly
// and SameSite=Lax.
const (
	sessionCookie = "sessionid"
	sessionAge    = 14 * 24 * time.Hour
)

// Session keys. _auth_user_id and _auth_user_hash are Django's names.
const (
	keyUserID   = "_auth_user_id"
	keyUserHash = "_auth_user_hash"
	keyFlash    = "_flash"
	keyCaptcha  = "captcha"
)

// A session is request.session: loaded from the store on first use, saved
// at the end of the request only when modified (SessionMiddleware).
type session struct {
	id       string // "" until saved for the first time
	oldID    string // set by cycle: deleted when saving
	data     map[string]string
	modified bool
	flushed  bool
}

func (s *session) get(k string) string { return s.data[k] }

func (s *session) set(k, v string) {
	if s.data[k] != v {
		s.data[k] = v
		s.modified = true
	}
}

func (s *session) del(k string) {
	if _, ok := s.data[k]; ok {
		delete(s.data, k)
		s.modified = true
	}
}

// pop returns and removes k: a value passed once through the session, like
// Django's messages framework.
func (s *session) pop(k string) string {
	v := s.data[k]
	s.del(k)
	return v
}

// cycle gives the session a new id keeping its data (cycle_key on login,
// against session fixation).
func (s *session) cycle() {
	if s.id != "" && s.oldID == "" {
		s.oldID = s.id
	}
	s.id = ""
	s.modified = true
}

// flush empties the session and forgets its id (logout).
func (s *session) flush() {
	if s.id != "" && s.oldID == "" {
		s.oldID = s.id
	}
	s.id, s.data, s.modified, s.flushed = "", map[string]string{}, true, true
}

// session returns request.session, loading it on first use.
func (a *App) session(r *request) (*session, error) {
	if r.sess != nil {
		return r.sess, nil
	}
	s := &session{data: map[string]string{}}
	if id := r.cookies[sessionCookie]; validSessionID(id) {
		data, ok, err := a.sessions.LoadSession(a.dbctx(r), id)
		if err != nil {
			return nil, err
		}
		if ok {
			s.id, s.data = id, data
		}
	}
	r.sess = s
	return s, nil
}

// saveSession stores a modified session and sets its cookie; a flushed or
// emptied one is deleted and its cookie expired.
func (a *App) saveSession(r *request) error {
	s := r.sess
	if s == nil || !s.modified {
		return nil
	}
	ctx := a.dbctx(r)
	if s.oldID != "" {
		if err := a.sessions.DeleteSession(ctx, s.oldID); err != nil {
			return err
		}
	}
	if len(s.data) == 0 {
		if r.cookies[sessionCookie] != "" {
			r.setCookie = append(r.setCookie, (&http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
				HttpOnly: true, SameSite: http.SameSiteLaxMode}).String())
		}
		return nil
	}
	if s.id == "" {
		s.id = randomID()
	}
	expires := time.Now().Add(sessionAge)
	if err := a.sessions.SaveSession(ctx, s.id, s.data, expires); err != nil {
		return err
	}
	r.setCookie = append(r.setCookie, (&http.Cookie{Name: sessionCookie, Value: s.id, Path: "/",
		Expires: expires.UTC(), MaxAge: int(sessionAge / time.Second), HttpOnly: true, SameSite: http.SameSiteLaxMode}).String())
	return nil
}

// randomID returns 32 random lowercase letters and digits, like Django's
// session keys.
func randomID() string {
	const chars = "abcdefghijklmnopqrstuvwxyz0123456789"
	var b [32]byte
	rand.Read(b[:])
	for i := range b {
		b[i] = chars[int(b[i])%len(chars)]
	}
	return string(b[:])
}

func validSessionID(id string) bool {
	if len(id) != 32 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// authHash is Django's get_session_auth_hash: an HMAC of the password hash
// under SECRET_KEY. A session only logs its user in while the hash matches,
// so a password change — or instances with different SECRET_KEYs sharing
// sessions — logs the user out.
func authHash(secret string, u *ems.User) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("ems.auth.session_hash:" + u.PasswordHash))
	return hex.EncodeToString(m.Sum(nil))
}

// memorySessions keeps sessions in this instance's memory: another instance
// does not see them, which is the round-robin captcha lesson.
type memorySessions struct {
	mu sync.Mutex
	m  map[string]memorySession
}

type memorySession struct {
	data    map[string]string
	expires time.Time
}

var _ ems.SessionStore = (*memorySessions)(nil)

func newMemorySessions() *memorySessions { return &memorySessions{m: map[string]memorySession{}} }

func (ms *memorySessions) LoadSession(_ context.Context, id string) (map[string]string, bool, error) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	s, ok := ms.m[id]
	if !ok {
		return nil, false, nil
	}
	if time.Now().After(s.expires) {
		delete(ms.m, id)
		return nil, false, nil
	}
	return maps.Clone(s.data), true, nil
}

func (ms *memorySessions) SaveSession(_ context.Context, id string, data map[string]string, expires time.Time) error {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if len(ms.m) >= maxMemorySessions {
		ms.cull()
	}
	ms.m[id] = memorySession{data: maps.Clone(data), expires: expires}
	return nil
}

// maxMemorySessions bounds an instance's session memory. A load generator
// fetching /captcha.png without cookies makes a new session per request.
const maxMemorySessions = 10_000

// cull makes room the way Django's LocMemCache does when it reaches
// MAX_ENTRIES: expired entries go, then one entry in CULL_FREQUENCY (3) of
// the rest. A culled visitor simply gets a new session (and, if logged in,
// logs in again) — what a busy cache-backed Django site does too.
func (ms *memorySessions) cull() {
	now := time.Now()
	for k, s := range ms.m {
		if now.After(s.expires) {
			delete(ms.m, k)
		}
	}
	if len(ms.m) < maxMemorySessions {
		return
	}
	i := 0
	for k := range ms.m {
		if i%3 == 0 {
			delete(ms.m, k)
		}
		i++
	}
}

func (ms *memorySessions) DeleteSession(_ context.Context, id string) error {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	delete(ms.m, id)
	return nil
}
