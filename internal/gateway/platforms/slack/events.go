package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/hermes-go/hermes/internal/gateway/platform"
)

// maxBody bounds an Events API request.
const maxBody = 1 << 20

// defaultEventsListen is where the Events API listener binds when
// platforms.slack.events_listen is empty: loopback, behind a reverse
// proxy or tunnel that gives Slack an https URL.
const defaultEventsListen = "127.0.0.1:8646"

// runEvents serves the Events API (/slack/events) and interactivity
// (/slack/interactive) until ctx ends. Each request is verified with the
// signing secret (v0 HMAC, 5 minutes of clock skew) and answered 2xx only
// once the core journaled its message.
func (a *Adapter) runEvents(ctx context.Context, h platform.Handler) error {
	addr := a.listen
	if addr == "" {
		addr = defaultEventsListen
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		err = errors.New("slack: events listener: " + err.Error() + ": change platforms.slack.events_listen")
		a.down(h, err)
		return err
	}
	a.mu.Lock()
	a.listnr = ln.Addr().String()
	a.mu.Unlock()
	srv := &http.Server{Handler: a.EventsHandler(ctx, h), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	a.up(h)
	a.logf("slack: Events API on http://%s/slack/events", ln.Addr())
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
		return nil
	case err := <-done:
		a.down(h, err)
		return err
	}
}

// EventsAddr is the Events API listener's bound address once Run
// started it ("" before).
func (a *Adapter) EventsAddr() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.listnr
}

// EventsHandler serves /slack/events and /slack/interactive for h.
func (a *Adapter) EventsHandler(ctx context.Context, h platform.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /slack/events", func(w http.ResponseWriter, r *http.Request) {
		body, ok := a.verified(w, r)
		if !ok {
			return
		}
		ev, err := slackevents.ParseEvent(body, slackevents.OptionNoVerifyToken())
		if err != nil {
			http.Error(w, "bad event", http.StatusBadRequest)
			return
		}
		if ev.Type == slackevents.URLVerification {
			var c slackevents.ChallengeResponse
			if json.Unmarshal(body, &c) != nil {
				http.Error(w, "bad challenge", http.StatusBadRequest)
				return
			}
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, c.Challenge)
			return
		}
		if err := a.inner(ctx, h, ev); err != nil {
			// Not journaled: Slack retries a non-2xx answer.
			a.logf("slack: event not journaled, Slack will retry: %s", a.scrubText(err.Error()))
			http.Error(w, "try again", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	mux.HandleFunc("POST /slack/interactive", func(w http.ResponseWriter, r *http.Request) {
		body, ok := a.verified(w, r)
		if !ok {
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		var cb slack.InteractionCallback
		if err := json.Unmarshal([]byte(r.PostForm.Get("payload")), &cb); err != nil {
			http.Error(w, "bad payload", http.StatusBadRequest)
			return
		}
		a.interaction(ctx, h, cb)
		w.WriteHeader(http.StatusOK)
	})
	return mux
}

// verified reads the body and checks Slack's signature; it answers the
// request itself when that fails.
func (a *Adapter) verified(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return nil, false
	}
	sv, err := slack.NewSecretsVerifier(r.Header, a.signingSecret)
	if err == nil {
		sv.Write(body)
		err = sv.Ensure()
	}
	if err != nil {
		a.logf("slack: refused an Events API request from %s: bad or stale signature", r.RemoteAddr)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return nil, false
	}
	return body, true
}
