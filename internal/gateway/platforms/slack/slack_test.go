package slack

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
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/clock"
	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/gateway/platform"
	"github.com/hermes-go/hermes/internal/gateway/platforms/slack/slackfake"
)

// fakeCore is a platform.Handler that records what the adapter gives it.
type fakeCore struct {
	mu       sync.Mutex
	changed  chan struct{}
	inbound  []platform.Message
	calls    int
	failNext int
	pressed  []platform.Callback
	ups      int
	lastErr  error
}

func newCore() *fakeCore { return &fakeCore{changed: make(chan struct{})} }

func (c *fakeCore) notify() { close(c.changed); c.changed = make(chan struct{}) }

func (c *fakeCore) Inbound(_ context.Context, m platform.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	defer c.notify()
	c.calls++
	if c.failNext > 0 {
		c.failNext--
		return errors.New("journal: database is locked")
	}
	for _, got := range c.inbound { // the ledger's dedup by key
		if got.Key() == m.Key() {
			return nil
		}
	}
	c.inbound = append(c.inbound, m)
	return nil
}

func (c *fakeCore) Pressed(_ context.Context, cb platform.Callback) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	defer c.notify()
	c.pressed = append(c.pressed, cb)
	return nil
}

func (c *fakeCore) Connected(name string, up bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	defer c.notify()
	if up {
		c.ups++
	}
	c.lastErr = err
}

func (c *fakeCore) wait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(15 * time.Second)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		ok, ch := cond(), c.changed
		c.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			c.mu.Lock()
			defer c.mu.Unlock()
			t.Fatalf("timed out waiting for %s; inbound=%+v pressed=%+v ups=%d err=%v", what, c.inbound, c.pressed, c.ups, c.lastErr)
		}
	}
}

type logs struct {
	mu    sync.Mutex
	lines []string
}

func (l *logs) logf(f string, a ...any) {
	l.mu.Lock()
	l.lines = append(l.lines, fmt.Sprintf(f, a...))
	l.mu.Unlock()
}

func (l *logs) all() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

func deps(base string, env map[string]string, mutate func(*config.Slack), lg *logs) platform.Deps {
	cfg := config.Default()
	cfg.Platforms.Slack.Enabled = true
	cfg.Platforms.Slack.BaseURL = base
	if mutate != nil {
		mutate(&cfg.Platforms.Slack)
	}
	return platform.Deps{Config: cfg, Env: func(k string) (string, bool) { v, ok := env[k]; return v, ok }, Logf: lg.logf}
}

var socketEnv = map[string]string{"SLACK_BOT_TOKEN": slackfake.BotToken, "SLACK_APP_TOKEN": slackfake.AppToken}

// start runs a socket-mode adapter against a fresh fake.
func start(t *testing.T, mutate func(*config.Slack)) (*Adapter, *slackfake.Server, *fakeCore, *logs) {
	t.Helper()
	fake := slackfake.New()
	lg := &logs{}
	ad, err := New(deps(fake.URL, socketEnv, mutate, lg))
	if err != nil {
		t.Fatal(err)
	}
	a := ad.(*Adapter)
	a.wait = func(ctx context.Context, d time.Duration) error {
		return clock.Real{}.Sleep(ctx, min(d, 50*time.Millisecond))
	}
	core := newCore()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, core) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Run did not return after cancel")
		}
		fake.Close()
		if s := lg.all(); strings.Contains(s, slackfake.BotToken) || strings.Contains(s, slackfake.AppToken) {
			t.Errorf("a token reached the log:\n%s", s)
		}
	})
	if err := fake.WaitConnected(1, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	core.wait(t, "connected", func() bool { return core.ups > 0 })
	return a, fake, core, lg
}

func TestNewErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		mode string
		want string
	}{
		{"no bot token", map[string]string{}, "", "SLACK_BOT_TOKEN is not set"},
		{"user token", map[string]string{"SLACK_BOT_TOKEN": "xoxp-1"}, "", "not a bot token"},
		{"socket without app token", map[string]string{"SLACK_BOT_TOKEN": "xoxb-1"}, "", "SLACK_APP_TOKEN is not set"},
		{"app token wrong kind", map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-2"}, "", "not an app-level token"},
		{"events without secret", map[string]string{"SLACK_BOT_TOKEN": "xoxb-1"}, "events", "SLACK_SIGNING_SECRET is not set"},
	}
	for _, tt := range tests {
		_, err := New(deps("", tt.env, func(s *config.Slack) { s.Mode = tt.mode }, &logs{}))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want %q", tt.name, err, tt.want)
		}
	}
	cfg := config.Default()
	if _, err := New(platform.Deps{Config: cfg}); !errors.Is(err, platform.ErrDisabled) {
		t.Errorf("disabled: %v", err)
	}
}

