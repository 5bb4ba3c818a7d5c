package ssh

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/sandbox"
)

type configTerminal = config.Terminal

// conns records the connections a backend dials.
type conns struct {
	mu   sync.Mutex
	list []net.Conn
}

func (c *conns) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, addr)
	if err == nil {
		c.mu.Lock()
		c.list = append(c.list, conn)
		c.mu.Unlock()
	}
	return conn, err
}

func (c *conns) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.list)
}

func (c *conns) last() net.Conn {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.list[len(c.list)-1]
}

func TestReconnectAfterDrop(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	var cs conns
	b, err := newBackend(context.Background(), s.options(t, s.dir), cs.dial)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = b.Close() }()
	run := func() string {
		t.Helper()
		res, err := b.Run(context.Background(), sandbox.Spec{Command: "echo up"})
		if err != nil {
			t.Fatal(err)
		}
		return res.Output
	}
	if got := run(); got != "up\n" || cs.count() != 1 {
		t.Fatalf("first run: %q over %d connections", got, cs.count())
	}
	_ = cs.last().Close() // the network drops
	// Either the watcher has noticed already, or opening the session
	// fails and the backend dials again.
	if got := run(); got != "up\n" || cs.count() != 2 {
		t.Fatalf("after the drop: %q over %d connections", got, cs.count())
	}

	// A command running when the connection drops reports an error, not
	// an exit status.
	errc := make(chan error, 1)
	go func() {
		_, err := b.Run(context.Background(), sandbox.Spec{Command: "sleep 5"})
		errc <- err
	}()
	time.Sleep(500 * time.Millisecond)
	_ = cs.last().Close()
	select {
	case err := <-errc:
		if err == nil || !strings.Contains(err.Error(), "connection") {
			t.Fatalf("err = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after the drop")
	}
	if got := run(); got != "up\n" || cs.count() != 3 {
		t.Fatalf("after the second drop: %q over %d connections", got, cs.count())
	}
}

func TestKeepaliveDropsDeadConnection(t *testing.T) {
	// Changes package timings: not parallel.
	old := keepaliveEvery
	keepaliveEvery = 50 * time.Millisecond
	defer func() { keepaliveEvery = old }()
	s := startServer(t)
	var cs conns
	b, err := newBackend(context.Background(), s.options(t, s.dir), cs.dial)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = b.Close() }()
	time.Sleep(200 * time.Millisecond) // keepalives answered: still connected
	b.mu.Lock()
	alive := b.cli != nil
	b.mu.Unlock()
	if !alive {
		t.Fatal("a healthy connection was dropped")
	}
	_ = cs.last().Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		b.mu.Lock()
		gone := b.cli == nil
		b.mu.Unlock()
		if gone {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the dead connection was kept")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestStartBackground(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	b := s.backend(t, s.dir)
	p, err := b.Start(context.Background(), sandbox.Spec{Command: "echo one; sleep 0.3; echo two; exit 4"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p.ID(), "bg-") || p.Command() == "" {
		t.Errorf("id %q command %q", p.ID(), p.Command())
	}
	if _, ended := p.ExitCode(); ended {
		t.Error("ended at once")
	}
	<-p.Done()
	if out, _ := p.Output(); out != "one\ntwo\n" {
		t.Errorf("output %q", out)
	}
	if code, ended := p.ExitCode(); !ended || code != 4 {
		t.Errorf("exit %d %v", code, ended)
	}

	long, err := b.Start(context.Background(), sandbox.Spec{Command: "sleep 60"})
	if err != nil {
		t.Fatal(err)
	}
	if err := long.Kill(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-long.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("Kill did not end it")
	}
	if code, _ := long.ExitCode(); code != -1 {
		t.Errorf("killed exit %d", code)
	}

	last, err := b.Start(context.Background(), sandbox.Spec{Command: "sleep 60"})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-last.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("Close left a background process")
	}
	if _, err := b.Run(context.Background(), sandbox.Spec{Command: "true"}); err != ErrClosed {
		t.Errorf("Run after Close: %v", err)
	}
}

func TestShell(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	b := s.backend(t, s.dir)
	sh, err := b.Shell(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sh.Close() }()
	run := func(spec sandbox.Spec) *sandbox.Result {
		t.Helper()
		res, err := sh.Run(context.Background(), spec)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	run(sandbox.Spec{Command: "mkdir -p d && cd d && export KEEP=1"})
	if r := run(sandbox.Spec{Command: `pwd; echo "$KEEP"`}); r.Output != s.dir+"/d\n1\n" {
		t.Errorf("state not kept: %q", r.Output)
	}
	if r := run(sandbox.Spec{Command: "sleep 30", Timeout: 500 * time.Millisecond}); !r.TimedOut || r.ExitCode != -1 {
		t.Errorf("timeout result %+v", r)
	}
	if r := run(sandbox.Spec{Command: `echo "still $KEEP"`, Env: map[string]string{"OPENAI_API_KEY": "sk-x"}}); r.Output != "still 1\n" {
		t.Errorf("after interrupt: %q", r.Output)
	}
	if r := run(sandbox.Spec{Command: `echo "${OPENAI_API_KEY:-none}"`}); r.Output != "none\n" {
		t.Errorf("blocked var reached the shell: %q", r.Output)
	}
	if _, err := sh.Run(context.Background(), sandbox.Spec{Command: "true", Dir: "/tmp/$(id)"}); err == nil {
		t.Error("a bad Dir was accepted")
	}
}
