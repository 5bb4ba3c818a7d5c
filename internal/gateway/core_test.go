package gateway

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/gateway/platform"
	"github.com/hermes-go/hermes/internal/guard"
	"github.com/hermes-go/hermes/internal/store"
)

func TestReplyOnceAndJournalOnce(t *testing.T) {
	t.Parallel()
	st := openStore(t, "")
	a := newMem("mem")
	start(t, Options{Store: st, Agent: echo(), Adapters: []platform.Adapter{a}, Authorize: allowAll})
	m := dm("1", "hello")
	a.in <- m
	a.in <- m // fetched twice (e.g. acked late): journaled once
	got := a.next(t)
	if got.Text != "echo: hello" || got.ChatID != "42" || got.ReplyTo != "1" || got.Key == "" {
		t.Fatalf("sent %+v", got)
	}
	row := waitStatus(t, st, m.Key(), store.InboundAnswered)
	if row.Attempts != 1 {
		t.Fatalf("attempts = %d", row.Attempts)
	}
	a.in <- dm("2", "again") // the second copy of 1 would have been sent before this
	if got := a.next(t); got.Text != "echo: again" {
		t.Fatalf("second reply %q: the duplicate was answered", got.Text)
	}
	if n := len(a.Sent()); n != 2 {
		t.Fatalf("%d messages sent, want 2", n)
	}
}

func TestDenyByDefault(t *testing.T) {
	t.Parallel()
	st := openStore(t, "")
	a := newMem("mem")
	var turns atomic.Int32
	agent := funcAgent(func(context.Context, platform.TurnRequest) (platform.TurnResult, error) {
		turns.Add(1)
		return platform.TurnResult{Text: "x"}, nil
	})
	start(t, Options{Store: st, Agent: agent, Adapters: []platform.Adapter{a}}) // no Authorize
	m := dm("1", "let me in")
	a.in <- m
	waitStatus(t, st, m.Key(), store.InboundAnswered)
	if turns.Load() != 0 || len(a.Sent()) != 0 {
		t.Fatalf("denied message got %d turns and %d replies", turns.Load(), len(a.Sent()))
	}
}

func TestLongReplySplit(t *testing.T) {
	t.Parallel()
	st := openStore(t, "")
	a := newMem("mem")
	a.maxLen = 10
	long := "aaaa bbbb cccc dddd eeee"
	agent := funcAgent(func(context.Context, platform.TurnRequest) (platform.TurnResult, error) {
		return platform.TurnResult{Text: long}, nil
	})
	start(t, Options{Store: st, Agent: agent, Adapters: []platform.Adapter{a}, Authorize: allowAll})
	m := dm("1", "hi")
	a.in <- m
	waitStatus(t, st, m.Key(), store.InboundAnswered)
	var parts []string
	for _, o := range a.Sent() {
		if len(o.Text) > 10 {
			t.Fatalf("part %q longer than MaxLen", o.Text)
		}
		parts = append(parts, o.Text)
	}
	if strings.Join(parts, " ") != long {
		t.Fatalf("parts %q do not rebuild the reply", parts)
	}
}

func TestDeliveryRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		failures int
		retries  int
		want     string
	}{
		{"recovers within retries", 2, 3, store.InboundAnswered},
		{"gives up", 5, 3, store.InboundFailed},
		{"single attempt", 1, 1, store.InboundFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := openStore(t, "")
			a := newMem("mem")
			a.failures = tt.failures
			start(t, Options{Store: st, Agent: echo(), Adapters: []platform.Adapter{a}, Authorize: allowAll, Retries: tt.retries})
			m := dm("1", "hi")
			a.in <- m
			waitStatus(t, st, m.Key(), tt.want)
			ds, err := st.DeliveriesFor(context.Background(), m.Key())
			if err != nil || len(ds) != 1 {
				t.Fatalf("deliveries %+v %v", ds, err)
			}
			wantAttempts := min(tt.failures+1, tt.retries)
			if ds[0].Attempts != wantAttempts {
				t.Fatalf("attempts %d, want %d", ds[0].Attempts, wantAttempts)
			}
			for _, o := range a.Sent() {
				if strings.HasPrefix(o.Text, ResentPrefix) {
					t.Fatalf("an in-process retry was labelled: %q", o.Text)
				}
			}
		})
	}
}

