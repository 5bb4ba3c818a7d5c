package update

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"time"
)

// Steps are what the update asks of a hermes binary: its version, a
// backup, the doctor, and the gateway. Binary runs the real commands in a
// child process; tests of the sequencing inject their own.
type Steps interface {
	// Version runs `BIN version --json`.
	Version(ctx context.Context, bin string) (BinaryInfo, error)
	// Backup runs `BIN backup --keep N --json`.
	Backup(ctx context.Context, bin string, keep int) (BackupResult, error)
	// Doctor runs `BIN doctor --json`; a doctor that reports failures is
	// not an error, one that cannot run or crashes is.
	Doctor(ctx context.Context, bin string) (DoctorReport, error)
	// GatewayRestart runs `BIN gateway restart` (stop, then start and
	// wait until healthy).
	GatewayRestart(ctx context.Context, bin string) error
	// GatewayStatus runs `BIN gateway status --json`.
	GatewayStatus(ctx context.Context, bin string) (GatewayStatus, error)
}

// BinaryInfo is `hermes version --json`.
type BinaryInfo struct {
	Version  string `json:"version"`
	Commit   string `json:"commit,omitempty"`
	Source   string `json:"source,omitempty"`
	Go       string `json:"go,omitempty"`
	Platform string `json:"platform,omitempty"`
}

// BackupResult is `hermes backup --json`.
type BackupResult struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	Files  int    `json:"files"`
	SHA256 string `json:"sha256"`
}

// DoctorCheck is one row of `hermes doctor --json`.
type DoctorCheck struct {
	Name    string `json:"name"`
	Status  string `json:"status"` // ok, warn or fail
	Message string `json:"message"`
	Fix     string `json:"fix,omitempty"`
}

// DoctorReport is `hermes doctor --json`.
type DoctorReport struct {
	OK       bool          `json:"ok"`
	Checks   []DoctorCheck `json:"checks"`
	Failures int           `json:"failures"`
	Warnings int           `json:"warnings"`
}

// Failed returns the checks whose status is fail.
func (r DoctorReport) Failed() []DoctorCheck {
	var out []DoctorCheck
	for _, c := range r.Checks {
		if c.Status == "fail" {
			out = append(out, c)
		}
	}
	return out
}

// GatewayStatus is the part of `hermes gateway status --json` the update
// reads.
type GatewayStatus struct {
	Running bool   `json:"running"`
	PID     int    `json:"pid"`
	Health  string `json:"health"`
	Ready   bool   `json:"ready"`
	Version string `json:"version"`
}

// Binary runs hermes binaries as child processes with Env (which selects
// the home) and Args before each command (e.g. --profile NAME).
type Binary struct {
	Env  []string
	Args []string
	// Timeout bounds each command except the gateway restart and the
	// backup; 0 is one minute.
	Timeout time.Duration
}

// errTail is the end of a child's stderr, for error messages.
func errTail(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 600 {
		s = "..." + s[len(s)-600:]
	}
	if s == "" {
		return "no output"
	}
	return s
}

// run runs bin with args; exit codes in okCodes are not errors.
func (b Binary) run(ctx context.Context, timeout time.Duration, bin string, args []string, okCodes ...int) ([]byte, int, error) {
	if timeout == 0 {
		timeout = b.Timeout
	}
	if timeout == 0 {
		timeout = time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append(append([]string{}, b.Args...), args...)...)
	cmd.Env = b.Env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	what := "hermes " + strings.Join(args, " ")
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return nil, -1, fmt.Errorf("%s did not finish within %s", what, timeout)
	case ctx.Err() != nil:
		return nil, -1, fmt.Errorf("%s: interrupted", what)
	}
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
		if !ee.Exited() {
			return nil, code, fmt.Errorf("%s crashed (%v): %s", what, ee, errTail(stderr.Bytes()))
		}
	case err != nil:
		return nil, -1, fmt.Errorf("%s: %w", what, err)
	}
	for _, c := range append([]int{0}, okCodes...) {
		if code == c {
			return stdout.Bytes(), code, nil
		}
	}
	return nil, code, fmt.Errorf("%s exited with status %d: %s", what, code, errTail(stderr.Bytes()))
}

// Version implements Steps.
func (b Binary) Version(ctx context.Context, bin string) (BinaryInfo, error) {
	out, _, err := b.run(ctx, 30*time.Second, bin, []string{"version", "--json"})
	if err != nil {
		return BinaryInfo{}, err
	}
	var info BinaryInfo
	if err := json.Unmarshal(out, &info); err != nil || info.Version == "" {
		return BinaryInfo{}, fmt.Errorf("hermes version --json printed no version (%q)", truncate(out))
	}
	return info, nil
}

// Backup implements Steps.
func (b Binary) Backup(ctx context.Context, bin string, keep int) (BackupResult, error) {
	out, _, err := b.run(ctx, 30*time.Minute, bin, []string{"backup", "--keep", fmt.Sprint(keep), "--json"})
	if err != nil {
		return BackupResult{}, err
	}
	var r BackupResult
	if err := json.Unmarshal(lastJSON(out), &r); err != nil || r.Path == "" {
		return BackupResult{}, fmt.Errorf("hermes backup --json printed no backup path (%q)", truncate(out))
	}
	return r, nil
}

// Doctor implements Steps. Exit 1 is a report with failures.
func (b Binary) Doctor(ctx context.Context, bin string) (DoctorReport, error) {
	out, code, err := b.run(ctx, 0, bin, []string{"doctor", "--json"}, 1)
	if err != nil {
		return DoctorReport{}, err
	}
	var r DoctorReport
	if err := json.Unmarshal(lastJSON(out), &r); err != nil || r.Checks == nil {
		return DoctorReport{}, fmt.Errorf("hermes doctor --json (exit %d) printed no report (%q)", code, truncate(out))
	}
	return r, nil
}

// GatewayRestart implements Steps.
func (b Binary) GatewayRestart(ctx context.Context, bin string) error {
	_, _, err := b.run(ctx, 3*time.Minute, bin, []string{"gateway", "restart"})
	return err
}

// GatewayStatus implements Steps.
func (b Binary) GatewayStatus(ctx context.Context, bin string) (GatewayStatus, error) {
	out, _, err := b.run(ctx, 0, bin, []string{"gateway", "status", "--json"})
	if err != nil {
		return GatewayStatus{}, err
	}
	var st GatewayStatus
	if err := json.Unmarshal(out, &st); err != nil {
		return GatewayStatus{}, fmt.Errorf("hermes gateway status --json: %v (%q)", err, truncate(out))
	}
	return st, nil
}

// lastJSON returns the last line of out that starts with '{' through the
// end, so a progress line printed before the object does not break it.
func lastJSON(out []byte) []byte {
	trimmed := bytes.TrimSpace(out)
	if bytes.HasPrefix(trimmed, []byte("{")) {
		return trimmed
	}
	if i := bytes.LastIndex(trimmed, []byte("\n{")); i >= 0 {
		return trimmed[i+1:]
	}
	return trimmed
}

func truncate(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}

// Healthz asks a gateway's /healthz at addr (host:port); nil when it
// answers 200.
func Healthz(ctx context.Context, addr string) error {
	if addr == "" {
		return errors.New("the gateway reports no health address")
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("/healthz: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/healthz answered %s", resp.Status)
	}
	return nil
}
