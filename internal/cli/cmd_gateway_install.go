package cli

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hermes-go/hermes/internal/gateway"
)

// defaultGatewayImage is the image --docker names unless --image says.
const defaultGatewayImage = "hermes:latest"

type gatewayInstallFlags struct {
	system, docker bool
	image          string
}

func newGatewayInstallCmds(app *App) []*cobra.Command {
	var f gatewayInstallFlags
	install := &cobra.Command{Use: "install [--system] [--docker [--image NAME]]",
		Short: "Run the gateway as a systemd service (user unit, or --system), or print the docker run line",
		Long: `Writes a systemd unit (Type=notify with a watchdog, Restart=always) to
~/.config/systemd/user/hermes-gateway[-PROFILE].service, or with --system to
/etc/systemd/system/, then enables and starts it with systemctl. Without a
working systemctl it prints the commands to run. --docker writes nothing and
prints a docker run line with a restart policy.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(*cobra.Command, []string) error { return app.gatewayInstall(f) }}
	install.Flags().BoolVar(&f.system, "system", false, "write a system unit (/etc/systemd/system) instead of a user unit")
	install.Flags().BoolVar(&f.docker, "docker", false, "print the docker run line instead; write nothing")
	install.Flags().StringVar(&f.image, "image", defaultGatewayImage, "image name for --docker")
	var usys bool
	uninstall := &cobra.Command{Use: "uninstall [--system]", Short: "Stop, disable and remove the gateway's systemd unit",
		Args: exactArgs(0, "no arguments"),
		RunE: func(*cobra.Command, []string) error { return app.gatewayUninstall(usys) }}
	uninstall.Flags().BoolVar(&usys, "system", false, "the system unit rather than the user unit")
	return []*cobra.Command{install, uninstall}
}

// gatewayUnit describes this binary's unit for the active home.
func (a *App) gatewayUnit(system bool) (gateway.Unit, string, error) {
	h, err := a.Home()
	if err != nil {
		return gateway.Unit{}, "", err
	}
	exe, err := os.Executable()
	if err != nil {
		return gateway.Unit{}, "", err
	}
	if r, err := filepath.EvalSymlinks(exe); err == nil {
		exe = r
	}
	userHome := a.Getenv("HOME")
	if userHome == "" {
		userHome, _ = os.UserHomeDir()
	}
	u := gateway.Unit{Exe: exe, Profile: h.Profile, System: system}
	if loaded, err := a.Config(); err == nil {
		u.Drain = loaded.Config.Gateway.DrainTimeout.D()
	}
	// A system unit runs with another HOME: name the home always.
	if system || userHome == "" || h.Root != filepath.Join(userHome, ".hermes") {
		u.Home = h.Root
	}
	if system {
		if cur, err := user.Current(); err == nil {
			u.User = cur.Username
		}
	}
	cfgDir := a.Getenv("XDG_CONFIG_HOME")
	if cfgDir == "" {
		if userHome == "" {
			return gateway.Unit{}, "", errors.New("cannot find your home directory for ~/.config/systemd/user: set HOME")
		}
		cfgDir = filepath.Join(userHome, ".config")
	}
	return u, gateway.UnitPath(u, cfgDir), nil
}

// systemctl finds systemctl on PATH.
func (a *App) systemctl(user bool) gateway.Systemctl {
	s := gateway.Systemctl{User: user}
	path := a.Getenv("PATH")
	if path == "" {
		path = os.Getenv("PATH")
	}
	for _, dir := range filepath.SplitList(path) {
		p := filepath.Join(dir, "systemctl")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			s.Run = func(args ...string) ([]byte, error) { return exec.Command(p, args...).CombinedOutput() }
			break
		}
	}
	return s
}

func (a *App) gatewayInstall(f gatewayInstallFlags) error {
	if f.docker {
		return a.gatewayDocker(f.image)
	}
	u, path, err := a.gatewayUnit(f.system)
	if err != nil {
		return err
	}
	text, err := u.Render()
	if err != nil {
		return err
	}
	changed, err := gateway.WriteUnit(path, text, func(format string, args ...any) {
		fmt.Fprintf(a.Stdout, format+"\n", args...)
	})
	if err != nil {
		return fmt.Errorf("write %s: %w (a system unit needs root)", path, err)
	}
	if changed {
		fmt.Fprintf(a.Stdout, "wrote %s\n", path)
	} else {
		fmt.Fprintf(a.Stdout, "%s is up to date\n", path)
	}
	return a.runSystemctl(gateway.UnitName(u.Profile), !f.system, true)
}

func (a *App) gatewayUninstall(system bool) error {
	u, path, err := a.gatewayUnit(system)
	if err != nil {
		return err
	}
	if _, err := os.Stat(path); err != nil {
		fmt.Fprintf(a.Stdout, "%s is not installed\n", path)
		return nil
	}
	name := gateway.UnitName(u.Profile)
	s := a.systemctl(!system)
	cmds := s.Commands(name, false)
	usable := s.Usable()
	if usable {
		if out, err := s.Run(cmds[0]...); err != nil {
			fmt.Fprintf(a.Stderr, "systemctl %s: %v: %s\n", strings.Join(cmds[0], " "), err, strings.TrimSpace(string(out)))
		}
	}
	if err := os.Remove(path); err != nil {
		return err
	}
	fmt.Fprintf(a.Stdout, "removed %s\n", path)
	if !usable {
		fmt.Fprintln(a.Stdout, "systemctl does not answer here; run:")
		for _, c := range cmds {
			fmt.Fprintf(a.Stdout, "  systemctl %s\n", strings.Join(c, " "))
		}
		return nil
	}
	if out, err := s.Run(cmds[1]...); err != nil {
		return fmt.Errorf("systemctl %s: %w: %s", strings.Join(cmds[1], " "), err, strings.TrimSpace(string(out)))
	}
	fmt.Fprintf(a.Stdout, "disabled and stopped %s\n", name)
	return nil
}

// runSystemctl enables (or prints how to enable) the unit.
func (a *App) runSystemctl(name string, user, enable bool) error {
	s := a.systemctl(user)
	cmds := s.Commands(name, enable)
	if !s.Usable() {
		fmt.Fprintln(a.Stdout, "systemctl does not answer here; run:")
		for _, c := range cmds {
			fmt.Fprintf(a.Stdout, "  systemctl %s\n", strings.Join(c, " "))
		}
		return nil
	}
	for _, c := range cmds {
		if out, err := s.Run(c...); err != nil {
			return fmt.Errorf("systemctl %s: %w: %s", strings.Join(c, " "), err, strings.TrimSpace(string(out)))
		}
	}
	fmt.Fprintf(a.Stdout, "enabled and started %s (systemctl %sstatus %s)\n", name, map[bool]string{true: "--user "}[user], name)
	return nil
}

func (a *App) gatewayDocker(image string) error {
	h, err := a.Home()
	if err != nil {
		return err
	}
	loaded, err := a.Config()
	if err != nil {
		return err
	}
	cfg := loaded.Config
	ports := []string{cfg.Gateway.HealthListen}
	if cfg.Platforms.APIServer.Enabled && cfg.Platforms.APIServer.Listen != "" {
		ports = append(ports, cfg.Platforms.APIServer.Listen)
	}
	name := strings.TrimSuffix(gateway.UnitName(h.Profile), ".service")
	line, err := gateway.DockerRun{Image: image, Name: name, Home: h.Root, Profile: h.Profile, Ports: ports}.Line()
	if err != nil {
		return err
	}
	fmt.Fprintln(a.Stdout, line)
	fmt.Fprintln(a.Stderr, "note: inside the container the listeners must bind 0.0.0.0 (gateway.health_listen, platforms.api_server.listen);\n"+
		"the -p 127.0.0.1:... publishing keeps them reachable from this host's loopback only.")
	return nil
}

// gatewayUnitActive finds an installed, active systemd unit of this
// profile's gateway (user unit first, then system unit): such a gateway
// is stopped and restarted through systemctl, or Restart=always would
// bring back what `stop` ended, and `restart` would race systemd.
func (a *App) gatewayUnitActive() (gateway.Systemctl, string, bool) {
	for _, system := range []bool{false, true} {
		u, path, err := a.gatewayUnit(system)
		if err != nil {
			continue
		}
		if _, err := os.Stat(path); err != nil {
			continue
		}
		s := a.systemctl(!system)
		if s.Run == nil {
			continue
		}
		name := gateway.UnitName(u.Profile)
		args := []string{"is-active", "--quiet", name}
		if !system {
			args = append([]string{"--user"}, args...)
		}
		if _, err := s.Run(args...); err == nil {
			return s, name, true
		}
	}
	return gateway.Systemctl{}, "", false
}

// gatewaySystemd runs `systemctl [--user] VERB UNIT` for a gateway that
// systemd runs; false when none does. With Type=notify, start and
// restart return once the gateway said READY=1 (every adapter connected).
func (a *App) gatewaySystemd(verb string) (bool, error) {
	s, name, ok := a.gatewayUnitActive()
	if !ok {
		return false, nil
	}
	args := []string{verb, name}
	if s.User {
		args = append([]string{"--user"}, args...)
	}
	if out, err := s.Run(args...); err != nil {
		return true, fmt.Errorf("systemctl %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	fmt.Fprintf(a.Stdout, "gateway: systemctl %s done (systemd runs this gateway)\n", strings.Join(args, " "))
	return true, nil
}
