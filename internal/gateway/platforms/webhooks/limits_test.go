package webhooks

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/gateway/platform"
)

func hmRig(t *testing.T, o opts) *rig {
	o.routes = map[string]config.WebhookRoute{
		"hm":    {Auth: "hmac", SecretEnv: "HM", Prompt: "{{.Body}}", Deliver: "local"},
		"other": {Auth: "hmac", SecretEnv: "HM", Prompt: "{{.Body}}", Deliver: "local"},
	}
	o.env = map[string]string{"HM": hmSecret}
	return newRig(t, o)
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	r := hmRig(t, opts{})
	big := bytes.Repeat([]byte("a"), MaxBody+1)
	h := hermesHeaders(hmSecret, r.clock.now(), big)
	// With a Content-Length.
	if code, _, _ := r.post(t, "hm", big, h); code != http.StatusRequestEntityTooLarge {
		t.Fatal("sized", code)
	}
	// Chunked: no length announced, cut while reading.
	req, _ := http.NewRequest(http.MethodPost, r.srv.URL+"/webhooks/hm", io.MultiReader(bytes.NewReader(big)))
	for k, v := range h {
		req.Header.Set(k, v)
	}
	if code, _, _ := do(t, req); code != http.StatusRequestEntityTooLarge {
		t.Fatal("chunked", code)
	}
	// Exactly the limit passes.
	ok := big[:MaxBody]
	if code, _, _ := r.post(t, "hm", ok, hermesHeaders(hmSecret, r.clock.now(), ok)); code != http.StatusAccepted {
		t.Fatal("at the limit", code)
	}
	r.svc.wait()
	if r.agent.count() != 1 {
		t.Fatal(r.agent.count())
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	r := hmRig(t, opts{})
	send := func(route string, i int) (int, http.Header) {
		body := []byte(`{"n":` + strconv.Itoa(i) + `}`)
		code, _, h := r.post(t, route, body, hermesHeaders(hmSecret, r.clock.now(), body))
		return code, h
	}
	for i := range RatePerMin {
		if code, _ := send("hm", i); code != http.StatusAccepted {
			t.Fatalf("request %d: %d", i, code)
		}
		r.clock.add(time.Second)
	}
	code, h := send("hm", 100)
	if code != http.StatusTooManyRequests || h.Get("Retry-After") != "30" {
		t.Fatalf("31st: %d Retry-After %q", code, h.Get("Retry-After"))
	}
	// Another route has its own budget.
	if code, _ := send("other", 101); code != http.StatusAccepted {
		t.Fatal("other route", code)
	}
	// A bad signature is not counted and does not answer 429.
	if code, _, _ := r.post(t, "hm", []byte(`{}`), hermesHeaders("nope", r.clock.now(), []byte(`{}`))); code != http.StatusUnauthorized {
		t.Fatal("bad signature while limited", code)
	}
	// The 429 did not record the id: the sender's retry is accepted
	// once the oldest request leaves the window.
	r.clock.add(30 * time.Second)
	if code, _ := send("hm", 100); code != http.StatusAccepted {
		t.Fatal("after the wait", code)
	}
	r.svc.wait()
	if n := r.agent.count(); n != RatePerMin+2 {
		t.Fatalf("turns = %d", n)
	}
}

func TestReplaySurvivesRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	body := []byte(`{"action":"opened"}`)
	routes := map[string]config.WebhookRoute{"gh": {Auth: "hmac", SecretEnv: "GH", Deliver: "local"}}
	env := map[string]string{"GH": ghSecret}
	h := map[string]string{"X-Hub-Signature-256": githubSig(ghSecret, body), "X-GitHub-Delivery": "d-1"}

	r1 := newRig(t, opts{routes: routes, env: env, dir: dir, clock: clock})
	if code, _, _ := r1.post(t, "gh", body, h); code != http.StatusAccepted {
		t.Fatal(code)
	}
	r1.svc.wait()
	r1.srv.Close()
	if err := r1.svc.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, seenFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("journal: %v %v", st, err)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, seenFile))
	if bytes.Contains(raw, []byte("d-1")) {
		t.Fatal("the journal holds the delivery id as sent")
	}

	r2 := newRig(t, opts{routes: routes, env: env, dir: dir, clock: clock})
	code, m, _ := r2.post(t, "gh", body, h)
	if code != http.StatusOK || m["status"] != "duplicate" {
		t.Fatalf("after restart: %d %v", code, m)
	}
	r2.svc.wait()
	if r2.agent.count() != 0 {
		t.Fatal("replay ran after a restart")
	}
	r2.srv.Close()
	r2.svc.Close()

	// After a day the entry has expired and is dropped on load.
	clock.add(noReplayWindow + time.Second)
	r3 := newRig(t, opts{routes: routes, env: env, dir: dir, clock: clock})
	if code, _, _ := r3.post(t, "gh", body, h); code != http.StatusAccepted {
		t.Fatal("after expiry", code)
	}
}

