package webhooks

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/hermes-go/hermes/internal/config"
)

const (
	ghSecret  = "gh-secret-value"
	glSecret  = "gitlab-token-value"
	hmSecret  = "hermes-secret-value"
	bearerTok = "bearer-token-value"
)

var stdSecret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("standard webhooks key bytes!"))

func schemeRig(t *testing.T) *rig {
	return newRig(t, opts{
		routes: map[string]config.WebhookRoute{
			"gh":     {Auth: "hmac", SecretEnv: "GH", Prompt: "GitHub {{.Event}}: {{.Field.action}}", Deliver: "telegram"},
			"std":    {Auth: "hmac", SecretEnv: "STD", Prompt: "std {{.Field.type}}", Deliver: "local"},
			"hm":     {Auth: "hmac", SecretEnv: "HM", Prompt: "hm {{.Body}}", Deliver: "telegram:42"},
			"gl":     {Auth: "token", SecretEnv: "GL", Prompt: "gl {{.Field.object_kind}}", Deliver: "local"},
			"bearer": {Auth: "token", SecretEnv: "BT", Deliver: "local"},
		},
		env:    map[string]string{"GH": ghSecret, "STD": stdSecret, "HM": hmSecret, "GL": glSecret, "BT": bearerTok},
		listen: "0.0.0.0:8643",
	})
}

// signer produces the headers of one scheme for body at ts; wrong signs
// with the wrong secret.
type signer func(t *testing.T, body []byte, ts time.Time, id string, wrong bool) map[string]string

func pick(wrong bool, good, bad string) string {
	if wrong {
		return bad
	}
	return good
}

var signers = map[string]signer{
	"gh": func(_ *testing.T, body []byte, _ time.Time, id string, wrong bool) map[string]string {
		return map[string]string{"X-Hub-Signature-256": githubSig(pick(wrong, ghSecret, "nope"), body), "X-GitHub-Delivery": id, "X-GitHub-Event": "pull_request"}
	},
	"std": func(t *testing.T, body []byte, ts time.Time, id string, wrong bool) map[string]string {
		wh, err := standardwebhooks.NewWebhook(pick(wrong, stdSecret, "whsec_"+base64.StdEncoding.EncodeToString([]byte("other"))))
		if err != nil {
			t.Fatal(err)
		}
		sig, err := wh.Sign(id, ts, body)
		if err != nil {
			t.Fatal(err)
		}
		// Several signatures, as during a key rotation: an unknown
		// version and a stale key first.
		return map[string]string{"webhook-id": id, "webhook-timestamp": strconv.FormatInt(ts.Unix(), 10),
			"webhook-signature": "v1a,AAAA v1," + base64.StdEncoding.EncodeToString(make([]byte, 32)) + " " + sig}
	},
	"hm": func(_ *testing.T, body []byte, ts time.Time, _ string, wrong bool) map[string]string {
		return hermesHeaders(pick(wrong, hmSecret, "nope"), ts, body)
	},
	"gl": func(_ *testing.T, _ []byte, _ time.Time, id string, wrong bool) map[string]string {
		return map[string]string{"X-Gitlab-Token": pick(wrong, glSecret, glSecret+"x"), "X-Gitlab-Event-UUID": id, "X-Gitlab-Event": "Push Hook"}
	},
	"bearer": func(_ *testing.T, _ []byte, _ time.Time, id string, wrong bool) map[string]string {
		return map[string]string{"Authorization": "Bearer " + pick(wrong, bearerTok, "short"), "X-Hermes-Delivery": id}
	},
}

func TestSchemes(t *testing.T) {
	t.Parallel()
	wantDeliver := map[string]string{"gh": "telegram", "std": "local", "hm": "telegram:42", "gl": "local", "bearer": "local"}
	for route, sign := range signers {
		t.Run(route, func(t *testing.T) {
			t.Parallel()
			r := schemeRig(t)
			body := []byte(`{"action":"opened","type":"invoice.paid","object_kind":"push"}`)
			now := r.clock.now()

			// Bad and missing signatures: 401, nothing runs.
			code, m, _ := r.post(t, route, body, sign(t, body, now, "id-bad", true))
			if code != http.StatusUnauthorized {
				t.Fatalf("wrong secret: %d %v", code, m)
			}
			code, _, _ = r.post(t, route, body, nil)
			if code != http.StatusUnauthorized {
				t.Fatalf("no headers: %d", code)
			}
			// A body changed after signing fails for the HMAC schemes.
			if route == "gh" || route == "std" || route == "hm" {
				h := sign(t, body, now, "id-tamper", false)
				code, _, _ = r.post(t, route, append([]byte(" "), body...), h)
				if code != http.StatusUnauthorized {
					t.Fatalf("tampered body: %d", code)
				}
			}
			r.svc.wait()
			if n := r.agent.count(); n != 0 {
				t.Fatalf("agent ran %d turns for rejected requests", n)
			}

			// Good: 202 with a run id; the answer is delivered.
			h := sign(t, body, now, "id-1", false)
			code, m, _ = r.post(t, route, body, h)
			if code != http.StatusAccepted || !strings.HasPrefix(m["run_id"], "wh_") {
				t.Fatalf("good: %d %v", code, m)
			}
			r.svc.wait()
			got := r.rec.all()
			if len(got) != 1 || got[0].target != wantDeliver[route] || got[0].text != "agent answer #1" {
				t.Fatalf("deliveries = %+v", got)
			}
			turn := r.agent.last()
			if turn.SessionKey != "webhook:"+route+":"+m["run_id"] || turn.Source != "webhook:"+route {
				t.Fatalf("turn = %+v", turn)
			}

			// The same delivery again: 200 with a note, nothing runs.
			code, m, _ = r.post(t, route, body, h)
			if code != http.StatusOK || m["status"] != "duplicate" {
				t.Fatalf("replay: %d %v", code, m)
			}
			r.svc.wait()
			if n := r.agent.count(); n != 1 {
				t.Fatalf("agent ran %d turns after a replay", n)
			}
		})
	}
}