// TestRestartAnswersOnce is the kill -9 test at the core level: the
// process "dies" (its runner is cancelled without marking anything done)
// while the turn runs; a new runner on the same state.db answers the
// message exactly once.
func TestRestartAnswersOnce(t *testing.T) {
	t.Parallel()
	st := openStore(t, "")
	a := newMem("mem")
	inTurn := make(chan struct{})
	blocking := funcAgent(func(ctx context.Context, _ platform.TurnRequest) (platform.TurnResult, error) {
		close(inTurn)
		<-ctx.Done()
		return platform.TurnResult{}, ctx.Err()
	})
	_, kill := start(t, Options{Store: st, Agent: blocking, Adapters: []platform.Adapter{a}, Authorize: allowAll})
	m := dm("1", "survive")
	a.in <- m
	<-inTurn
	kill()
	if row := waitStatus(t, st, m.Key(), store.InboundProcessing); row.Attempts != 1 {
		t.Fatalf("attempts before restart %d", row.Attempts)
	}
	if len(a.Sent()) != 0 {
		t.Fatal("a reply went out before the restart")
	}
	b := newMem("mem")
	start(t, Options{Store: st, Agent: echo(), Adapters: []platform.Adapter{b}, Authorize: allowAll})
	if got := b.next(t); got.Text != "echo: survive" {
		t.Fatalf("after restart sent %q", got.Text)
	}
	waitStatus(t, st, m.Key(), store.InboundAnswered)
	b.in <- m // the platform redelivers it (never acked): not answered again
	b.in <- dm("2", "next")
	if got := b.next(t); got.Text != "echo: next" {
		t.Fatalf("redelivered message answered again: %q", got.Text)
	}
}

// TestRestartResendsLabelled: a reply whose send was attempted when the
// process died may have reached the chat; the new process sends it again
// labelled, without a new turn.
func TestRestartResendsLabelled(t *testing.T) {
	t.Parallel()
	st := openStore(t, "")
	ctx := context.Background()
	m := dm("1", "hi")
	now := time.Now()
	if _, err := st.JournalInbound(ctx, toRow(m), now); err != nil {
		t.Fatal(err)
	}
	if _, err := st.StartInbound(ctx, m.Key(), now); err != nil {
		t.Fatal(err)
	}
	key := "reply:" + m.Key() + ":0"
	if err := st.QueueDeliveries(ctx, []store.Delivery{{Key: key, Platform: "mem", ChatID: "42", InboundKey: m.Key(), Text: "the answer"}}, now); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AttemptDelivery(ctx, key, now); err != nil {
		t.Fatal(err)
	}
	var turns atomic.Int32
	agent := funcAgent(func(context.Context, platform.TurnRequest) (platform.TurnResult, error) {
		turns.Add(1)
		return platform.TurnResult{Text: "a different answer"}, nil
	})
	a := newMem("mem")
	start(t, Options{Store: st, Agent: agent, Adapters: []platform.Adapter{a}, Authorize: allowAll})
	got := a.next(t)
	if got.Text != ResentPrefix+"the answer" || got.Key != key {
		t.Fatalf("resent %+v", got)
	}
	waitStatus(t, st, m.Key(), store.InboundAnswered)
	if turns.Load() != 0 {
		t.Fatal("the turn ran again although its reply was recorded")
	}
}

func TestOneTurnPerSession(t *testing.T) {
	t.Parallel()
	st := openStore(t, "")
	a := newMem("mem")
	var running, most atomic.Int32
	release := make(chan struct{})
	agent := funcAgent(func(_ context.Context, r platform.TurnRequest) (platform.TurnResult, error) {
		n := running.Add(1)
		defer running.Add(-1)
		if n > most.Load() {
			most.Store(n)
		}
		<-release
		return platform.TurnResult{Text: r.Text}, nil
	})
	start(t, Options{Store: st, Agent: agent, Adapters: []platform.Adapter{a}, Authorize: allowAll, BusyMode: "queue"})
	for i := range 3 {
		a.in <- dm(string(rune('1'+i)), string(rune('a'+i)))
	}
	for i := range 3 {
		release <- struct{}{}
		if got := a.next(t); got.Text != string(rune('a'+i)) {
			t.Fatalf("reply %d = %q: out of order", i, got.Text)
		}
	}
	if most.Load() != 1 {
		t.Fatalf("%d turns ran at once in one session", most.Load())
	}
}

