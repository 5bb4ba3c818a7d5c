package gateway

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/gateway/platform"
	"github.com/hermes-go/hermes/internal/redact"
	"github.com/hermes-go/hermes/internal/store"
)

// memAdapter is a chat platform in memory: tests push messages into it
// and read what the core sent.
type memAdapter struct {
	name   string
	maxLen int
	in     chan platform.Message

	mu       sync.Mutex
	sent     []platform.Outbound
	failures int // Send fails this many times first
	acked    []string
	sentCh   chan platform.Outbound
}

func newMem(name string) *memAdapter {
	return &memAdapter{name: name, maxLen: 4096, in: make(chan platform.Message, 16), sentCh: make(chan platform.Outbound, 64)}
}

func (a *memAdapter) Name() string { return a.name }
func (a *memAdapter) MaxLen() int  { return a.maxLen }

func (a *memAdapter) Run(ctx context.Context, h platform.Handler) error {
	h.Connected(a.name, true, nil)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case m := <-a.in:
			if err := h.Inbound(ctx, m); err != nil {
				return err
			}
			a.mu.Lock()
			a.acked = append(a.acked, m.ID)
			a.mu.Unlock()
		}
	}
}

func (a *memAdapter) Send(ctx context.Context, o platform.Outbound) (platform.Sent, error) {
	a.mu.Lock()
	if a.failures > 0 {
		a.failures--
		a.mu.Unlock()
		return platform.Sent{}, errors.New("platform says 502")
	}
	a.sent = append(a.sent, o)
	id := strconv.Itoa(len(a.sent))
	a.mu.Unlock()
	a.sentCh <- o
	return platform.Sent{ID: id}, nil
}

func (a *memAdapter) Sent() []platform.Outbound {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]platform.Outbound(nil), a.sent...)
}

// next waits for the next sent message.
func (a *memAdapter) next(t *testing.T) platform.Outbound {
	t.Helper()
	select {
	case o := <-a.sentCh:
		return o
	case <-time.After(10 * time.Second):
		t.Fatal("nothing was sent")
	}
	return platform.Outbound{}
}

// funcAgent runs turns with a function.
type funcAgent func(ctx context.Context, r platform.TurnRequest) (platform.TurnResult, error)

func (f funcAgent) Turn(ctx context.Context, r platform.TurnRequest) (platform.TurnResult, error) {
	return f(ctx, r)
}

func echo() funcAgent {
	return func(_ context.Context, r platform.TurnRequest) (platform.TurnResult, error) {
		return platform.TurnResult{Text: "echo: " + r.Text}, nil
	}
}

func allowAll(context.Context, platform.Message) Decision { return Decision{Allow: true} }

func openStore(t testing.TB, path string) *store.Store {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "state.db")
	}
	st, err := store.Open(path, redact.Default())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// start runs a core until the test ends; stop cancels it and waits.
func start(t *testing.T, o Options) (c *Core, stop func()) {
	t.Helper()
	if o.Retries == 0 {
		o.Retries = 3
	}
	if o.Backoff == nil {
		o.Backoff = func(int) time.Duration { return time.Millisecond }
	}
	if o.Commands == nil {
		o.Commands = &Commands{}
	}
	c = New(o)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return c, stop
}

func dm(id, text string) platform.Message {
	return platform.Message{Platform: "mem", ID: id, ChatID: "42", ChatType: platform.DM, UserID: "u1", Text: text, At: time.Unix(1, 0)}
}

// waitStatus polls the ledger until key reaches want.
func waitStatus(t *testing.T, st *store.Store, key, want string) store.Inbound {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		row, err := st.InboundMessage(context.Background(), key)
		if err == nil && row.Status == want {
			return row
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: status %q, want %q (err %v)", key, row.Status, want, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
