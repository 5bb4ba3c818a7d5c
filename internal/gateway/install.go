package gateway

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hermes-go/hermes/internal/fileutil"
)

// WatchdogSec is the systemd watchdog of the installed unit; the gateway
// pings every half of it while its loop is alive.
const WatchdogSec = 30

// Unit describes the systemd unit of one gateway.
type Unit struct {
	Exe     string // absolute path of the hermes binary
	Profile string // "" or "default" for the root home
	// Home is HERMES_HOME for the unit; "" when the default (~/.hermes of
	// the user the unit runs as) is meant.
	Home   string
	System bool   // a system unit (/etc/systemd/system) rather than a user unit
	User   string // for a system unit: the account it runs as
	// Drain is gateway.drain_timeout: systemd waits for it (and a margin)
	// before it kills a stopping gateway.
	Drain time.Duration
}

// UnitName is the unit's file name: hermes-gateway.service for the
// default profile, hermes-gateway-<profile>.service for the others.
func UnitName(profile string) string {
	if profile == "" || profile == "default" {
		return "hermes-gateway.service"
	}
	return "hermes-gateway-" + profile + ".service"
}

// UnitPath is where the unit file goes: under userConfig/systemd/user
// (userConfig is ~/.config) or /etc/systemd/system.
func UnitPath(u Unit, userConfig string) string {
	if u.System {
		return filepath.Join("/etc/systemd/system", UnitName(u.Profile))
	}
	return filepath.Join(userConfig, "systemd", "user", UnitName(u.Profile))
}

// Render returns the unit file's text.
func (u Unit) Render() (string, error) {
	if !filepath.IsAbs(u.Exe) {
		return "", fmt.Errorf("the unit needs the binary's absolute path, not %q", u.Exe)
	}
	for _, v := range []string{u.Exe, u.Profile, u.Home, u.User} {
		if strings.ContainsAny(v, "\n\r\x00") {
			return "", fmt.Errorf("%q: a line break or NUL cannot go in a unit file", v)
		}
	}
	args := []string{u.Exe}
	if u.Profile != "" && u.Profile != "default" {
		args = append(args, "-p", u.Profile)
	}
	args = append(args, "gateway", "run")
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = unitQuote(strings.ReplaceAll(a, "$", "$$"))
	}
	var b strings.Builder
	b.WriteString("# Written by hermes gateway install; hermes gateway uninstall removes it.\n")
	b.WriteString("[Unit]\n")
	fmt.Fprintf(&b, "Description=Hermes messaging gateway (profile %s)\n", orDefault(u.Profile))
	b.WriteString("Wants=network-online.target\nAfter=network-online.target\n\n")
	b.WriteString("[Service]\n")
	b.WriteString("Type=notify\nNotifyAccess=main\n")
	fmt.Fprintf(&b, "WatchdogSec=%ds\n", WatchdogSec)
	b.WriteString("Restart=always\nRestartSec=5\n")
	if u.System && u.User != "" {
		fmt.Fprintf(&b, "User=%s\n", unitQuote(u.User))
	}
	if u.Home != "" {
		fmt.Fprintf(&b, "Environment=%s\n", unitQuote("HERMES_HOME="+u.Home))
	}
	fmt.Fprintf(&b, "ExecStart=%s\n", strings.Join(quoted, " "))
	b.WriteString("ExecReload=/bin/kill -HUP $MAINPID\n")
	// The gateway drains turns for gateway.drain_timeout on SIGTERM.
	fmt.Fprintf(&b, "TimeoutStopSec=%d\n\n", int(max(u.Drain+30*time.Second, 90*time.Second)/time.Second))
	b.WriteString("[Install]\n")
	if u.System {
		b.WriteString("WantedBy=multi-user.target\n")
	} else {
		b.WriteString("WantedBy=default.target\n")
	}
	return b.String(), nil
}

func orDefault(p string) string {
	if p == "" {
		return "default"
	}
	return p
}

// unitQuote quotes one word for a unit file: specifiers (%) are escaped
// (variable references, $, in command lines only, by the caller), and a word with spaces, quotes or
// backslashes goes in double quotes.
func unitQuote(s string) string {
	s = strings.ReplaceAll(s, "%", "%%")
	if s != "" && !strings.ContainsAny(s, " \t\"'\\;") {
		return s
	}
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, `"`, `\"`)
	return `"` + s + `"`
}

// WriteUnit writes text to path atomically. It reports whether the file
// changed and, when it replaced a different unit, says so through logf
// first.
func WriteUnit(path, text string, logf func(string, ...any)) (bool, error) {
	old, err := os.ReadFile(path)
	switch {
	case err == nil && bytes.Equal(old, []byte(text)):
		return false, nil
	case err == nil:
		logf("replacing %s, which differs from the unit this binary writes", path)
	case !errors.Is(err, fs.ErrNotExist):
		return false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return false, err
	}
	if err := fileutil.WriteFile(path, []byte(text), 0o644); err != nil {
		return false, err
	}
	return true, nil
}

// Systemctl runs systemctl (with --user for user units).
type Systemctl struct {
	User bool
	// Run runs systemctl with args and returns its combined output.
	Run func(args ...string) ([]byte, error)
}

func (s Systemctl) args(a ...string) []string {
	if s.User {
		return append([]string{"--user"}, a...)
	}
	return a
}

// Commands returns the systemctl command lines of an install (enable)
// or an uninstall.
func (s Systemctl) Commands(unit string, enable bool) [][]string {
	if enable {
		return [][]string{s.args("daemon-reload"), s.args("enable", "--now", unit)}
	}
	return [][]string{s.args("disable", "--now", unit), s.args("daemon-reload")}
}

// Usable reports whether systemctl answers (a manager runs for the user
// or the system).
func (s Systemctl) Usable() bool {
	if s.Run == nil {
		return false
	}
	_, err := s.Run(s.args("show-environment")...)
	return err == nil
}

// DockerRun is the docker run line of a gateway in a container.
type DockerRun struct {
	Image   string
	Name    string   // container name
	Home    string   // the host's home folder, mounted at /data
	Profile string   // "" for the default profile
	Ports   []string // host:port addresses to publish on the host's loopback
}

// Line returns the docker run command line.
func (d DockerRun) Line() (string, error) {
	if d.Image == "" {
		return "", errors.New("no image name: pass --image")
	}
	parts := []string{"docker", "run", "-d", "--name", d.Name, "--restart", "unless-stopped",
		"-v", d.Home + ":/data", "-e", "HERMES_HOME=/data"}
	for _, p := range d.Ports {
		_, port, err := net.SplitHostPort(p)
		if err != nil || port == "" || port == "0" {
			return "", fmt.Errorf("listen address %q has no fixed port to publish", p)
		}
		parts = append(parts, "-p", "127.0.0.1:"+port+":"+port)
	}
	parts = append(parts, d.Image)
	if d.Profile != "" && d.Profile != "default" {
		parts = append(parts, "-p", d.Profile)
	}
	parts = append(parts, "gateway", "run")
	for i, p := range parts {
		parts[i] = shellQuote(p)
	}
	return strings.Join(parts, " "), nil
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
