package gateway

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/gateway/platform"
	"github.com/hermes-go/hermes/internal/store"
)

// TestDrainLetsARunningTurnFinish: on shutdown a running turn finishes
// and its reply goes out within the drain timeout; a message arriving
// meanwhile is journaled but not started (the next start answers it).
func TestDrainLetsARunningTurnFinish(t *testing.T) {
	t.Parallel()
	st := openStore(t, "")
	a := newMem("mem")
	started, release := make(chan struct{}, 1), make(chan struct{})
	agent := funcAgent(func(ctx context.Context, r platform.TurnRequest) (platform.TurnResult, error) {
		started <- struct{}{}
		select {
		case <-release:
		case <-ctx.Done():
			return platform.TurnResult{}, ctx.Err()
		}
		return platform.TurnResult{Text: "done: " + r.Text}, nil
	})
	_, stop := start(t, Options{Store: st, Agent: agent, Adapters: []platform.Adapter{a}, Authorize: allowAll, DrainTimeout: 10 * time.Second})
	m := dm("1", "slow")
	a.in <- m
	<-started
	stopped := make(chan struct{})
	go func() { stop(); close(stopped) }()
	time.Sleep(100 * time.Millisecond)
	select {
	case <-stopped:
		t.Fatal("stopped without waiting for the running turn")
	default:
	}
	close(release)
	if got := a.next(t); got.Text != "done: slow" {
		t.Fatalf("reply %q", got.Text)
	}
	<-stopped
	if row, _ := st.InboundMessage(context.Background(), m.Key()); row.Status != store.InboundAnswered {
		t.Fatalf("status %q", row.Status)
	}
}

// TestDrainTimeoutInterruptsAndResumes: a turn still running when the
// drain times out is cut off, marked interrupted by restart, and the
// next core answers it once, on the same session, with a note.
func TestDrainTimeoutInterruptsAndResumes(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state.db")
	st := openStore(t, path)
	a := newMem("mem")
	started := make(chan string, 1)
	hang := funcAgent(func(ctx context.Context, r platform.TurnRequest) (platform.TurnResult, error) {
		started <- r.SessionKey
		<-ctx.Done()
		return platform.TurnResult{}, ctx.Err()
	})
	_, stop := start(t, Options{Store: st, Agent: hang, Adapters: []platform.Adapter{a}, Authorize: allowAll, DrainTimeout: 100 * time.Millisecond})
	m := dm("1", "never finishes")
	a.in <- m
	firstKey := <-started
	stop()
	row, err := st.InboundMessage(context.Background(), m.Key())
	if err != nil || row.Status != store.InboundProcessing || row.Error != InterruptedByRestart {
		t.Fatalf("after the drain: %+v %v", row, err)
	}
	if n := len(a.Sent()); n != 0 {
		t.Fatalf("%d replies sent by the cut-off turn", n)
	}

	var mu sync.Mutex
	var reqs []platform.TurnRequest
	again := funcAgent(func(_ context.Context, r platform.TurnRequest) (platform.TurnResult, error) {
		mu.Lock()
		reqs = append(reqs, r)
		mu.Unlock()
		return platform.TurnResult{Text: "answered: " + r.Text}, nil
	})
	b := newMem("mem")
	start(t, Options{Store: st, Agent: again, Adapters: []platform.Adapter{b}, Authorize: allowAll})
	if got := b.next(t); got.Text != "answered: never finishes" {
		t.Fatalf("reply %q", got.Text)
	}
	row = waitStatus(t, st, m.Key(), store.InboundAnswered)
	if row.Error != "" || row.Attempts != 2 {
		t.Fatalf("ledger after the resume: %+v", row)
	}
	time.Sleep(100 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if len(reqs) != 1 || reqs[0].SessionKey != firstKey || reqs[0].System != resumeNote {
		t.Fatalf("resumed turns: %+v (first session %s)", reqs, firstKey)
	}
	if n := len(b.Sent()); n != 1 {
		t.Fatalf("%d replies after the restart, want 1", n)
	}
}
