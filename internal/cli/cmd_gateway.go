package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/cron"
	"github.com/hermes-go/hermes/internal/fileutil"
	"github.com/hermes-go/hermes/internal/gateway"
	"github.com/hermes-go/hermes/internal/gateway/pairing"
	"github.com/hermes-go/hermes/internal/gateway/platform"
	"github.com/hermes-go/hermes/internal/home"
	"github.com/hermes-go/hermes/internal/redact"
	"github.com/hermes-go/hermes/internal/runtime"
	"github.com/hermes-go/hermes/internal/store"
	"github.com/hermes-go/hermes/internal/version"
)

// gatewayStatusFile is the runner's status, under the home.
const gatewayStatusFile = "gateway.json"

func newGatewayCmd(app *App) *cobra.Command {
	c := &cobra.Command{
		Use:   "gateway",
		Short: "The messaging gateway: chat platforms, HTTP services and cron in one process",
		Long: `'hermes gateway run' connects every enabled platform (platforms.* in config.yaml,
tokens in .env), runs the cron scheduler when cron.enabled, and serves /healthz
and /metrics on gateway.health_listen. One gateway per home. Every inbound
message is journaled in state.db before it is acknowledged and answered once,
also across crashes and restarts.`,
	}
	var jsonOut bool
	status := &cobra.Command{Use: "status [--json]", Short: "Whether the gateway runs, and each platform's connection", Args: exactArgs(0, "no arguments"),
		RunE: func(*cobra.Command, []string) error { return app.gatewayStatus(jsonOut) }}
	status.Flags().BoolVar(&jsonOut, "json", false, "print JSON")
	c.AddCommand(status,
		&cobra.Command{Use: "run", Short: "Run the gateway in the foreground", Args: exactArgs(0, "no arguments"),
			RunE: func(cmd *cobra.Command, _ []string) error { return app.gatewayRun(cmd.Context()) }},
		&cobra.Command{Use: "start", Short: "Start the gateway in the background; done when it is healthy", Args: exactArgs(0, "no arguments"),
			RunE: func(*cobra.Command, []string) error { return app.gatewayStart() }},
		&cobra.Command{Use: "stop", Short: "Stop the background gateway (SIGTERM) and wait for it", Args: exactArgs(0, "no arguments"),
			RunE: func(*cobra.Command, []string) error {
				if done, err := app.gatewaySystemd("stop"); done {
					return err
				}
				return app.gatewayStop()
			}},
		&cobra.Command{Use: "restart", Short: "Stop the gateway and start a new one (not its child); done when healthy", Args: exactArgs(0, "no arguments"),
			RunE: func(*cobra.Command, []string) error {
				if done, err := app.gatewaySystemd("restart"); done {
					return err
				}
				if err := app.gatewayStop(); err != nil {
					return err
				}
				return app.gatewayStart()
			}},
	)
	c.AddCommand(newGatewayInstallCmds(app)...)
	return c
}

// chatSettings returns platforms.<name>'s shared chat settings.
func chatSettings(cfg *config.Config, name string) (config.Chat, bool) {
	p := cfg.Platforms
	switch name {
	case "telegram":
		return p.Telegram.Chat, true
	case "discord":
		return p.Discord.Chat, true
	case "slack":
		return p.Slack.Chat, true
	case "matrix":
		return p.Matrix.Chat, true
	case "email":
		return p.Email.Chat, true
	}
	return config.Chat{}, false
}

// gatewayLogf records a gateway line in the log file and, in the
// foreground, prints it on stderr (redacted) as well.
func (a *App) gatewayLogf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	a.fileLogger("gateway").Info(msg)
	if a.stderrLogs() {
		fmt.Fprintf(a.Stderr, "%s hermes gateway: %s\n", time.Now().Format(time.TimeOnly), redact.Default().String(msg))
	}
}

