package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hermes-go/hermes/internal/fileutil"
	"github.com/hermes-go/hermes/internal/gateway/platform"
)

// Status is what the runner writes to its status file for `hermes
// gateway status`.
type Status struct {
	Running   bool                     `json:"running"`
	PID       int                      `json:"pid"`
	Health    string                   `json:"health"` // the address of /healthz
	Ready     bool                     `json:"ready"`
	StartedAt time.Time                `json:"started_at"`
	UpdatedAt time.Time                `json:"updated_at"`
	Platforms map[string]AdapterStatus `json:"platforms"`
	Services  []string                 `json:"services"`
	Version   string                   `json:"version,omitempty"` // of the binary that runs it
}

// Server runs the core with its HTTP side: /healthz and /metrics on
// Listen, the services that have no listener of their own mounted there
// too, and the others on theirs.
type Server struct {
	Core       *Core
	Services   []platform.Service
	Listen     string // gateway.health_listen
	StatusPath string // written while running; "" for none
	Version    string // the binary's version, in the status file and /healthz
	Logf       func(string, ...any)
	// Ready is called once the listeners are up, with the health address.
	Ready func(addr string)
	// Notify, when set, receives the systemd states: READY=1 once every
	// adapter is connected, WATCHDOG=1 every Watchdog/2 while the core's
	// loop answers, STOPPING=1 at shutdown.
	Notify   func(state string)
	Watchdog time.Duration
}

// servicePrefix is the path a shared-listener service is mounted at.
func servicePrefix(name string) string {
	switch name {
	case "api_server":
		return "/v1/"
	default:
		return "/" + strings.ReplaceAll(name, "_", "-") + "/"
	}
}

func (s *Server) health(w http.ResponseWriter, _ *http.Request) {
	st := s.Core.Status()
	ready := s.Core.Ready()
	w.Header().Set("Content-Type", "application/json")
	if !ready {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"ready": ready, "platforms": st, "version": s.Version})
}

// Run serves until ctx ends, then shuts the listeners down.
func (s *Server) Run(ctx context.Context) error {
	if s.Logf == nil {
		s.Logf = func(string, ...any) {}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.health)
	mux.Handle("GET /metrics", promhttp.HandlerFor(registry, promhttp.HandlerOpts{}))
	var own []*http.Server
	var names []string
	for _, svc := range s.Services {
		names = append(names, svc.Name())
		if addr := svc.Listen(); addr != "" {
			own = append(own, &http.Server{Addr: addr, Handler: svc.Handler(), ReadHeaderTimeout: 10 * time.Second})
			continue
		}
		mux.Handle(servicePrefix(svc.Name()), svc.Handler())
	}
	sort.Strings(names)
	ln, err := net.Listen("tcp", s.Listen)
	if err != nil {
		return fmt.Errorf("gateway.health_listen %s: %w: pick a free address in config.yaml", s.Listen, err)
	}
	main := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	var lns []net.Listener
	for _, srv := range own {
		l, err := net.Listen("tcp", srv.Addr)
		if err != nil {
			ln.Close()
			for _, x := range lns {
				x.Close()
			}
			return fmt.Errorf("service listen %s: %w", srv.Addr, err)
		}
		lns = append(lns, l)
	}
	errc := make(chan error, len(own)+2)
	go func() { errc <- main.Serve(ln) }()
	for i, srv := range own {
		go func() { errc <- srv.Serve(lns[i]) }()
	}
	addr := ln.Addr().String()
	s.Logf("health on http://%s/healthz", addr)
	if s.Ready != nil {
		s.Ready(addr)
	}
	coreCtx, stopCore := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); errc <- s.Core.Run(coreCtx) }()
	go func() { defer wg.Done(); s.writeStatus(coreCtx, addr, names) }()
	runErr := s.loop(ctx, errc)
	s.notify(daemon.SdNotifyStopping)
	stopCore()
	shut, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second+s.Core.DrainTimeout())
	defer cancel()
	_ = main.Shutdown(shut)
	for _, srv := range own {
		_ = srv.Shutdown(shut)
	}
	wg.Wait()
	if s.StatusPath != "" {
		s.putStatus(Status{Running: false, PID: os.Getpid(), Health: addr, UpdatedAt: time.Now().UTC(), Services: names,
			Platforms: s.Core.Status(), Version: s.Version})
	}
	return runErr
}

func (s *Server) notify(state string) {
	if s.Notify != nil {
		s.Notify(state)
	}
}

// loop runs until ctx ends or a listener fails, telling systemd READY=1
// once healthy and feeding its watchdog while the core answers.
func (s *Server) loop(ctx context.Context, errc <-chan error) error {
	ready := time.NewTicker(100 * time.Millisecond)
	defer ready.Stop()
	var wd <-chan time.Time
	if s.Notify != nil && s.Watchdog > 0 {
		t := time.NewTicker(s.Watchdog / 2)
		defer t.Stop()
		wd = t.C
	}
	readyC := ready.C
	if s.Notify == nil {
		readyC = nil
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-errc:
			if err != nil && !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		case <-readyC:
			if s.Core.Ready() {
				s.notify(daemon.SdNotifyReady)
				ready.Stop()
				readyC = nil
			}
		case <-wd:
			actx, cancel := context.WithTimeout(ctx, s.Watchdog/4)
			if s.Core.Alive(actx) {
				s.notify(daemon.SdNotifyWatchdog)
			} else if ctx.Err() == nil {
				s.Logf("watchdog: the gateway loop or its ledger did not answer; not pinging systemd")
			}
			cancel()
		}
	}
}

// writeStatus rewrites the status file each second while running, and at
// once when an adapter connects or drops.
func (s *Server) writeStatus(ctx context.Context, addr string, services []string) {
	if s.StatusPath == "" {
		return
	}
	started := time.Now().UTC()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		s.putStatus(Status{Running: true, PID: os.Getpid(), Health: addr, Ready: s.Core.Ready(), StartedAt: started,
			UpdatedAt: time.Now().UTC(), Platforms: s.Core.Status(), Services: services, Version: s.Version})
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-s.Core.changed:
		}
	}
}

func (s *Server) putStatus(st Status) {
	if st.Platforms == nil {
		st.Platforms = map[string]AdapterStatus{}
	}
	b, _ := json.MarshalIndent(st, "", "  ")
	if err := fileutil.WriteFile(s.StatusPath, b, 0o600); err != nil {
		s.Logf("status file: %v", err)
	}
}

// ReadStatus reads a status file; a runner whose pid is gone is reported
// not running.
func ReadStatus(path string) (Status, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Status{}, err
	}
	var st Status
	if err := json.Unmarshal(b, &st); err != nil {
		return Status{}, fmt.Errorf("%s: %w", path, err)
	}
	if st.Running && !fileutil.PIDAlive(st.PID) {
		st.Running = false
	}
	return st, nil
}
