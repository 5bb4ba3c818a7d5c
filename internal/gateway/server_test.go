package gateway

import (
	"context"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/gateway/platform"
)

// flaky fails its first run, then stays connected.
type flaky struct {
	*memAdapter
	runs atomic.Int32
}

func (f *flaky) Run(ctx context.Context, h platform.Handler) error {
	if f.runs.Add(1) == 1 {
		return errors.New("connection reset")
	}
	return f.memAdapter.Run(ctx, h)
}

type svc struct{}

func (svc) Name() string   { return "webhooks" }
func (svc) Listen() string { return "" }
func (svc) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hook "+r.URL.Path) })
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServerHealthRestartAndMounts(t *testing.T) {
	t.Parallel()
	st := openStore(t, "")
	f := &flaky{memAdapter: newMem("mem")}
	core := New(Options{Store: st, Agent: echo(), Adapters: []platform.Adapter{f}, Authorize: allowAll, RestartDelay: time.Millisecond})
	statusPath := filepath.Join(t.TempDir(), "gateway.json")
	addr := make(chan string, 1)
	srv := &Server{Core: core, Services: []platform.Service{svc{}}, Listen: "127.0.0.1:0", StatusPath: statusPath,
		Ready: func(a string) { addr <- a }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	base := "http://" + <-addr
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, body := get(t, base+"/healthz")
		if code == 200 {
			if !strings.Contains(body, `"ready":true`) {
				t.Fatalf("healthz body %s", body)
			}
			break
		}
		if code != 503 || time.Now().After(deadline) {
			t.Fatalf("healthz %d %s", code, body)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if f.runs.Load() < 2 || core.Status()["mem"].Restarts != 1 {
		t.Fatalf("adapter runs %d, status %+v", f.runs.Load(), core.Status())
	}
	if code, body := get(t, base+"/webhooks/x"); code != 200 || body != "hook /webhooks/x" {
		t.Fatalf("service mount: %d %s", code, body)
	}
	f.in <- dm("1", "hi")
	f.next(t)
	code, body := get(t, base+"/metrics")
	if code != 200 || !strings.Contains(body, `hermes_gateway_platform_connected{platform="mem"} 1`) ||
		!strings.Contains(body, "hermes_gateway_inbound_total") || strings.Contains(body, "u1") {
		t.Fatalf("metrics %d: %.400s", code, body)
	}
	deadline = time.Now().Add(10 * time.Second)
	for {
		s, err := ReadStatus(statusPath)
		if err == nil && s.Running && s.Platforms["mem"].Connected {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status file %+v %v", s, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if s, err := ReadStatus(statusPath); err != nil || s.Running {
		t.Fatalf("status after stop %+v %v", s, err)
	}
}

func TestServerBadListen(t *testing.T) {
	t.Parallel()
	core := New(Options{Store: openStore(t, "")})
	err := (&Server{Core: core, Listen: "256.0.0.1:x"}).Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "gateway.health_listen") {
		t.Fatalf("err %v", err)
	}
}