func (a *App) gatewayRun(ctx context.Context) error {
	h, err := a.Home()
	if err != nil {
		return err
	}
	loaded, err := a.Config()
	if err != nil {
		return err
	}
	cfg := loaded.Config
	a.openLogs(h, cfg, "gateway")
	live := &liveConfig{}
	live.cfg.Store(cfg)
	pidPath := h.Path(home.GatewayPID)
	lock, err := fileutil.LockFile(context.Background(), pidPath, fileutil.LockOptions{})
	if err != nil {
		who := ""
		if pid, perr := fileutil.ReadPID(pidPath); perr == nil && fileutil.PIDAlive(pid) {
			who = " (pid " + strconv.Itoa(pid) + ")"
		}
		return fmt.Errorf("a gateway already runs for %s%s: stop it first", displayPath(h.Dir), who)
	}
	defer lock.Unlock()
	if err := lock.WritePID(); err != nil {
		return err
	}
	ctx, cancel := a.signalContext(ctx)
	defer cancel()
	env, err := a.Env()
	if err != nil {
		return err
	}
	live.env.Store(env)
	lookup := func(name string) (string, bool) {
		if v := a.Getenv(name); v != "" {
			return v, true
		}
		v, ok := live.env.Load().Lookup(name)
		return v, ok && v != ""
	}
	st, err := store.Open(h.Path(home.StateDB), nil)
	if err != nil {
		return err
	}
	defer st.Close()
	mainR, aux, err := a.chatRouters(cfg)
	if err != nil {
		return err
	}
	approver := gateway.NewApprover(nil, nil, func() time.Duration { return live.cfg.Load().Approvals.Timeout.D() })
	cwd, err := os.Getwd()
	if err != nil {
		return err
	}
	jobs, err := a.cronJobs()
	if err != nil {
		return err
	}
	var deliverer *gateway.Deliverer // set once the core exists, before any turn
	// The cronjob tool's run action: hermes cron run's path, delivering
	// through the gateway (an origin job's result goes back to its chat).
	cronRun := func(ctx context.Context, jobID string) (cron.RunRecord, error) {
		return a.cronRunWith(ctx, jobID, deliverer.WithFallback)
	}
	rt, err := runtime.Open(ctx, runtime.Options{Home: h, Config: cfg, Router: mainR, Aux: aux, Frontend: gateway.Source,
		Cwd: cwd, Env: os.Environ(), Human: approver, Notify: func(line string) { a.gatewayLogf("%s", line) }, CronRun: cronRun})
	if err != nil {
		return err
	}
	defer rt.Close()
	agent := gateway.NewRuntimeAgent(rt)
	deps := func(name string) (platform.Deps, error) {
		dir := h.Path("platforms", name)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return platform.Deps{}, err
		}
		return platform.Deps{Config: cfg, Env: lookup, Agent: agent, StateDir: dir,
			Logf: func(f string, args ...any) { a.gatewayLogf(name+": "+f, args...) },
			Deliver: func(ctx context.Context, target, text string) error {
				return deliverer.Send(ctx, target, name+":"+strconv.FormatInt(time.Now().UnixNano(), 36), text)
			}}, nil
	}
	adapters, services, err := buildPlatforms(deps)
	if err != nil {
		return err
	}
	auth := &gateway.Auth{Env: lookup, Pairing: pairing.Open(h.Path(home.PairingDir)), Logf: a.gatewayLogf,
		DMBehavior: func(name string) (string, string) {
			c := live.cfg.Load()
			ch, _ := chatSettings(c, name)
			return ch.UnauthorizedDMBehavior, c.Gateway.UnauthorizedDMBehavior
		}}
	core := gateway.New(gateway.Options{Store: st, Agent: agent, Adapters: adapters, Authorize: auth.Decide,
		Retries: cfg.Gateway.DeliveryRetries, BusyMode: cfg.Gateway.BusyMode, RestartDelay: cfg.Gateway.RestartDelay.D(),
		DrainTimeout: cfg.Gateway.DrainTimeout.D(),
		GroupPerUser: func(name string) bool { c, _ := chatSettings(live.cfg.Load(), name); return c.GroupSessionsPerUser },
		Commands:     &gateway.Commands{Sessions: agent}, Logf: a.gatewayLogf})
	approver.Bind(core, agent)
	deliverer = &gateway.Deliverer{Core: core, Home: func(name string) string { c, _ := chatSettings(live.cfg.Load(), name); return c.HomeChannel },
		Origin: func(id string) string {
			if j, err := jobs.Get(id); err == nil {
				return j.Origin
			}
			return ""
		}}
	if cfg.Cron.Enabled {
		stopCron, err := a.gatewayCron(ctx, h, deliverer)
		if err != nil {
			return err
		}
		defer stopCron()
	}
	notify, watchdog := gateway.SystemdNotifier(a.gatewayLogf)
	go a.gatewayReload(ctx, h, live, core, notify)
	srv := &gateway.Server{Core: core, Services: services, Listen: cfg.Gateway.HealthListen,
		StatusPath: h.Path(gatewayStatusFile), Logf: a.gatewayLogf, Version: version.String(), Notify: notify, Watchdog: watchdog}
	a.gatewayLogf("running for %s (pid %d): %d platform(s), %d service(s)", displayPath(h.Dir), os.Getpid(), len(adapters), len(services))
	return srv.Run(ctx)
}

