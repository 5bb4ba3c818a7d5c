package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/gateway/platform"
	"github.com/hermes-go/hermes/internal/redact"
)

// Name is the platform's registered name.
const Name = "webhooks"

// Limits of a route.
const (
	MaxBody        = 1 << 20 // bytes of a request body
	RatePerMin     = 30      // accepted deliveries a minute per route
	turnTimeout    = time.Hour
	deliverTimeout = 30 * time.Second
)

func init() { platform.RegisterService(Name, New) }

// Service serves /webhooks/ROUTE.
type Service struct {
	d      platform.Deps
	routes map[string]*route
	seen   *seen
	admit  sync.Mutex // replay check, rate limit, record and wg.Add as one step
	closed bool       // under admit
	now    func() time.Time
	mux    *http.ServeMux

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type route struct {
	name    string
	keys    keys
	prompt  *prompt
	deliver string
	lim     *limiter
}

// New builds the service from d.Config.Platforms.Webhooks; it returns
// platform.ErrDisabled when webhooks are not enabled.
func New(d platform.Deps) (platform.Service, error) { return newService(d, time.Now) }

func newService(d platform.Deps, now func() time.Time) (*Service, error) {
	if d.Config == nil || !d.Config.Platforms.Webhooks.Enabled {
		return nil, platform.ErrDisabled
	}
	cfg := d.Config.Platforms.Webhooks
	if len(cfg.Routes) == 0 {
		return nil, errors.New("platforms.webhooks is enabled but has no routes: add one under platforms.webhooks.routes, or set enabled: false")
	}
	switch {
	case d.Agent == nil:
		return nil, errors.New("webhooks: no agent to run turns (Deps.Agent)")
	case d.Deliver == nil:
		return nil, errors.New("webhooks: no delivery function (Deps.Deliver)")
	case d.StateDir == "":
		return nil, errors.New("webhooks: no state directory to remember delivery ids in (Deps.StateDir)")
	}
	if d.Logf == nil {
		d.Logf = func(string, ...any) {}
	}
	if d.Env == nil {
		d.Env = func(string) (string, bool) { return "", false }
	}
	s := &Service{d: d, routes: map[string]*route{}, now: now, mux: http.NewServeMux()}
	loopback := isLoopback(d.Config.Gateway.HealthListen)
	names := make([]string, 0, len(cfg.Routes))
	for n := range cfg.Routes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		rt, err := buildRoute(d, n, cfg.Routes[n], loopback)
		if err != nil {
			return nil, err
		}
		s.routes[n] = rt
	}
	sn, err := openSeen(d.StateDir, now())
	if err != nil {
		return nil, fmt.Errorf("webhooks: %w", err)
	}
	s.seen = sn
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.mux.HandleFunc("/webhooks/{route}", s.serve)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		reply(w, http.StatusNotFound, map[string]string{"error": "no such webhook route"})
	})
	return s, nil
}

// buildRoute checks one route's config and secret.
func buildRoute(d platform.Deps, n string, rc config.WebhookRoute, loopback bool) (*route, error) {
	key := "platforms.webhooks.routes." + n
	var secret string
	switch {
	case rc.SecretEnv == "" && !loopback:
		return nil, fmt.Errorf("%s has no secret_env and the gateway listens on %q (gateway.health_listen), beyond this machine: set secret_env to a .env variable holding the route's secret, or listen on 127.0.0.1", key, d.Config.Gateway.HealthListen)
	case rc.SecretEnv == "":
		d.Logf("webhooks: route %s has no secret: it accepts any request on the loopback listener", n)
	default:
		v, ok := d.Env(rc.SecretEnv)
		if !ok || v == "" {
			return nil, fmt.Errorf("%s.secret_env names %s, which is not set: add %s=<secret> to .env", key, rc.SecretEnv, rc.SecretEnv)
		}
		secret = v
	}
	auth := rc.Auth
	if auth == "" {
		auth = "hmac"
	}
	if auth != "hmac" && auth != "token" {
		return nil, fmt.Errorf("%s.auth is %q: use hmac or token", key, rc.Auth)
	}
	k, err := newKeys(auth, secret)
	if err != nil {
		return nil, fmt.Errorf("%s: %s (variable %s): fix the value in .env", key, err, rc.SecretEnv)
	}
	p, err := parsePrompt(n, rc.Prompt)
	if err != nil {
		return nil, fmt.Errorf("%s.prompt: %v: fix the template", key, err)
	}
	deliver := rc.Deliver
	if deliver == "" {
		deliver = "local"
	}
	return &route{name: n, keys: k, prompt: p, deliver: deliver, lim: newLimiter(RatePerMin, time.Minute)}, nil
}

// Name implements platform.Service.
func (s *Service) Name() string { return Name }

// Handler implements platform.Service; it expects full paths
// (/webhooks/ROUTE), so the core mounts it at "/webhooks/" unstripped.
func (s *Service) Handler() http.Handler { return s.mux }

// Listen implements platform.Service: webhooks share the gateway's
// listener.
func (s *Service) Listen() string { return "" }

// Close cancels running turns, waits for them and closes the replay
// journal.
func (s *Service) Close() error {
	s.admit.Lock()
	if s.closed {
		s.admit.Unlock()
		return nil
	}
	s.closed = true
	s.admit.Unlock()
	s.cancel()
	s.wg.Wait()
	return s.seen.close()
}

