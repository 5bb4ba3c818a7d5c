package pool

import (
	"encoding/json"
	"fmt"
	"github.com/hermes-go/hermes/internal/testenv"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/clock"
)

// Environment of the helper process started by TestTwoProcesses.
const (
	helperEnv   = "HERMES_POOL_HELPER_AUTH" // the auth.json to work on
	helperCycle = 200                       // Pick+Success cycles per process
)

// TestHelperProcess is not a test: it is one of the processes
// TestTwoProcesses starts. It says it is ready, waits for the go signal
// so both children and the parent run at once, then does its cycles.
func TestHelperProcess(t *testing.T) {
	path := os.Getenv(helperEnv)
	if path == "" {
		t.Skip("helper process for TestTwoProcesses")
	}
	id := os.Getenv(helperEnv + "_ID")
	dir := filepath.Dir(path)
	if err := os.WriteFile(filepath.Join(dir, "ready-"+id), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	waitFor(t, filepath.Join(dir, "go"))
	cycles(t, Open(path, clock.NewFake(t0)), helperCycle)
}

// cycles does n Pick+Success cycles on the openai pool.
func cycles(t testing.TB, s *Store, n int) {
	t.Helper()
	for i := range n {
		l, err := s.Pick("openai", nil)
		if err != nil {
			t.Fatalf("cycle %d: %v", i, err)
		}
		if l.Key == "" {
			t.Fatalf("cycle %d: lease without a key", i)
		}
		if err := s.Success("openai", l.Entry.ID); err != nil {
			t.Fatalf("cycle %d: %v", i, err)
		}
	}
}

func waitFor(t testing.TB, path string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never appeared", path)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestTwoProcesses: two child processes and the parent each do 200
// Pick+Success cycles on one auth.json at the same time; no update is
// lost (the request counts add up to exactly 600) and the file parses.
func TestTwoProcesses(t *testing.T) {
	t.Parallel()
	testenv.Short(t, "starts processes")
	s, _ := newStore(t)
	addKeys(t, s, "openai", "A", "B")
	if err := s.SetStrategy("openai", RoundRobin); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(s.path)
	var children []*exec.Cmd
	outs := make([]*safeBuffer, 2)
	for i := range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), helperEnv+"="+s.path, helperEnv+"_ID="+strconv.Itoa(i))
		outs[i] = &safeBuffer{}
		cmd.Stdout, cmd.Stderr = outs[i], outs[i]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		children = append(children, cmd)
	}
	waitFor(t, filepath.Join(dir, "ready-0"))
	waitFor(t, filepath.Join(dir, "ready-1"))
	if err := os.WriteFile(filepath.Join(dir, "go"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cycles(t, s, helperCycle)
	for i, cmd := range children {
		if err := cmd.Wait(); err != nil {
			t.Errorf("child %d: %v\n%s", i, err, outs[i])
		}
	}
	data := mustRead(t, s.path)
	if !json.Valid(data) {
		t.Fatalf("auth.json does not parse:\n%s", data)
	}
	p, err := Open(s.path, clock.NewFake(t0)).Pool("openai")
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, e := range p.Entries {
		sum += e.RequestCount
	}
	if sum != 3*helperCycle {
		t.Errorf("request counts %d + %d = %d, want %d", p.Entries[0].RequestCount, p.Entries[1].RequestCount, sum, 3*helperCycle)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".auth.json.tmp-*")); len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}
}

// TestConcurrentStores: goroutines sharing a Store, and two Stores on one
// file (as two processes would), lose no update.
func TestConcurrentStores(t *testing.T) {
	t.Parallel()
	s, clk := newStore(t)
	addKeys(t, s, "openai", "A", "B")
	if err := s.SetStrategy("openai", LeastUsed); err != nil {
		t.Fatal(err)
	}
	stores := []*Store{s, s, Open(s.path, clk), Open(s.path, clk)}
	var wg sync.WaitGroup
	for _, st := range stores {
		wg.Go(func() { cycles(t, st, 50) })
	}
	wg.Go(func() { // readers meanwhile always see a whole file
		for range 50 {
			if _, err := s.Pools(); err != nil {
				t.Error(err)
				return
			}
		}
	})
	wg.Wait()
	p, _ := s.Pool("openai")
	if a, b := p.Entries[0].RequestCount, p.Entries[1].RequestCount; a != 100 || b != 100 {
		t.Errorf("request counts %d and %d, want 100 each (least_used)", a, b)
	}
}

type safeBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *safeBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	return len(p), nil
}

func (b *safeBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

var _ fmt.Stringer = (*safeBuffer)(nil)
