package webhooks

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/gateway/platform"
)

// The same delivery sent many times at once runs exactly once.
func TestConcurrentDuplicates(t *testing.T) {
	t.Parallel()
	r := schemeRig(t)
	body := []byte(`{"action":"synchronize"}`)
	h := signers["gh"](t, body, r.clock.now(), "same", false)
	const n = 12
	codes := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			code, _, _ := r.post(t, "gh", body, h)
			codes <- code
		})
	}
	wg.Wait()
	close(codes)
	count := map[int]int{}
	for c := range codes {
		count[c]++
	}
	if count[http.StatusAccepted] != 1 || count[http.StatusOK] != n-1 {
		t.Fatalf("codes = %v", count)
	}
	r.svc.wait()
	if r.agent.count() != 1 {
		t.Fatal(r.agent.count())
	}
}

// A Standard Webhooks secret without whsec_ is used as its bytes.
func TestStandardRawSecret(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"type":"x"}`)
	ts := strconv.FormatInt(now.Unix(), 10)
	m := hmac.New(sha256.New, []byte("plain-secret"))
	m.Write([]byte("msg_1." + ts + "."))
	m.Write(body)
	h := http.Header{}
	h.Set("webhook-id", "msg_1")
	h.Set("webhook-timestamp", ts)
	h.Set("webhook-signature", "v1,"+base64.StdEncoding.EncodeToString(m.Sum(nil)))
	k, err := newKeys("hmac", "plain-secret")
	if err != nil {
		t.Fatal(err)
	}
	v, err := k.verify(h, body, now)
	if err != nil || v.scheme != SchemeStandard || len(v.replay) != 1 {
		t.Fatalf("%+v %v", v, err)
	}
}

// The event header reaches the template, marked.
func TestEventInPrompt(t *testing.T) {
	t.Parallel()
	r := newRig(t, opts{
		routes: map[string]config.WebhookRoute{"gl": {Auth: "token", SecretEnv: "GL", Prompt: "{{.Route}}/{{.Event}}/{{.Field.object_kind}}"}},
		env:    map[string]string{"GL": glSecret},
	})
	body := []byte(`{"object_kind":"merge_request"}`)
	if code, _, _ := r.post(t, "gl", body, map[string]string{"X-Gitlab-Token": glSecret, "X-Gitlab-Event": "Merge Request Hook"}); code != http.StatusAccepted {
		t.Fatal(code)
	}
	r.svc.wait()
	text := r.agent.last().Text
	if !bytes.HasPrefix([]byte(text), []byte("gl/<<<EXTERNAL_UNTRUSTED_CONTENT id=")) ||
		!bytes.Contains([]byte(text), []byte("\nMerge Request Hook\n")) || !bytes.Contains([]byte(text), []byte("\nmerge_request\n")) {
		t.Fatalf("%q", text)
	}
}

func BenchmarkVerifyGitHub1MiB(b *testing.B) {
	body := bytes.Repeat([]byte("x"), MaxBody)
	k, _ := newKeys("hmac", ghSecret)
	h := http.Header{}
	h.Set("X-Hub-Signature-256", githubSig(ghSecret, body))
	now := time.Now()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := k.verify(h, body, now); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRender(b *testing.B) {
	p, err := parsePrompt("r", "PR {{.Field.pull_request.title}} by {{.Field.pull_request.user.login}}: {{.Field.action}}")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := p.render(tplData{Route: "r"}, decodePayload([]byte(payload)), "N"); err != nil {
			b.Fatal(err)
		}
	}
}

// The answer is redacted before it is delivered.
func TestAnswerRedacted(t *testing.T) {
	t.Parallel()
	r := hmRig(t, opts{})
	key := "sk-proj-aaaaaaaaaaaaaaaaaaaa9xQz"
	r.agent.answer = func(context.Context, platform.TurnRequest) (string, error) { return "the key is " + key, nil }
	body := []byte(`{}`)
	if code, _, _ := r.post(t, "hm", body, hermesHeaders(hmSecret, r.clock.now(), body)); code != http.StatusAccepted {
		t.Fatal(code)
	}
	r.svc.wait()
	got := r.rec.all()
	if len(got) != 1 || strings.Contains(got[0].text, key) || !strings.Contains(got[0].text, "the key is sk-pro") {
		t.Fatalf("%+v", got)
	}
}

// A config.yaml as users write it: defaults fill auth (hmac) and deliver
// (local).
func TestFromConfigFile(t *testing.T) {
	t.Parallel()
	yaml := "platforms:\n  webhooks:\n    enabled: true\n    routes:\n      ci:\n        secret_env: CI_SECRET\n        prompt: \"CI {{.Field.status}}\"\n"
	cfg, problems := config.Parse("config.yaml", []byte(yaml))
	for _, p := range problems {
		t.Log(p)
	}
	if cfg == nil {
		t.Fatal("config did not parse")
	}
	rec := &recorder{}
	agent := &testAgent{}
	svc, err := New(platform.Deps{
		Config:   cfg,
		Env:      func(k string) (string, bool) { return map[string]string{"CI_SECRET": hmSecret}[k], k == "CI_SECRET" },
		Agent:    agent,
		Deliver:  rec.deliver,
		StateDir: t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	s := svc.(*Service)
	defer s.Close()
	srv := httptestServer(t, s)
	body := []byte(`{"status":"green"}`)
	req, _ := http.NewRequest(http.MethodPost, srv+"/webhooks/ci", bytes.NewReader(body))
	for k, v := range hermesHeaders(hmSecret, time.Now(), body) {
		req.Header.Set(k, v)
	}
	if code, m, _ := do(t, req); code != http.StatusAccepted {
		t.Fatal(code, m)
	}
	s.wait()
	if got := rec.all(); len(got) != 1 || got[0].target != "local" || !strings.Contains(agent.last().Text, "CI <<<EXTERNAL_UNTRUSTED_CONTENT") {
		t.Fatalf("%+v %q", got, agent.last().Text)
	}
}
