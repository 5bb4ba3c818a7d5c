package telegram

import (
	"context"
	"testing"

	"github.com/hermes-go/hermes/internal/gateway/platform"
	"github.com/hermes-go/hermes/internal/gateway/platforms/telegram/tgtest"
)

// BenchmarkInbound measures messages fetched, journaled (a no-op core) and
// acknowledged per second through the real library and the fake server.
func BenchmarkInbound(b *testing.B) {
	srv := tgtest.New(b, testToken)
	ad, err := New(deps(srv.URL(), testToken, &logBuf{}))
	if err != nil {
		b.Fatal(err)
	}
	core := newCore()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = ad.Run(ctx, core) }()
	alice := tgtest.User{ID: 42, FirstName: "Alice"}
	b.ResetTimer()
	last := 0
	for range b.N {
		_, last = srv.InjectMessage(tgtest.Message{From: &alice, Text: "hi"})
	}
	srv.WaitOffset(b, last+1)
	b.StopTimer()
	if n := len(core.messages()); n != b.N {
		b.Fatalf("%d delivered, want %d", n, b.N)
	}
}

// BenchmarkSend measures sendMessage round trips.
func BenchmarkSend(b *testing.B) {
	srv := tgtest.New(b, testToken)
	srv.AddChat(tgtest.Private(42))
	ad, err := New(deps(srv.URL(), testToken, &logBuf{}))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		if _, err := ad.Send(ctx, platform.Outbound{ChatID: "42", Text: "answer"}); err != nil {
			b.Fatal(err)
		}
	}
}
