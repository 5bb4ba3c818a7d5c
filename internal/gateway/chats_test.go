package gateway

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/gateway/platform"
)

// bulkAdapter is an in-memory platform for many chats: it records every
// reply by chat and reports when want replies have arrived.
type bulkAdapter struct {
	mu   sync.Mutex
	sent map[string][]string // chat -> texts
	n    int
	want int
	all  chan struct{}
}

func newBulk(want int) *bulkAdapter {
	return &bulkAdapter{sent: map[string][]string{}, want: want, all: make(chan struct{})}
}

func (a *bulkAdapter) Name() string { return "mem" }
func (a *bulkAdapter) MaxLen() int  { return 4096 }

func (a *bulkAdapter) Run(ctx context.Context, h platform.Handler) error {
	h.Connected("mem", true, nil)
	<-ctx.Done()
	return ctx.Err()
}

func (a *bulkAdapter) Send(_ context.Context, o platform.Outbound) (platform.Sent, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.sent[o.ChatID] = append(a.sent[o.ChatID], o.Text)
	a.n++
	if a.n == a.want {
		close(a.all)
	}
	return platform.Sent{ID: strconv.Itoa(a.n)}, nil
}

// chatAgent answers each message after a short pause (a model call), naming
// the session and the text it answers.
func chatAgent(pause time.Duration) funcAgent {
	return func(ctx context.Context, r platform.TurnRequest) (platform.TurnResult, error) {
		t := time.NewTimer(pause)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return platform.TurnResult{}, ctx.Err()
		case <-t.C:
		}
		return platform.TurnResult{Text: r.SessionKey + " <- " + r.Text}, nil
	}
}

// sendChats delivers one message to each of n chats at once, round r,
// and waits for every reply.
func sendChats(tb testing.TB, c *Core, a *bulkAdapter, n, r int) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := platform.Message{Platform: "mem", ID: fmt.Sprintf("r%d-m%d", r, i), ChatID: "chat" + strconv.Itoa(i),
				ChatType: platform.DM, UserID: "u" + strconv.Itoa(i), Text: fmt.Sprintf("round %d message for chat%d", r, i)}
			if err := c.Inbound(context.Background(), m); err != nil {
				tb.Error(err)
			}
		}()
	}
	wg.Wait()
	select {
	case <-a.all:
	case <-time.After(2 * time.Minute):
		a.mu.Lock()
		defer a.mu.Unlock()
		tb.Fatalf("%d of %d replies arrived", a.n, a.want)
	}
}

// checkChats: every chat got exactly its own replies, one per round.
func checkChats(tb testing.TB, a *bulkAdapter, n, first, rounds int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.sent) != n {
		tb.Fatalf("%d chats got replies, want %d", len(a.sent), n)
	}
	for i := range n {
		chat := "chat" + strconv.Itoa(i)
		got := a.sent[chat]
		if len(got) != rounds {
			tb.Fatalf("%s got %d replies, want %d: %q", chat, len(got), rounds, got)
		}
		for r := range rounds {
			want := "agent:main:mem:dm:" + chat + " <- " + fmt.Sprintf("round %d message for %s", first+r, chat)
			if got[r] != want {
				tb.Fatalf("%s reply %d is %q, want %q (lost or crossed)", chat, r, got[r], want)
			}
		}
	}
}

// TestFiveHundredConcurrentChats: 500 chats write at once, twice; each
// gets exactly its own two replies, in order.
func TestFiveHundredConcurrentChats(t *testing.T) {
	t.Parallel()
	const n = 500
	st := openStore(t, "")
	a := newBulk(n)
	c, _ := start(t, Options{Store: st, Agent: chatAgent(20 * time.Millisecond), Adapters: []platform.Adapter{a}, Authorize: allowAll})
	waitReady(t, c)
	sendChats(t, c, a, n, 0)
	a.mu.Lock()
	a.n, a.want, a.all = 0, n, make(chan struct{})
	a.mu.Unlock()
	sendChats(t, c, a, n, 1)
	checkChats(t, a, n, 0, 2)
}

// BenchmarkFiveHundredConcurrentChats: one round is 500 chats writing at
// once through the runner and its ledger (state.db on disk), each turn a
// 20 ms model call; it reports chats answered per second.
func BenchmarkFiveHundredConcurrentChats(b *testing.B) {
	const n = 500
	st := openStore(b, "")
	a := newBulk(n)
	c := New(Options{Store: st, Agent: chatAgent(20 * time.Millisecond), Adapters: []platform.Adapter{a}, Authorize: allowAll,
		Retries: 3, Commands: &Commands{}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	defer func() { cancel(); <-done }()
	waitReady(b, c)
	b.ResetTimer()
	began := time.Now()
	for r := 0; r < b.N; r++ {
		a.mu.Lock()
		a.n, a.want, a.all = 0, n, make(chan struct{})
		a.sent = map[string][]string{}
		a.mu.Unlock()
		sendChats(b, c, a, n, r)
		b.StopTimer()
		checkChats(b, a, n, r, 1)
		b.StartTimer()
	}
	b.ReportMetric(float64(n*b.N)/time.Since(began).Seconds(), "chats/s")
}

func waitReady(tb testing.TB, c *Core) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !c.Ready() {
		if time.Now().After(deadline) {
			tb.Fatal("never ready")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