// TestSocketMode: a DM is journaled then acknowledged; an envelope whose
// Inbound failed is not acknowledged and comes again after a reconnect;
// bots, edits and the bot's own messages are dropped.
func TestSocketMode(t *testing.T) {
	t.Parallel()
	_, fake, core, _ := start(t, nil)

	env := fake.SendMessage(slackfake.Message{Channel: "D1", ChannelType: "im", User: "U1", Text: "hello"})
	core.wait(t, "the DM", func() bool { return len(core.inbound) == 1 })
	m := core.inbound[0]
	if m.Platform != Name || m.ChatID != "D1" || m.UserID != "U1" || m.Text != "hello" || m.ChatType != platform.DM || !m.Mentioned || m.ID == "" {
		t.Fatalf("message = %+v", m)
	}
	waitAck(t, fake, env, true)

	for _, skip := range []slackfake.Message{
		{Channel: "D1", ChannelType: "im", User: "U2", Text: "from a bot", BotID: "B1"},
		{Channel: "D1", ChannelType: "im", User: slackfake.BotUser, Text: "my own"},
		{Channel: "D1", ChannelType: "im", User: "U1", Text: "edited", SubType: "message_changed"},
		{Channel: "D1", ChannelType: "im", User: "U1", Text: "joined", SubType: "channel_join"},
	} {
		waitAck(t, fake, fake.SendMessage(skip), true) // acked, but not given to the core
	}

	core.mu.Lock()
	core.failNext = 1
	core.mu.Unlock()
	env = fake.SendMessage(slackfake.Message{Channel: "D1", ChannelType: "im", User: "U1", Text: "second"})
	core.wait(t, "the failed Inbound", func() bool { return core.calls >= 2 })
	time.Sleep(200 * time.Millisecond)
	if fake.Acked(env) {
		t.Fatal("an envelope whose Inbound failed was acknowledged")
	}
	fake.Drop() // Slack redelivers what was not acked on the next connection
	if err := fake.WaitConnected(2, 40*time.Second); err != nil {
		t.Fatal(err)
	}
	core.wait(t, "the redelivered message", func() bool { return len(core.inbound) == 2 })
	waitAck(t, fake, env, true)
	if core.inbound[1].Text != "second" {
		t.Fatalf("redelivered = %+v", core.inbound[1])
	}
}