func TestStopAndInterrupt(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"stop", "interrupt"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			st := openStore(t, "")
			a := newMem("mem")
			inTurn := make(chan struct{}, 2)
			agent := funcAgent(func(ctx context.Context, r platform.TurnRequest) (platform.TurnResult, error) {
				if r.Text == "second" {
					return platform.TurnResult{Text: "done second"}, nil
				}
				inTurn <- struct{}{}
				<-ctx.Done()
				return platform.TurnResult{}, ctx.Err()
			})
			busy := "queue"
			if mode == "interrupt" {
				busy = "interrupt"
			}
			start(t, Options{Store: st, Agent: agent, Adapters: []platform.Adapter{a}, Authorize: allowAll, BusyMode: busy})
			a.in <- dm("1", "long job")
			<-inTurn
			if mode == "stop" {
				a.in <- dm("2", "/stop")
			} else {
				a.in <- dm("2", "second")
			}
			seen := map[string]bool{}
			for range 2 {
				seen[a.next(t).Text] = true
			}
			want := map[string]bool{"(stopped)": true, "Stopping.": mode == "stop", "done second": mode == "interrupt"}
			for k, v := range want {
				if v && !seen[k] {
					t.Fatalf("replies %v lack %q", seen, k)
				}
			}
		})
	}
}

func TestApprovalInChat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		answer func(c *Core, a *memAdapter)
		want   guard.Choice
	}{
		{"button", func(c *Core, a *memAdapter) {
			_ = c.Pressed(context.Background(), platform.Callback{Platform: "mem", ChatID: "42", UserID: "u1", Data: "appr:session"})
		}, guard.ChoiceSession},
		{"command", func(c *Core, a *memAdapter) { a.in <- dm("9", "/deny too risky") }, guard.ChoiceDeny},
		{"timeout", func(*Core, *memAdapter) {}, guard.ChoiceDeny},
		{"forged button", func(c *Core, a *memAdapter) {
			_ = c.Pressed(context.Background(), platform.Callback{Platform: "mem", ChatID: "42", UserID: "u1", Data: "appr:always"})
		}, guard.ChoiceDeny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := openStore(t, "")
			a := newMem("mem")
			var c *Core
			got := make(chan guard.Answer, 1)
			timeout := time.Minute
			if tt.name == "timeout" || tt.name == "forged button" {
				timeout = 50 * time.Millisecond
			}
			agent := funcAgent(func(ctx context.Context, r platform.TurnRequest) (platform.TurnResult, error) {
				ans := c.Approve(ctx, r.SessionKey, guard.Request{Command: "rm -rf build", Reason: "recursive delete"}, timeout)
				got <- ans
				return platform.TurnResult{Text: "answer " + string(ans.Choice)}, nil
			})
			c, _ = start(t, Options{Store: st, Agent: agent, Adapters: []platform.Adapter{a}, Authorize: allowAll})
			a.in <- dm("1", "clean up")
			ask := a.next(t)
			if len(ask.Buttons) != 1 || len(ask.Buttons[0]) != 3 || !strings.Contains(ask.Text, "rm -rf build") {
				t.Fatalf("approval request %+v", ask)
			}
			tt.answer(c, a)
			if ans := <-got; ans.Choice != tt.want {
				t.Fatalf("answer %+v, want %s", ans, tt.want)
			}
		})
	}
}

func TestSplit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text string
		n    int
		want []string
	}{
		{"short", 10, []string{"short"}},
		{"line one\nline two", 12, []string{"line one", "line two"}},
		{"abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"ééééé", 3, []string{"é", "é", "é", "é", "é"}},
		{"x", 0, []string{"x"}},
	}
	for _, tt := range tests {
		got := split(tt.text, tt.n)
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("split(%q, %d) = %q, want %q", tt.text, tt.n, got, tt.want)
		}
	}
}

func TestSessionKey(t *testing.T) {
	t.Parallel()
	g := platform.Message{Platform: "telegram", ChatID: "-100", ThreadID: "7", ChatType: platform.Group, UserID: "5"}
	if got := SessionKey(g, true); got != "agent:main:telegram:group:-100:7:5" {
		t.Fatal(got)
	}
	if got := SessionKey(g, false); got != "agent:main:telegram:group:-100:7" {
		t.Fatal(got)
	}
	d := platform.Message{Platform: "telegram", ChatID: "5", ChatType: platform.DM, UserID: "5"}
	if got := SessionKey(d, true); got != "agent:main:telegram:dm:5" {
		t.Fatal(got)
	}
}
