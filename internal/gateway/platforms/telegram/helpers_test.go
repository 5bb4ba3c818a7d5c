package telegram

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/clock"
	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/gateway/platform"
	"github.com/hermes-go/hermes/internal/gateway/platforms/telegram/tgtest"
)

// testToken has the shape of a real token (digits:35 characters); the
// tests check it never shows in errors or logs.
var testToken = "123456789:" + strings.Repeat("Zq9", 11) + "Xy"

// fakeCore is a platform.Handler that records what the adapter gives it.
type fakeCore struct {
	mu        sync.Mutex
	changed   chan struct{}
	inbound   []platform.Message
	calls     int // Inbound calls, failed ones included
	failNext  int // Inbound fails this many more times
	pressed   []platform.Callback
	pressErr  error
	connected []connEvent
}

type connEvent struct {
	up  bool
	err error
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
	c.inbound = append(c.inbound, m)
	return nil
}

func (c *fakeCore) Pressed(_ context.Context, cb platform.Callback) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	defer c.notify()
	c.pressed = append(c.pressed, cb)
	return c.pressErr
}

func (c *fakeCore) Connected(name string, up bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	defer c.notify()
	if name != Name {
		panic("Connected with name " + name)
	}
	c.connected = append(c.connected, connEvent{up, err})
}

// wait blocks until cond holds under the core's lock, or fails t.
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
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func (c *fakeCore) messages() []platform.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]platform.Message(nil), c.inbound...)
}

// logBuf collects Deps.Logf lines.
type logBuf struct {
	mu    sync.Mutex
	lines []string
}

func (l *logBuf) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// env is a Deps for a Telegram pointed at base.
func deps(base, token string, logs *logBuf) platform.Deps {
	cfg := config.Default()
	cfg.Platforms.Telegram.Enabled = true
	cfg.Platforms.Telegram.BaseURL = base
	cfg.Platforms.Telegram.HomeChannel = "-100200300"
	return platform.Deps{
		Config: cfg,
		Env: func(k string) (string, bool) {
			if k == "TELEGRAM_BOT_TOKEN" && token != "" {
				return token, true
			}
			return "", false
		},
		StateDir: "",
		Logf:     logs.logf,
	}
}

// rig is a fake server and an adapter on it, with fast retries; waits
// records what the adapter would have slept.
type rig struct {
	srv   *tgtest.Server
	a     *Adapter
	core  *fakeCore
	logs  *logBuf
	mu    sync.Mutex
	waits []time.Duration
}

func newRig(t *testing.T) *rig {
	t.Helper()
	r := &rig{srv: tgtest.New(t, testToken), core: newCore(), logs: &logBuf{}}
	r.a = r.adapter(t)
	return r
}

// adapter builds another adapter on the rig's server (a restart).
func (r *rig) adapter(t *testing.T) *Adapter {
	t.Helper()
	ad, err := New(deps(r.srv.URL(), testToken, r.logs))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	a := ad.(*Adapter)
	a.pollTimeout = 2
	a.wait = func(ctx context.Context, d time.Duration) error {
		r.mu.Lock()
		r.waits = append(r.waits, d)
		r.mu.Unlock()
		return clock.Real{}.Sleep(ctx, time.Millisecond)
	}
	return a
}

func (r *rig) waited() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Duration(nil), r.waits...)
}

// run starts a.Run; the returned stop cancels it and returns its error.
func (r *rig) run(t *testing.T, a *Adapter) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, r.core) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(15 * time.Second):
				t.Errorf("Run did not return after cancel")
			}
		})
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}