func waitAck(t *testing.T, fake *slackfake.Server, env string, want bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for fake.Acked(env) != want {
		if time.Now().After(deadline) {
			t.Fatalf("envelope %s acked=%v, want %v", env, !want, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestChannels: mention gating, mentions stripped, threads, and the
// message + app_mention pair of one post journaled once.
func TestChannels(t *testing.T) {
	t.Parallel()
	_, fake, core, _ := start(t, func(s *config.Slack) { s.RequireMention = true })
	fake.SendMessage(slackfake.Message{Channel: "C1", ChannelType: "channel", User: "U1", Text: "just chatting"})
	fake.SendMessage(slackfake.Message{Channel: "C1", ChannelType: "channel", User: "U1", Text: "<@" + slackfake.BotUser + "> what time is it?", TS: "1700000001.000001"})
	core.wait(t, "the mention", func() bool { return len(core.inbound) == 1 })
	m := core.inbound[0]
	if m.Text != "what time is it?" || !m.Mentioned || m.ChatType != platform.Channel || m.ThreadID != "" {
		t.Fatalf("mention = %+v", m)
	}
	fake.SendMessage(slackfake.Message{Channel: "C1", ChannelType: "channel", User: "U2", Text: "<@" + slackfake.BotUser + "> and in the thread", ThreadTS: "1700000001.000001"})
	core.wait(t, "the thread reply", func() bool { return len(core.inbound) == 2 })
	if m := core.inbound[1]; m.ThreadID != "1700000001.000001" || m.ChatType != platform.Thread || m.UserID != "U2" {
		t.Fatalf("thread = %+v", m)
	}
	if got := len(core.inbound); got != 2 {
		t.Fatalf("%d messages journaled; the unaddressed one got through", got)
	}
}

// TestSendButtonsEdit: replies go to the thread; buttons become Block
// Kit actions whose press reaches the core; a 429 is waited out; edits
// drop the buttons.
func TestSendButtonsEdit(t *testing.T) {
	t.Parallel()
	a, fake, core, _ := start(t, nil)
	ctx := context.Background()
	fake.RateLimitNext()
	sent, err := a.Send(ctx, platform.Outbound{ChatID: "C1", ThreadID: "1700000001.000001", Text: "Run `rm -rf build`?",
		Buttons: [][]platform.Button{{{Text: "Approve", Data: "ap:1:once"}, {Text: "Deny", Data: "ap:1:deny"}}}})
	if err != nil {
		t.Fatal(err)
	}
	posted, err := fake.WaitPosted(1, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	p := posted[0]
	if p.Channel != "C1" || p.ThreadTS != "1700000001.000001" || p.Text != "Run `rm -rf build`?" || sent.ID != p.TS {
		t.Fatalf("posted %+v, sent %+v", p, sent)
	}
	var blocks []map[string]any
	if err := json.Unmarshal([]byte(p.Blocks), &blocks); err != nil || len(blocks) != 2 || blocks[1]["type"] != "actions" {
		t.Fatalf("blocks %s: %v", p.Blocks, err)
	}
	if !strings.Contains(p.Blocks, `"value":"ap:1:once"`) || !strings.Contains(p.Blocks, `"action_id":"hermes_1"`) {
		t.Fatalf("buttons missing: %s", p.Blocks)
	}

	fake.PressButton("C1", sent.ID, "U1", "ap:1:once")
	core.wait(t, "the press", func() bool { return len(core.pressed) == 1 })
	if cb := core.pressed[0]; cb.Data != "ap:1:once" || cb.UserID != "U1" || cb.ChatID != "C1" || cb.Platform != Name {
		t.Fatalf("callback = %+v", cb)
	}

	if err := a.Edit(ctx, "C1", sent.ID, "Approved once."); err != nil {
		t.Fatal(err)
	}
	posted, _ = fake.WaitPosted(2, 5*time.Second)
	if e := posted[1]; e.Method != "chat.update" || e.TS != sent.ID || e.Text != "Approved once." || (e.Blocks != "" && e.Blocks != "[]") {
		t.Fatalf("edit = %+v", e)
	}

	if _, err := a.Send(ctx, platform.Outbound{ChatID: "C1", Text: strings.Repeat("x", MaxLen+1)}); err == nil {
		t.Fatal("an over-long text was sent")
	}
	if _, err := a.Send(ctx, platform.Outbound{ChatID: "C1", Text: " "}); err == nil {
		t.Fatal("an empty text was sent")
	}
}

// TestInvalidToken: a refused bot token ends Run with an error that
// does not contain the token.
func TestInvalidToken(t *testing.T) {
	t.Parallel()
	fake := slackfake.New()
	defer fake.Close()
	env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-9999-wrongwrongwrong", "SLACK_APP_TOKEN": slackfake.AppToken}
	ad, err := New(deps(fake.URL, env, nil, &logs{}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = ad.Run(ctx, newCore())
	if err == nil || !strings.Contains(err.Error(), "invalid_auth") || strings.Contains(err.Error(), "wrongwrong") {
		t.Fatalf("Run = %v", err)
	}
}

// TestEventsAPI: signed requests are journaled and answered 200; a bad
// or stale signature is 401 and nothing runs; a failed journal is 503
// (Slack retries); url_verification echoes the challenge; interactivity
// reaches the core.
func TestEventsAPI(t *testing.T) {
	t.Parallel()
	const secret = "8f742231b10e8888abcd99yyyzzz85a5"
	env := map[string]string{"SLACK_BOT_TOKEN": slackfake.BotToken, "SLACK_SIGNING_SECRET": secret}
	fake := slackfake.New()
	defer fake.Close()
	ad, err := New(deps(fake.URL, env, func(s *config.Slack) { s.Mode = ModeEvents; s.EventsListen = "127.0.0.1:0" }, &logs{}))
	if err != nil {
		t.Fatal(err)
	}
	a := ad.(*Adapter)
	core := newCore()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, core) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	core.wait(t, "listening", func() bool { return core.ups > 0 })
	base := "http://" + a.EventsAddr()

	post := func(path, ctype string, body []byte, ts time.Time, key string) int {
		req, _ := http.NewRequest(http.MethodPost, base+path, bytes.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		s := strconv.FormatInt(ts.Unix(), 10)
		m := hmac.New(sha256.New, []byte(key))
		io.WriteString(m, "v0:"+s+":")
		m.Write(body)
		req.Header.Set("X-Slack-Request-Timestamp", s)
		req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(m.Sum(nil)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	event := func(text, ts string) []byte {
		b, _ := json.Marshal(slackfake.Callback(map[string]any{"type": "message", "channel": "D9", "channel_type": "im", "user": "U7", "text": text, "ts": ts}))
		return b
	}
	now := time.Now()
	if code := post("/slack/events", "application/json", event("forged", "1.1"), now, "wrong-secret"); code != http.StatusUnauthorized {
		t.Fatalf("bad signature: %d", code)
	}
	if code := post("/slack/events", "application/json", event("stale", "1.2"), now.Add(-10*time.Minute), secret); code != http.StatusUnauthorized {
		t.Fatalf("stale signature: %d", code)
	}
	core.mu.Lock()
	core.failNext = 1
	core.mu.Unlock()
	if code := post("/slack/events", "application/json", event("hi", "1.3"), now, secret); code != http.StatusServiceUnavailable {
		t.Fatalf("failed journal: %d", code)
	}
	if code := post("/slack/events", "application/json", event("hi", "1.3"), now, secret); code != http.StatusOK {
		t.Fatalf("retry: %d", code)
	}
	core.mu.Lock()
	if len(core.inbound) != 1 || core.inbound[0].Text != "hi" || core.inbound[0].ChatID != "D9" {
		t.Fatalf("inbound = %+v", core.inbound)
	}
	core.mu.Unlock()

	// url_verification
	body := []byte(`{"type":"url_verification","token":"x","challenge":"c-123"}`)
	rec := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodPost, "/slack/events", bytes.NewReader(body))
	sign(r, body, secret)
	a.EventsHandler(ctx, core).ServeHTTP(rec, r)
	if rec.Code != 200 || rec.Body.String() != "c-123" {
		t.Fatalf("challenge: %d %q", rec.Code, rec.Body.String())
	}

	payload, _ := json.Marshal(map[string]any{"type": "block_actions", "user": map[string]any{"id": "U7"}, "channel": map[string]any{"id": "D9"},
		"container": map[string]any{"message_ts": "5.5", "channel_id": "D9"}, "actions": []any{map[string]any{"action_id": "hermes_1", "block_id": "hermes_row_0", "type": "button", "value": "ap:2:deny"}}})
	form := []byte("payload=" + url.QueryEscape(string(payload)))
	if code := post("/slack/interactive", "application/x-www-form-urlencoded", form, now, secret); code != http.StatusOK {
		t.Fatalf("interactive: %d", code)
	}
	core.mu.Lock()
	defer core.mu.Unlock()
	if len(core.pressed) != 1 || core.pressed[0].Data != "ap:2:deny" || core.pressed[0].UserID != "U7" {
		t.Fatalf("pressed = %+v", core.pressed)
	}
}

func sign(r *http.Request, body []byte, key string) {
	s := strconv.FormatInt(time.Now().Unix(), 10)
	m := hmac.New(sha256.New, []byte(key))
	io.WriteString(m, "v0:"+s+":")
	m.Write(body)
	r.Header.Set("X-Slack-Request-Timestamp", s)
	r.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(m.Sum(nil)))
}

func FuzzAddressed(f *testing.F) {
	a := &Adapter{botID: "UBOT"}
	for _, s := range []string{"<@UBOT> hi", "hi <@UBOT|hermes>", "<@U2> <@UBOT>", "<@", "plain"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, _ := a.addressed(s)
		if strings.Contains(out, "<@UBOT>") {
			t.Fatalf("mention left in %q", out)
		}
	})
}
