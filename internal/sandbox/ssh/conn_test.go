package ssh

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/sandbox"
	"github.com/hermes-go/hermes/internal/sandbox/sandboxtest"
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
		_, err := b.Run(context.Background(), sandbox.Spec{Command: "touch running && sleep 5"})
		errc <- err
	}()
	waitFor(t, 10*time.Second, "the command to start", func() bool {
		_, err := os.Stat(filepath.Join(b.Workspace(), "running"))
		return err == nil
	})
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
	// Keepalives answered: still connected.
	waitFor(t, 5*time.Second, "three keepalives", func() bool { return b.keepalives.Load() >= 3 })
	b.mu.Lock()
	alive := b.cli != nil
	b.mu.Unlock()
	if !alive || cs.count() != 1 {
		t.Fatalf("a healthy connection was dropped (%d connections)", cs.count())
	}
	_ = cs.last().Close()
	waitFor(t, 5*time.Second, "the dead connection to be dropped", func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		return b.cli == nil
	})
}

// waitFor polls cond until it holds; the test fails after limit.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %v", what, limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// blackhole is a TCP proxy on 127.0.0.1 to a server. Once hole is
// called, the connections it carries stop forwarding in both directions
// but stay open, as behind a dead NAT entry; later connections are
// forwarded again.
type blackhole struct {
	l      net.Listener
	target string
	mu     sync.Mutex
	open   []*atomic.Bool // per connection: traffic is dropped
}

func newBlackhole(t *testing.T, target string) *blackhole {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &blackhole{l: l, target: target}
	t.Cleanup(func() { _ = l.Close() })
	go p.serve(t)
	return p
}

func (p *blackhole) serve(t *testing.T) {
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		u, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = c.Close()
			continue
		}
		dropped := new(atomic.Bool)
		p.mu.Lock()
		p.open = append(p.open, dropped)
		p.mu.Unlock()
		t.Cleanup(func() { _ = c.Close(); _ = u.Close() })
		go pump(u, c, dropped)
		go pump(c, u, dropped)
	}
}

// pump copies src to dst until either fails, reading but discarding
// once dropped is set, so neither side sees an error.
func pump(dst, src net.Conn, dropped *atomic.Bool) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !dropped.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// hole stops forwarding on every connection made so far.
func (p *blackhole) hole() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, d := range p.open {
		d.Store(true)
	}
}

// TestBlackholedConnection is the regression test for a Run that hung in
// NewSession on a connection that stopped answering without closing: the
// next Run gives up on it within opTimeout and reconnects.
func TestBlackholedConnection(t *testing.T) {
	// Changes package timings: not parallel.
	oldOp, oldKeep := opTimeout, keepaliveEvery
	opTimeout, keepaliveEvery = time.Second, time.Hour // only the operations can notice
	defer func() { opTimeout, keepaliveEvery = oldOp, oldKeep }()
	s := startServer(t)
	p := newBlackhole(t, net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)))
	var dials atomic.Int32
	dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
		dials.Add(1)
		var d net.Dialer
		return d.DialContext(ctx, network, p.l.Addr().String())
	}
	b, err := newBackend(context.Background(), s.options(t, s.dir), dial)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = b.Close() }()
	run := func(ctx context.Context) (*sandbox.Result, error) {
		type ran struct {
			res *sandbox.Result
			err error
		}
		got := make(chan ran, 1)
		go func() {
			res, err := b.Run(ctx, sandbox.Spec{Command: "echo up"})
			got <- ran{res, err}
		}()
		select {
		case r := <-got:
			return r.res, r.err
		case <-time.After(5*opTimeout + sandboxtest.Slack):
			t.Fatal("Run hung on a blackholed connection")
			return nil, nil
		}
	}
	if res, err := run(context.Background()); err != nil || res.Output != "up\n" {
		t.Fatalf("first run: %+v, %v", res, err)
	}
	first := dials.Load()

	p.hole()
	start := time.Now()
	res, err := run(context.Background())
	if err != nil || res.Output != "up\n" {
		t.Fatalf("after the blackhole: %+v, %v", res, err)
	}
	if d := time.Since(start); d > 3*opTimeout+sandboxtest.Slack {
		t.Errorf("took %v", d)
	}
	if dials.Load() <= first {
		t.Error("the blackholed connection was kept")
	}

	// A ctx that ends first ends the wait for a blackholed session.
	p.hole()
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout/4)
	defer cancel()
	opTimeout = time.Hour
	start = time.Now()
	if _, err := run(ctx); err == nil {
		t.Error("no error for a blackholed connection and a short ctx")
	}
	if d := time.Since(start); d > sandboxtest.Slack {
		t.Errorf("the ctx's end took %v to count", d)
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