// buildPlatforms builds every registered adapter (and, unless
// adaptersOnly, service) that is enabled.
func buildPlatforms(deps func(string) (platform.Deps, error), adaptersOnly ...bool) ([]platform.Adapter, []platform.Service, error) {
	adapters, err := buildEnabled(platform.Adapters(), deps)
	if err != nil || (len(adaptersOnly) > 0 && adaptersOnly[0]) {
		return adapters, nil, err
	}
	services, err := buildEnabled(platform.Services(), deps)
	return adapters, services, err
}

// buildEnabled calls each factory, in name order, with its platform's
// Deps, and keeps what is enabled.
func buildEnabled[T any, F ~func(platform.Deps) (T, error)](factories map[string]F, deps func(string) (platform.Deps, error)) ([]T, error) {
	names := make([]string, 0, len(factories))
	for n := range factories {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []T
	for _, n := range names {
		d, err := deps(n)
		if err != nil {
			return nil, err
		}
		v, err := factories[n](d)
		if errors.Is(err, platform.ErrDisabled) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("platform %s: %w", n, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// gatewayCron runs the scheduler in this process, delivering through the
// gateway; another scheduler holding the cron lock keeps it.
func (a *App) gatewayCron(ctx context.Context, h *home.Home, d *gateway.Deliverer) (func(), error) {
	lock, err := fileutil.LockFile(context.Background(), h.Path(home.CronLock), fileutil.LockOptions{})
	if err != nil {
		a.gatewayLogf("cron: another scheduler runs this home (%v); this gateway does not run jobs", err)
		return func() {}, nil
	}
	s, closeFn, err := a.cronSchedulerWith(d.WithFallback)
	if err != nil {
		lock.Unlock()
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		beat := func(t time.Time) {
			if err := cron.WriteHeartbeat(h.Path(home.CronDir), t); err != nil {
				a.gatewayLogf("cron: heartbeat: %v", err)
			}
		}
		if err := s.Daemon(ctx, cronDaemonInterval, beat); err != nil && ctx.Err() == nil {
			a.gatewayLogf("cron: %v", err)
		}
	}()
	return func() { cancel(); <-done; closeFn(); lock.Unlock() }, nil
}

// liveConfig is the configuration a running gateway reads: replaced
// whole on a valid reload.
type liveConfig struct {
	cfg atomic.Pointer[config.Config]
	env atomic.Pointer[config.Env]
}

// gatewayReload reloads config.yaml and .env on SIGHUP or when they
// change. Allowlists, pairing behaviour, home channels, group sessions,
// busy mode, retries, restart delay and the approval timeout follow;
// platforms, listeners and the model need a restart.
func (a *App) gatewayReload(ctx context.Context, h *home.Home, live *liveConfig, core *gateway.Core, notify func(string)) {
	hup := make(chan os.Signal, 1)
	if a.ownsProcess {
		signal.Notify(hup, syscall.SIGHUP)
		defer signal.Stop(hup)
	}
	var next *config.Config
	var nextEnv *config.Env
	r := &gateway.Reloader{Paths: []string{h.Path(home.ConfigFile), h.Path(home.EnvFile)}, Logf: a.gatewayLogf, Notify: notify,
		Load: func() error {
			l, err := config.Load(h.Path(home.ConfigFile))
			if err != nil {
				return err
			}
			env, _, err := config.LoadEnv(h.Path(home.EnvFile))
			if err != nil {
				return err
			}
			next, nextEnv = l.Config, env
			return nil
		},
		Apply: func() {
			live.cfg.Store(next)
			live.env.Store(nextEnv)
			g := next.Gateway
			core.SetSettings(g.DeliveryRetries, g.BusyMode, g.RestartDelay.D(), g.DrainTimeout.D())
		}}
	r.Run(ctx, hup)
}

// gatewayStatusJSON is `gateway status --json`.
type gatewayStatusJSON struct {
	Running   bool                             `json:"running"`
	PID       int                              `json:"pid,omitempty"`
	Health    string                           `json:"health,omitempty"`
	Ready     bool                             `json:"ready"`
	StalePID  int                              `json:"stale_pid,omitempty"`
	Platforms map[string]gateway.AdapterStatus `json:"platforms"`
	Services  []string                         `json:"services"`
	UpdatedAt time.Time                        `json:"updated_at,omitzero"`
	Version   string                           `json:"version,omitempty"` // of the binary running the gateway
}

func (a *App) gatewayStatus(jsonOut bool) error {
	h, err := a.Home()
	if err != nil {
		return err
	}
	out, err := readGatewayStatus(h)
	if err != nil {
		return err
	}
	if jsonOut {
		return writeJSON(a, out)
	}
	printGatewayStatus(a, out)
	return nil
}

// readGatewayStatus is what `gateway status` and `doctor` know of h's
// gateway: the pid file, whether its process lives, and the status file
// the runner writes.
func readGatewayStatus(h *home.Home) (gatewayStatusJSON, error) {
	out := gatewayStatusJSON{Platforms: map[string]gateway.AdapterStatus{}, Services: []string{}}
	lockPID, perr := fileutil.ReadPID(h.Path(home.GatewayPID))
	alive := perr == nil && fileutil.PIDAlive(lockPID)
	if perr == nil && !alive && lockPID > 0 {
		out.StalePID = lockPID
	}
	st, err := gateway.ReadStatus(h.Path(gatewayStatusFile))
	switch {
	case err == nil:
		if st.Running && alive && st.PID == lockPID {
			out.Running, out.PID, out.Health, out.Ready, out.UpdatedAt, out.Version = true, st.PID, st.Health, st.Ready, st.UpdatedAt, st.Version
			if st.Platforms != nil {
				out.Platforms = st.Platforms
			}
			if st.Services != nil {
				out.Services = st.Services
			}
		}
	case !errors.Is(err, fs.ErrNotExist):
		return out, err
	}
	if !out.Running && alive {
		out.Running, out.PID = true, lockPID // started, status not written yet
	}
	return out, nil
}

func printGatewayStatus(a *App, out gatewayStatusJSON) {
	if !out.Running {
		fmt.Fprintln(a.Stdout, "gateway: not running")
		if out.StalePID != 0 {
			fmt.Fprintf(a.Stdout, "  stale pid file (pid %d is gone)\n", out.StalePID)
		}
		return
	}
	fmt.Fprintf(a.Stdout, "gateway: running (pid %d), ready=%v, health http://%s/healthz", out.PID, out.Ready, out.Health)
	if out.Version != "" {
		fmt.Fprintf(a.Stdout, ", version %s", out.Version)
	}
	fmt.Fprintln(a.Stdout)
	names := make([]string, 0, len(out.Platforms))
	for n := range out.Platforms {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := out.Platforms[n]
		state := "connected"
		if !p.Connected {
			state = "disconnected " + p.Error
		}
		fmt.Fprintf(a.Stdout, "  %s: %s\n", n, state)
	}
	for _, s := range out.Services {
		fmt.Fprintf(a.Stdout, "  %s: serving\n", s)
	}
}
