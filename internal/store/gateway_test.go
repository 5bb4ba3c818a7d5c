package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/redact"
)

func TestInboundLedger(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	ctx := context.Background()
	at := time.UnixMilli(1_700_000_000_000)
	m := Inbound{Key: "telegram:42:7", Platform: "telegram", ChatID: "42", MsgID: "7", UserID: "u1", Text: "hello"}
	if fresh, err := s.JournalInbound(ctx, m, at); err != nil || !fresh {
		t.Fatalf("first journal: fresh=%v err=%v", fresh, err)
	}
	if fresh, err := s.JournalInbound(ctx, m, at.Add(time.Second)); err != nil || fresh {
		t.Fatalf("second journal: fresh=%v err=%v, want not fresh", fresh, err)
	}
	if _, err := s.JournalInbound(ctx, Inbound{}, at); err == nil {
		t.Fatal("empty key journaled")
	}
	open, err := s.OpenInbound(ctx)
	if err != nil || len(open) != 1 || open[0].Status != InboundReceived || open[0].Text != "hello" {
		t.Fatalf("open = %+v, %v", open, err)
	}
	for i := 0; i < 2; i++ { // a restart starts it again
		if ok, err := s.StartInbound(ctx, m.Key, at); err != nil || !ok {
			t.Fatalf("start %d: %v %v", i, ok, err)
		}
	}
	if ok, err := s.FinishInbound(ctx, m.Key, "weird", "", at); err == nil || ok {
		t.Fatal("bad status accepted")
	}
	if ok, err := s.FinishInbound(ctx, m.Key, InboundAnswered, "", at); err != nil || !ok {
		t.Fatalf("finish: %v %v", ok, err)
	}
	if ok, _ := s.FinishInbound(ctx, m.Key, InboundFailed, "late", at); ok {
		t.Fatal("finished twice")
	}
	if ok, _ := s.StartInbound(ctx, m.Key, at); ok {
		t.Fatal("answered message started again")
	}
	got, err := s.InboundMessage(ctx, m.Key)
	if err != nil || got.Status != InboundAnswered || got.Attempts != 2 {
		t.Fatalf("got %+v, %v", got, err)
	}
	if open, _ := s.OpenInbound(ctx); len(open) != 0 {
		t.Fatalf("still open: %+v", open)
	}
	if _, err := s.InboundMessage(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
}

func TestDeliveryLedger(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	ctx := context.Background()
	at := time.UnixMilli(1_700_000_000_000)
	d := Delivery{Key: "reply:telegram:42:7:0", Platform: "telegram", ChatID: "42", InboundKey: "telegram:42:7", Text: "hi"}
	got, err := s.QueueDelivery(ctx, d, at)
	if err != nil || got.Status != OutboundPending || got.Attempts != 0 {
		t.Fatalf("queue: %+v %v", got, err)
	}
	d.Text = "changed"
	if again, err := s.QueueDelivery(ctx, d, at); err != nil || again.Text != "hi" {
		t.Fatalf("requeue must keep the first row: %+v %v", again, err)
	}
	for want := 0; want < 2; want++ {
		if before, err := s.AttemptDelivery(ctx, d.Key, at); err != nil || before != want {
			t.Fatalf("attempt: before=%d err=%v, want %d", before, err, want)
		}
	}
	if _, err := s.AttemptDelivery(ctx, "missing", at); !errors.Is(err, ErrNotFound) {
		t.Fatalf("attempt missing: %v", err)
	}
	if err := s.NoteDeliveryError(ctx, d.Key, "429", at); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.PendingDeliveries(ctx); len(p) != 1 || p[0].Error != "429" {
		t.Fatalf("pending = %+v", p)
	}
	if ok, err := s.FinishDelivery(ctx, d.Key, OutboundSent, "99", "", at); err != nil || !ok {
		t.Fatalf("finish: %v %v", ok, err)
	}
	if ok, _ := s.FinishDelivery(ctx, d.Key, OutboundFailed, "", "x", at); ok {
		t.Fatal("finished twice")
	}
	if _, err := s.FinishDelivery(ctx, d.Key, "pending", "", "", at); err == nil {
		t.Fatal("bad status accepted")
	}
	list, err := s.DeliveriesFor(ctx, "telegram:42:7")
	if err != nil || len(list) != 1 || list[0].SentID != "99" || list[0].Attempts != 2 {
		t.Fatalf("deliveries = %+v %v", list, err)
	}
	if p, _ := s.PendingDeliveries(ctx); len(p) != 0 {
		t.Fatalf("pending after send: %+v", p)
	}
}

// TestInboundLedgerSurvivesReopen: the journal is durable across a
// process (here: a Store) going away.
func TestInboundLedgerSurvivesReopen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state.db")
	ctx := context.Background()
	s, err := Open(path, redact.Default())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.JournalInbound(ctx, Inbound{Key: "k", Platform: "p", ChatID: "c", MsgID: "1"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(path, redact.Default())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if open, err := s.OpenInbound(ctx); err != nil || len(open) != 1 {
		t.Fatalf("open after reopen = %+v %v", open, err)
	}
}

func TestQueueDeliveriesAllOrNone(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	ctx := context.Background()
	at := time.Now()
	parts := []Delivery{{Key: "a", Platform: "p", ChatID: "c", InboundKey: "in", Text: "1"}, {Key: "", Platform: "p", ChatID: "c", InboundKey: "in"}}
	if err := s.QueueDeliveries(ctx, parts, at); err == nil {
		t.Fatal("empty key accepted")
	}
	if got, _ := s.DeliveriesFor(ctx, "in"); len(got) != 0 {
		t.Fatalf("partial queue kept: %+v", got)
	}
	parts[1].Key = "b"
	if err := s.QueueDeliveries(ctx, parts, at); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.DeliveriesFor(ctx, "in"); len(got) != 2 || got[0].Key != "a" || got[1].Key != "b" {
		t.Fatalf("queued = %+v", got)
	}
}

func TestSessionByKey(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	ctx := context.Background()
	if _, err := s.SessionByKey(ctx, "gateway", "agent:main:tg:dm:1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("empty: %v", err)
	}
	a := newSession(t, s, Session{Source: "gateway"})
	if err := s.SetSessionKey(ctx, a.ID, "agent:main:tg:dm:1"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.SessionByKey(ctx, "gateway", "agent:main:tg:dm:1"); err != nil || got.ID != a.ID {
		t.Fatalf("by key: %+v %v", got, err)
	}
	if _, err := s.SessionByKey(ctx, "cli", "agent:main:tg:dm:1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("other source: %v", err)
	}
	if err := s.EndSession(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionByKey(ctx, "gateway", "agent:main:tg:dm:1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("ended session still found: %v", err)
	}
	if err := s.SetSessionKey(ctx, "missing", "k"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
}
