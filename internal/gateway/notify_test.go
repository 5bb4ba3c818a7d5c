package gateway

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/gateway/platform"
)

// notifySocket listens on a unixgram NOTIFY_SOCKET, as systemd does, and
// returns the states received.
func notifySocket(t *testing.T) <-chan string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	t.Setenv("NOTIFY_SOCKET", path)
	t.Setenv("WATCHDOG_USEC", "200000") // 200ms: pings every 100ms
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))
	out := make(chan string, 256)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				close(out)
				return
			}
			out <- string(buf[:n])
		}
	}()
	return out
}

// expect waits for a state starting with want, skipping WATCHDOG=1 pings
// unless they are what is wanted; it fails on any other state.
func expect(t *testing.T, states <-chan string, want string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case s := <-states:
			if strings.HasPrefix(s, want) {
				return
			}
			if s != "WATCHDOG=1" {
				t.Fatalf("got %q while waiting for %q", s, want)
			}
		case <-deadline:
			t.Fatalf("no %q on NOTIFY_SOCKET", want)
		}
	}
}

// TestSystemdNotify drives the server and a reload against a real
// unixgram socket: READY=1 only once every adapter is connected, watchdog
// pings while the loop is alive and none once the ledger is wedged,
// RELOADING=1/READY=1 around a reload, STOPPING=1 at shutdown.
func TestSystemdNotify(t *testing.T) {
	states := notifySocket(t)
	notify, wd := SystemdNotifier(t.Logf)
	if wd != 200*time.Millisecond {
		t.Fatalf("watchdog %s", wd)
	}
	st := openStore(t, "")
	a := newMem("mem")
	gate := make(chan struct{})
	slow := &gatedAdapter{memAdapter: a, gate: gate}
	c := New(Options{Store: st, Agent: echo(), Adapters: []platform.Adapter{slow}, Authorize: allowAll, Commands: &Commands{}})
	srv := &Server{Core: c, Listen: "127.0.0.1:0", Notify: notify, Watchdog: wd, Logf: t.Logf}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()

	// Not connected yet: pings, but no READY=1.
	pings := 0
	for pings < 3 {
		select {
		case s := <-states:
			if s != "WATCHDOG=1" {
				t.Fatalf("before the adapter connected: %q", s)
			}
			pings++
		case <-time.After(10 * time.Second):
			t.Fatal("no watchdog pings")
		}
	}
	close(gate)
	expect(t, states, "READY=1")

	r := &Reloader{Notify: notify, Logf: t.Logf, Load: func() error { return nil }, Apply: func() {}}
	r.Reload("test")
	expect(t, states, "RELOADING=1\nMONOTONIC_USEC=")
	expect(t, states, "READY=1")

	// A wedged ledger: the pings stop.
	st.Close()
	time.Sleep(300 * time.Millisecond)
	for len(states) > 0 {
		<-states
	}
	select {
	case s := <-states:
		t.Fatalf("after the ledger closed: %q", s)
	case <-time.After(600 * time.Millisecond):
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	expect(t, states, "STOPPING=1")
}

// gatedAdapter connects only once gate is closed.
type gatedAdapter struct {
	*memAdapter
	gate chan struct{}
}

func (g *gatedAdapter) Run(ctx context.Context, h platform.Handler) error {
	select {
	case <-g.gate:
	case <-ctx.Done():
		return ctx.Err()
	}
	return g.memAdapter.Run(ctx, h)
}
