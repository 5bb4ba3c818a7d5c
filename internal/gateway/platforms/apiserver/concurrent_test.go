package apiserver

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/openai/openai-go/v3/option"
)

// TestConcurrentRequestsNotCrossed: parallel streamed and plain requests
// on distinct sessions each get their own session's reply.
func TestConcurrentRequestsNotCrossed(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	const n = 40
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			session := fmt.Sprintf("c-%d", i)
			text := fmt.Sprintf("message %d", i)
			want := "turn 1 of agent:main:api_server:dm:" + session + ": " + text
			hdr := option.WithHeader("X-Hermes-Session-Id", session)
			got := ""
			if i%2 == 0 {
				c, err := f.client.Chat.Completions.New(context.Background(), chatParams(text), hdr)
				if err != nil {
					t.Error(err)
					return
				}
				got = c.Choices[0].Message.Content
			} else {
				s := f.client.Chat.Completions.NewStreaming(context.Background(), chatParams(text), hdr)
				var b strings.Builder
				for s.Next() {
					for _, ch := range s.Current().Choices {
						b.WriteString(ch.Delta.Content)
					}
				}
				if err := s.Err(); err != nil {
					t.Error(err)
					return
				}
				got = b.String()
			}
			if got != want {
				t.Errorf("session %s got %q, want %q", session, got, want)
			}
		}()
	}
	wg.Wait()
	if f.agent.count() != n {
		t.Fatalf("%d turns for %d requests", f.agent.count(), n)
	}
}