func TestSeenBounded(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	now := time.Unix(1_800_000_000, 0)
	s, err := openSeen(dir, now)
	if err != nil {
		t.Fatal(err)
	}
	s.max = 10
	for i := range 25 {
		if err := s.add("r", []string{"id" + strconv.Itoa(i)}, now, time.Duration(i+1)*time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if len(s.ids) > 10+1 {
		t.Fatalf("%d entries kept", len(s.ids))
	}
	// The newest are kept.
	if !s.check("r", []string{"id24"}, now) || s.check("r", []string{"id0"}, now) {
		t.Fatal("evicted the wrong entries")
	}
	s.close()
	// Garbage lines in the journal are skipped.
	f, _ := os.OpenFile(filepath.Join(dir, seenFile), os.O_APPEND|os.O_WRONLY, 0o600)
	f.WriteString("not a line\n99999999999 short\n")
	f.Close()
	s2, err := openSeen(dir, now)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.close()
	if !s2.check("r", []string{"id24"}, now) || s2.check("r", []string{"id24"}, now.Add(26*time.Minute)) {
		t.Fatal("reload or expiry wrong")
	}
}

func TestAgentFailureDelivered(t *testing.T) {
	t.Parallel()
	r := hmRig(t, opts{})
	r.agent.answer = func(context.Context, platform.TurnRequest) (string, error) { return "", errAgent }
	body := []byte(`{}`)
	if code, _, _ := r.post(t, "hm", body, hermesHeaders(hmSecret, r.clock.now(), body)); code != http.StatusAccepted {
		t.Fatal(code)
	}
	r.svc.wait()
	got := r.rec.all()
	if len(got) != 1 || !strings.Contains(got[0].text, "failed: model unreachable") {
		t.Fatalf("%+v", got)
	}
	// A failing Deliver is logged, not lost silently.
	r.rec.fail = errors.New("telegram down")
	body = []byte(`{"x":1}`)
	r.post(t, "hm", body, hermesHeaders(hmSecret, r.clock.now(), body))
	r.svc.wait()
	r.logs.mu.Lock()
	defer r.logs.mu.Unlock()
	if !strings.Contains(strings.Join(r.logs.lines, "\n"), "delivery to local failed: telegram down") {
		t.Fatalf("logs: %q", r.logs.lines)
	}
	for _, l := range r.logs.lines {
		if strings.Contains(l, hmSecret) {
			t.Fatalf("secret in log: %q", l)
		}
	}
}

// Close cancels a running turn, waits for it, and refuses new deliveries.
func TestClose(t *testing.T) {
	t.Parallel()
	r := hmRig(t, opts{})
	started := make(chan struct{})
	r.agent.answer = func(ctx context.Context, _ platform.TurnRequest) (string, error) {
		close(started)
		<-ctx.Done()
		return "", ctx.Err()
	}
	body := []byte(`{}`)
	if code, _, _ := r.post(t, "hm", body, hermesHeaders(hmSecret, r.clock.now(), body)); code != http.StatusAccepted {
		t.Fatal(code)
	}
	<-started
	if err := r.svc.Close(); err != nil {
		t.Fatal(err)
	}
	got := r.rec.all()
	if len(got) != 1 || !strings.Contains(got[0].text, "context canceled") || got[0].ctxErr != nil {
		t.Fatalf("%+v", got)
	}
	body = []byte(`{"after":1}`)
	if code, _, _ := r.post(t, "hm", body, hermesHeaders(hmSecret, r.clock.now(), body)); code != http.StatusServiceUnavailable {
		t.Fatal("after close", code)
	}
	if r.agent.count() != 1 {
		t.Fatal(r.agent.count())
	}
}
