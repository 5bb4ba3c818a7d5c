package store

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/hermes-go/hermes/internal/llm"
	"github.com/hermes-go/hermes/internal/redact"
)

func openTemp(t testing.TB) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "state.db"), redact.Default())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newSession(t testing.TB, s *Store, sess Session) Session {
	t.Helper()
	if sess.Source == "" {
		sess.Source = "cli"
	}
	got, err := s.CreateSession(context.Background(), sess)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func appendMsgs(t testing.TB, s *Store, id string, msgs ...llm.Message) {
	t.Helper()
	if err := s.AppendMessages(context.Background(), id, msgs...); err != nil {
		t.Fatal(err)
	}
}

func user(text string) llm.Message      { return llm.Message{Role: llm.RoleUser, Content: text} }
func assistant(text string) llm.Message { return llm.Message{Role: llm.RoleAssistant, Content: text} }