// wait blocks until every accepted turn has finished and delivered (tests).
func (s *Service) wait() { s.wg.Wait() }

func isLoopback(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (s *Service) serve(w http.ResponseWriter, r *http.Request) {
	rt, ok := s.routes[r.PathValue("route")]
	if !ok {
		reply(w, http.StatusNotFound, map[string]string{"error": "no such webhook route"})
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		reply(w, http.StatusMethodNotAllowed, map[string]string{"error": "webhooks accept POST only"})
		return
	}
	if r.ContentLength > MaxBody {
		reply(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "body larger than 1 MiB"})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			reply(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "body larger than 1 MiB"})
			return
		}
		reply(w, http.StatusBadRequest, map[string]string{"error": "could not read the body"})
		return
	}
	now := s.now()
	v, err := rt.keys.verify(r.Header, body, now)
	if err != nil {
		s.d.Logf("webhooks: route %s: rejected a request from %s: %v", rt.name, r.RemoteAddr, err)
		reply(w, http.StatusUnauthorized, map[string]string{"error": err.Error()})
		return
	}
	nonce := newNonce()
	event := ""
	if v.event != "" {
		event = external(v.event, nonce)
	}
	text, err := rt.prompt.render(tplData{Route: rt.name, Event: event, Body: external(string(body), nonce)}, decodePayload(body), nonce)
	if err != nil {
		s.d.Logf("webhooks: route %s: prompt template failed: %v", rt.name, err)
		reply(w, http.StatusInternalServerError, map[string]string{"error": "the route's prompt template failed: " + err.Error()})
		return
	}
	if code, msg := s.admitDelivery(rt, v, now); code != 0 {
		if code == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", msg)
			msg = "more than 30 deliveries a minute on this route; retry after " + msg + " s"
		}
		if code == http.StatusOK {
			reply(w, code, map[string]string{"status": "duplicate", "note": msg})
			return
		}
		reply(w, code, map[string]string{"error": msg})
		return
	}
	runID := "wh_" + newNonce()
	s.d.Logf("webhooks: route %s: accepted run %s (%s)", rt.name, runID, v.scheme)
	go s.run(rt, runID, text, nonce)
	reply(w, http.StatusAccepted, map[string]string{"status": "accepted", "run_id": runID, "route": rt.name})
}

// admitDelivery checks the replay journal and the rate limit and records
// the delivery; code 0 admits it and counts its run in s.wg. A 429's msg
// is the Retry-After seconds.
func (s *Service) admitDelivery(rt *route, v verified, now time.Time) (int, string) {
	s.admit.Lock()
	defer s.admit.Unlock()
	if s.closed {
		return http.StatusServiceUnavailable, "the gateway is stopping; try again"
	}
	if len(v.replay) > 0 && s.seen.check(rt.name, v.replay, now) {
		s.d.Logf("webhooks: route %s: ignored a replayed delivery (%s)", rt.name, v.scheme)
		return http.StatusOK, "this delivery was already received; it was ignored"
	}
	if ok, wait := rt.lim.allow(now); !ok {
		secs := int((wait + time.Second - 1) / time.Second)
		return http.StatusTooManyRequests, strconv.Itoa(max(secs, 1))
	}
	if len(v.replay) > 0 {
		if err := s.seen.add(rt.name, v.replay, now, v.window); err != nil {
			s.d.Logf("webhooks: route %s: %v", rt.name, err)
			return http.StatusServiceUnavailable, "could not record the delivery id; try again"
		}
	}
	s.wg.Add(1)
	return 0, ""
}

// run executes one accepted delivery and delivers its answer or failure.
func (s *Service) run(rt *route, runID, text, nonce string) {
	defer s.wg.Done()
	ctx, cancel := context.WithTimeout(s.ctx, turnTimeout)
	defer cancel()
	res, err := s.d.Agent.Turn(ctx, platform.TurnRequest{
		SessionKey: "webhook:" + rt.name + ":" + runID,
		Text:       text,
		System:     systemNote(rt.name, nonce),
		Source:     "webhook:" + rt.name,
	})
	out := redact.Default().String(res.Text)
	if err != nil {
		msg := redact.Default().String(err.Error())
		s.d.Logf("webhooks: route %s: run %s failed: %s", rt.name, runID, msg)
		out = fmt.Sprintf("webhook %s run %s failed: %s", rt.name, runID, msg)
	} else if out == "" {
		out = fmt.Sprintf("webhook %s run %s finished with an empty answer", rt.name, runID)
	}
	// The answer is delivered even when Close cut the turn short.
	dctx, dcancel := context.WithTimeout(context.WithoutCancel(ctx), deliverTimeout)
	defer dcancel()
	if err := s.d.Deliver(dctx, rt.deliver, out); err != nil {
		s.d.Logf("webhooks: route %s: run %s: delivery to %s failed: %s", rt.name, runID, rt.deliver, redact.Default().String(err.Error()))
		return
	}
	s.d.Logf("webhooks: route %s: run %s delivered to %s", rt.name, runID, rt.deliver)
}

func reply(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}
