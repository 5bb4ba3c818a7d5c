package email

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/clock"
	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/gateway"
	"github.com/hermes-go/hermes/internal/gateway/platform"
	"github.com/hermes-go/hermes/internal/gateway/platforms/email/emailtest"
	"github.com/hermes-go/hermes/internal/guard"
	"github.com/hermes-go/hermes/internal/redact"
	"github.com/hermes-go/hermes/internal/store"
)

const (
	botAddr  = "hermes@example.test"
	password = "s3cret-mailbox-Pa55"
	alice    = "alice@example.test"
)

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

// envMap is a .env for Deps.Env.
type envMap map[string]string

func (e envMap) lookup(k string) (string, bool) { v, ok := e[k]; return v, ok && v != "" }

// deps points an email adapter at srv, with workspace as terminal.cwd.
func deps(t *testing.T, srv *emailtest.Server, env envMap, logs *logBuf) platform.Deps {
	t.Helper()
	cfg := config.Default()
	e := &cfg.Platforms.Email
	e.Enabled = true
	e.Address = botAddr
	e.IMAPHost, e.SMTPHost = "127.0.0.1", "127.0.0.1"
	e.IMAPPort, e.SMTPPort = 1, 1
	if srv != nil {
		e.IMAPPort, e.SMTPPort = srv.IMAPPort(), srv.SMTPPort()
	}
	e.TLS = "none"
	e.HomeChannel = "ops@example.test"
	cfg.Terminal.Cwd = t.TempDir()
	if env == nil {
		env = envMap{}
	}
	if _, ok := env["EMAIL_PASSWORD"]; !ok {
		env["EMAIL_PASSWORD"] = password
	}
	return platform.Deps{Config: cfg, Env: env.lookup, StateDir: t.TempDir(), Logf: logs.logf}
}

func newAdapter(t *testing.T, d platform.Deps) *Adapter {
	t.Helper()
	ad, err := New(d)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	a := ad.(*Adapter)
	a.wait = func(ctx context.Context, d time.Duration) error { return clock.Real{}.Sleep(ctx, 10*time.Millisecond) }
	return a
}

// turn is one call the agent received.
type turn struct {
	Session, Text, Origin string
}

// fakeAgent answers "echo: TEXT"; answer, when set, decides instead.
type fakeAgent struct {
	mu     sync.Mutex
	turns  []turn
	answer func(ctx context.Context, r platform.TurnRequest) string
}

func (f *fakeAgent) Turn(ctx context.Context, r platform.TurnRequest) (platform.TurnResult, error) {
	f.mu.Lock()
	f.turns = append(f.turns, turn{r.SessionKey, r.Text, r.Origin})
	ans := f.answer
	f.mu.Unlock()
	if ans != nil {
		return platform.TurnResult{Text: ans(ctx, r)}, nil
	}
	return platform.TurnResult{Text: "echo: " + r.Text}, nil
}

func (f *fakeAgent) Turns() []turn {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]turn(nil), f.turns...)
}

// rig is the real gateway core with its authorization over an email
// adapter on real IMAP and SMTP servers.
type rig struct {
	srv   *emailtest.Server
	a     *Adapter
	agent *fakeAgent
	core  *gateway.Core
	st    *store.Store
	logs  *logBuf
	ws    string
}

// newRig starts servers, an adapter and a core; alice is allowed.
func newRig(t *testing.T, opts ...emailtest.Options) *rig {
	t.Helper()
	r := &rig{srv: emailtest.New(t, botAddr, password, opts...), agent: &fakeAgent{}, logs: &logBuf{}}
	env := envMap{"EMAIL_ALLOWED_USERS": "Alice@Example.test"}
	d := deps(t, r.srv, env, r.logs)
	r.ws = d.Config.Terminal.Cwd
	r.a = newAdapter(t, d)
	// go-imap's test server announces only mail that arrives after IDLE
	// began (real servers report what is pending); a mail landing between
	// the last STORE and the IDLE waits for the next look.
	r.a.poll = 2 * time.Second
	st, err := store.Open(filepath.Join(t.TempDir(), "state.db"), redact.Default())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r.st = st
	auth := &gateway.Auth{Env: env.lookup, Logf: r.logs.logf,
		DMBehavior: func(string) (string, string) { return d.Config.Platforms.Email.UnauthorizedDMBehavior, "pair" }}
	r.core = gateway.New(gateway.Options{Store: st, Agent: r.agent, Adapters: []platform.Adapter{r.a},
		Authorize: auth.Decide, Retries: 3, Backoff: func(int) time.Duration { return 10 * time.Millisecond },
		Commands: &gateway.Commands{}, Logf: r.logs.logf})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = r.core.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	r.waitConnected(t)
	return r
}

func (r *rig) waitConnected(t *testing.T) {
	t.Helper()
	r.srv.Wait(t, "the adapter to connect", func() bool { return r.core.Status()[Name].Connected })
}

// waitTurns waits for n agent turns.
func (r *rig) waitTurns(t *testing.T, n int) []turn {
	t.Helper()
	r.srv.Wait(t, fmt.Sprintf("%d turn(s)", n), func() bool { return len(r.agent.Turns()) >= n })
	return r.agent.Turns()
}

// waitDone waits until the ledger has no open inbound message.
func (r *rig) waitDone(t *testing.T) {
	t.Helper()
	r.srv.Wait(t, "the ledger to settle", func() bool {
		open, err := r.st.OpenInbound(context.Background())
		return err == nil && len(open) == 0
	})
}

// approveIn makes the agent ask for approval through the core and answer
// with the outcome.
func (r *rig) approveIn() {
	r.agent.mu.Lock()
	defer r.agent.mu.Unlock()
	r.agent.answer = func(ctx context.Context, tr platform.TurnRequest) string {
		ans := r.core.Approve(ctx, tr.SessionKey, guard.Request{Command: "rm -rf build", Reason: "deletes files"}, 20*time.Second)
		return "outcome: " + string(ans.Choice)
	}
}
