package webhooks

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/gateway/platform"
)

// testAgent is a platform.Agent that records its turns and answers from
// a function.
type testAgent struct {
	mu     sync.Mutex
	turns  []platform.TurnRequest
	answer func(context.Context, platform.TurnRequest) (string, error)
}

func (a *testAgent) Turn(ctx context.Context, r platform.TurnRequest) (platform.TurnResult, error) {
	a.mu.Lock()
	a.turns = append(a.turns, r)
	a.mu.Unlock()
	if a.answer == nil {
		return platform.TurnResult{Text: "agent answer #" + strconv.Itoa(a.count())}, nil
	}
	text, err := a.answer(ctx, r)
	return platform.TurnResult{Text: text}, err
}

func (a *testAgent) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.turns)
}

func (a *testAgent) last() platform.TurnRequest {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.turns[len(a.turns)-1]
}

// delivery is one recorded Deliver call.
type delivery struct {
	target, text string
	ctxErr       error // the context's error when Deliver was called
}

type recorder struct {
	mu   sync.Mutex
	got  []delivery
	fail error
}

func (r *recorder) deliver(ctx context.Context, target, text string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, delivery{target, text, ctx.Err()})
	return r.fail
}

func (r *recorder) all() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.got...)
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// rig is a running service behind a real loopback HTTP server.
type rig struct {
	svc   *Service
	srv   *httptest.Server
	agent *testAgent
	rec   *recorder
	clock *fakeClock
	logs  *logBuf
	dir   string
}

type logBuf struct {
	mu    sync.Mutex
	lines []string
}

func (l *logBuf) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, sprintf(format, args...))
}

type opts struct {
	routes map[string]config.WebhookRoute
	env    map[string]string
	listen string
	dir    string
	clock  *fakeClock
}

func deps(o opts, a *testAgent, rec *recorder, logs *logBuf) platform.Deps {
	cfg := config.Default()
	cfg.Platforms.Webhooks.Enabled = true
	cfg.Platforms.Webhooks.Routes = o.routes
	if o.listen != "" {
		cfg.Gateway.HealthListen = o.listen
	}
	return platform.Deps{
		Config:   cfg,
		Env:      func(k string) (string, bool) { v, ok := o.env[k]; return v, ok },
		Agent:    a,
		Deliver:  rec.deliver,
		StateDir: o.dir,
		Logf:     logs.logf,
	}
}

func newRig(t *testing.T, o opts) *rig {
	t.Helper()
	if o.dir == "" {
		o.dir = t.TempDir()
	}
	if o.clock == nil {
		o.clock = &fakeClock{t: time.Unix(1_800_000_000, 0)}
	}
	r := &rig{agent: &testAgent{}, rec: &recorder{}, clock: o.clock, logs: &logBuf{}, dir: o.dir}
	svc, err := newService(deps(o, r.agent, r.rec, r.logs), o.clock.now)
	if err != nil {
		t.Fatal(err)
	}
	r.svc = svc
	r.srv = httptest.NewServer(svc.Handler())
	t.Cleanup(func() {
		r.srv.Close()
		svc.Close()
	})
	return r
}

// post sends body to route with headers and returns the status, the
// decoded JSON answer and the response headers.
func (r *rig) post(t *testing.T, route string, body []byte, h map[string]string) (int, map[string]string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, r.srv.URL+"/webhooks/"+route, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header.Set(k, v)
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (int, map[string]string, http.Header) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := map[string]string{}
	if len(b) > 0 {
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("answer is not JSON: %q", b)
		}
	}
	return resp.StatusCode, m, resp.Header
}

func githubSig(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func hermesHeaders(secret string, ts time.Time, body []byte) map[string]string {
	s := strconv.FormatInt(ts.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(s + "."))
	m.Write(body)
	return map[string]string{"X-Hermes-Timestamp": s, "X-Hermes-Signature-256": "sha256=" + hex.EncodeToString(m.Sum(nil))}
}

var errAgent = errors.New("model unreachable")

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

func httptestServer(t *testing.T, s *Service) string {
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}
