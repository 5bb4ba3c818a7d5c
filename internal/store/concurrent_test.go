package store

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/hermes-go/hermes/internal/llm"
)

// TestConcurrentStores has two Store values on one file, each with
// several goroutines, append to one shared session and to sessions of
// their own at the same time: nothing fails, nothing is lost, and the
// shared session's sequence numbers are 1..n without gaps.
func TestConcurrentStores(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	stores := make([]*Store, 2)
	for i := range stores {
		s, err := Open(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stores[i] = s
	}
	shared := newSession(t, stores[0], Session{})
	const workers, rounds = 4, 25
	var wg sync.WaitGroup
	errs := make(chan error, 2*workers)
	for i, s := range stores {
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- writeRounds(ctx, s, shared.ID, fmt.Sprintf("s%dw%d", i, w), rounds)
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	checkShared(t, stores[1], shared.ID, 2*workers*rounds*2)
	st, _ := stores[1].Stats(ctx)
	if st.Sessions != 1+2*workers || st.Messages != 2*(2*workers*rounds*2) {
		t.Errorf("stats after concurrent writes: %+v", st)
	}
}

// writeRounds appends pairs of messages to the shared session and to a
// session of its own.
func writeRounds(ctx context.Context, s *Store, shared, name string, rounds int) error {
	own, err := s.CreateSession(ctx, Session{Source: "cli", Title: name})
	if err != nil {
		return err
	}
	for r := range rounds {
		for _, id := range []string{shared, own.ID} {
			err := s.AppendMessages(ctx, id,
				llm.Message{Role: llm.RoleUser, Content: fmt.Sprintf("%s round %d question", name, r)},
				llm.Message{Role: llm.RoleAssistant, Content: fmt.Sprintf("%s round %d answer", name, r)})
			if err != nil {
				return err
			}
		}
		if _, err := s.Search(ctx, "round question", SearchOptions{Limit: 5}); err != nil {
			return err
		}
	}
	return s.EndSession(ctx, own.ID)
}

func checkShared(t *testing.T, s *Store, id string, want int) {
	t.Helper()
	recs, err := s.Records(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != want {
		t.Fatalf("shared session has %d messages, want %d", len(recs), want)
	}
	for i, r := range recs {
		if r.Seq != i+1 {
			t.Fatalf("message %d has seq %d", i, r.Seq)
		}
	}
	sess, _ := s.Session(context.Background(), id)
	if sess.MessageCount != want {
		t.Errorf("message_count %d, want %d", sess.MessageCount, want)
	}
}

// TestTwoProcesses runs this test binary twice more as writer processes
// on the file this process writes to at the same time.
func TestTwoProcesses(t *testing.T) {
	if path := os.Getenv("HERMES_STORE_WRITER"); path != "" {
		s, err := Open(path, nil)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		sess, err := s.Latest(context.Background(), "shared")
		if err == nil {
			err = writeRounds(context.Background(), s, sess.ID, os.Getenv("HERMES_STORE_NAME"), 40)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(4)
		}
		s.Close()
		return
	}
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	shared := newSession(t, s, Session{Source: "shared"})
	var cmds []*exec.Cmd
	for i := range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestTwoProcesses$")
		cmd.Env = append(os.Environ(), "HERMES_STORE_WRITER="+path, fmt.Sprintf("HERMES_STORE_NAME=p%d", i))
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	if err := writeRounds(context.Background(), s, shared.ID, "parent", 40); err != nil {
		t.Error(err)
	}
	for _, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("writer process: %v", err)
		}
	}
	checkShared(t, s, shared.ID, 3*40*2)
}