func TestStaleTimestamp(t *testing.T) {
	t.Parallel()
	for _, route := range []string{"std", "hm"} {
		for _, skew := range []time.Duration{-301 * time.Second, 301 * time.Second} {
			t.Run(route+"/"+skew.String(), func(t *testing.T) {
				t.Parallel()
				r := schemeRig(t)
				body := []byte(`{}`)
				code, m, _ := r.post(t, route, body, signers[route](t, body, r.clock.now().Add(skew), "id-stale", false))
				if code != http.StatusUnauthorized || !strings.Contains(m["error"], "timestamp") {
					t.Fatalf("%d %v", code, m)
				}
				// Inside the window it passes.
				code, _, _ = r.post(t, route, body, signers[route](t, body, r.clock.now().Add(skew*299/301), "id-fresh", false))
				if code != http.StatusAccepted {
					t.Fatalf("inside the window: %d", code)
				}
				r.svc.wait()
				if r.agent.count() != 1 {
					t.Fatalf("turns = %d", r.agent.count())
				}
			})
		}
	}
}

// A GitHub delivery replayed under a new delivery id is still a replay:
// the id is not signed, the signature is remembered too.
func TestGitHubReplayNewID(t *testing.T) {
	t.Parallel()
	r := schemeRig(t)
	body := []byte(`{"action":"closed"}`)
	if code, _, _ := r.post(t, "gh", body, signers["gh"](t, body, r.clock.now(), "a", false)); code != http.StatusAccepted {
		t.Fatal(code)
	}
	code, m, _ := r.post(t, "gh", body, signers["gh"](t, body, r.clock.now(), "b", false))
	if code != http.StatusOK || m["status"] != "duplicate" {
		t.Fatalf("%d %v", code, m)
	}
	r.svc.wait()
	if r.agent.count() != 1 {
		t.Fatal(r.agent.count())
	}
}

func TestMalformedHeaders(t *testing.T) {
	t.Parallel()
	r := schemeRig(t)
	body := []byte(`{}`)
	ts := strconv.FormatInt(r.clock.now().Unix(), 10)
	cases := []struct {
		route string
		h     map[string]string
	}{
		{"gh", map[string]string{"X-Hub-Signature-256": "sha1=abcd"}},
		{"gh", map[string]string{"X-Hub-Signature-256": "sha256=zz"}},
		{"std", map[string]string{"webhook-id": "x", "webhook-timestamp": ts}},
		{"std", map[string]string{"webhook-id": "x", "webhook-timestamp": "soon", "webhook-signature": "v1,AAAA"}},
		{"std", map[string]string{"webhook-id": "x", "webhook-timestamp": ts, "webhook-signature": "v2,AAAA"}},
		{"hm", map[string]string{"X-Hermes-Signature-256": githubSig(hmSecret, body)}}, // no timestamp
		{"hm", map[string]string{"X-Hermes-Timestamp": "-5", "X-Hermes-Signature-256": githubSig(hmSecret, body)}},
		{"gl", map[string]string{"Authorization": "Basic " + glSecret}},
		{"bearer", map[string]string{"Authorization": "Bearer"}},
		{"bearer", map[string]string{"X-Gitlab-Token": ""}},
		// An hmac route does not take a token, a token route no signature.
		{"gh", map[string]string{"Authorization": "Bearer " + ghSecret}},
		{"bearer", map[string]string{"X-Hub-Signature-256": githubSig(bearerTok, body)}},
	}
	for _, c := range cases {
		if code, m, _ := r.post(t, c.route, body, c.h); code != http.StatusUnauthorized {
			t.Errorf("%s %v: %d %v", c.route, c.h, code, m)
		}
	}
	r.svc.wait()
	if r.agent.count() != 0 {
		t.Fatal(r.agent.count())
	}
}

func TestRouting(t *testing.T) {
	t.Parallel()
	r := schemeRig(t)
	if code, _, _ := r.post(t, "nope", []byte(`{}`), nil); code != http.StatusNotFound {
		t.Fatal("unknown route", code)
	}
	req, _ := http.NewRequest(http.MethodGet, r.srv.URL+"/webhooks/gh", nil)
	code, _, h := do(t, req)
	if code != http.StatusMethodNotAllowed || h.Get("Allow") != "POST" {
		t.Fatal("GET", code, h)
	}
	if code, _, _ := r.post(t, "gh/extra", []byte(`{}`), nil); code != http.StatusNotFound {
		t.Fatal("sub-path", code)
	}
}
