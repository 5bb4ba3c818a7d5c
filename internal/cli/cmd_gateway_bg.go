package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/hermes-go/hermes/internal/fileutil"
	"github.com/hermes-go/hermes/internal/gateway"
	"github.com/hermes-go/hermes/internal/home"
	"github.com/hermes-go/hermes/internal/logging"
)

// gatewayWait bounds how long start and stop wait for the gateway.
const gatewayWait = 60 * time.Second

// gatewayStop sends SIGTERM to the running gateway and waits until its
// lock is free: it drains its running turns (gateway.drain_timeout), cuts
// off the rest, which the next start answers, and exits.
func (a *App) gatewayStop() error {
	h, err := a.Home()
	if err != nil {
		return err
	}
	pidPath := h.Path(home.GatewayPID)
	pid, err := fileutil.ReadPID(pidPath)
	if err != nil || !fileutil.PIDAlive(pid) || !gatewayLocked(pidPath) {
		fmt.Fprintln(a.Stdout, "gateway: not running")
		return nil
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return fmt.Errorf("stop gateway pid %d: %w", pid, err)
	}
	// The gateway drains running turns for gateway.drain_timeout first.
	wait := gatewayWait
	if l, err := a.Config(); err == nil {
		wait += l.Config.Gateway.DrainTimeout.D()
	}
	deadline := time.Now().Add(wait)
	for gatewayLocked(pidPath) {
		if time.Now().After(deadline) {
			return fmt.Errorf("gateway pid %d did not stop within %s: kill it with kill -9 %d (nothing journaled is lost)", pid, wait, pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
	fmt.Fprintf(a.Stdout, "gateway: stopped (pid %d)\n", pid)
	return nil
}

// gatewayLocked reports whether a process holds the gateway lock.
func gatewayLocked(path string) bool {
	l, err := fileutil.LockFile(context.Background(), path, fileutil.LockOptions{}) // zero timeout: one try
	if err != nil {
		return true
	}
	l.Unlock()
	return false
}

// gatewayStart starts `hermes gateway run` in a new session (not a child
// of any gateway), logging to <home>/logs/gateway.log, and returns once
// it is healthy.
func (a *App) gatewayStart() error {
	h, err := a.Home()
	if err != nil {
		return err
	}
	if gatewayLocked(h.Path(home.GatewayPID)) {
		return errors.New("a gateway already runs for this home: hermes gateway restart replaces it")
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	logPath := h.Path(home.LogsDir, "gateway.log")
	if err := os.MkdirAll(filepath.Dir(logPath), 0o700); err != nil {
		return err
	}
	logf, err := a.openGatewayLog(logPath)
	if err != nil {
		return err
	}
	defer logf.Close()
	args := []string{"gateway", "run"}
	if a.profileFlag != "" {
		args = append([]string{"--profile", a.profileFlag}, args...)
	}
	cmd := exec.Command(self, args...)
	// The child logs to logs/hermes.log itself; its stderr (this file)
	// keeps only what bypasses the logger: a panic, a runtime error.
	cmd.Env = append(os.Environ(), "HERMES_LOG_STDERR=off")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start gateway: %w", err)
	}
	pid := cmd.Process.Pid
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(gatewayWait)
	for {
		select {
		case err := <-exited:
			return fmt.Errorf("the gateway exited at start (%v): see %s", err, displayPath(logPath))
		default:
		}
		if st, err := gateway.ReadStatus(h.Path(gatewayStatusFile)); err == nil && st.Running && st.PID == pid && st.Ready && healthy(st.Health) {
			fmt.Fprintf(a.Stdout, "gateway: running (pid %d), health http://%s/healthz, log %s\n", pid, st.Health, displayPath(logPath))
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the gateway (pid %d) is not healthy after %s: see %s", pid, gatewayWait, displayPath(logPath))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// openGatewayLog opens logs/gateway.log for a background gateway's
// stdout and stderr, rotated first when it is over logging.max_size_mb,
// and marks the start with a record, so `hermes logs` dates the raw lines
// that follow it.
func (a *App) openGatewayLog(path string) (*os.File, error) {
	opts := logging.Options{}
	if l, err := a.Config(); err == nil {
		opts = logging.Options{MaxSize: int64(l.Config.Logging.MaxSizeMB) << 20, Keep: l.Config.Logging.Keep}
	}
	if err := logging.RotateIfLarge(path, opts); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	slog.New(slog.NewJSONHandler(f, nil)).With(logging.ComponentKey, "gateway").Info("gateway start: output of the background gateway follows")
	return f, nil
}

func healthy(addr string) bool {
	if addr == "" {
		return false
	}
	c := &http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://" + addr + "/healthz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
