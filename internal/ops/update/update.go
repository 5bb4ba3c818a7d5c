// Package update replaces the hermes binary with a newer one (`hermes
// update`): built from the git checkout the binary was built from, or
// downloaded from a release directory and checked against its
// SHA256SUMS. Before anything is swapped it backs the home up and tests
// the new binary (version, doctor); the swap keeps the previous binary
// as <binary>.prev; a gateway that was running is restarted on the new
// binary and must come back healthy on the new version, else the update
// rolls back to the previous binary and restarts the gateway on it.
package update

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"

	"github.com/hermes-go/hermes/internal/fileutil"
)

// The methods of update.method.
const (
	MethodAuto    = "auto"
	MethodGit     = "git"
	MethodRelease = "release"
)

// KeepBackups is how many pre-update backups are kept.
const KeepBackups = 5

// Options say what to update and how.
type Options struct {
	Binary string // the installed hermes (symlinks resolved)
	Home   string // the profile's folder: its gateway.pid tells whether a gateway runs
	Method string // auto (default), git or release
	Source string // the git checkout; "" is the one the binary was built from
	URL    string // the release directory; "" is DefaultURL
	Client *http.Client
	Env    []string // environment of git and go; nil is the process's
	Steps  Steps    // how binaries are asked; required
	// NoBackup skips the pre-update backup (hermes update --no-backup).
	NoBackup bool
	// Log receives one line per step.
	Log func(format string, args ...any)
}

func (o *Options) logf(format string, args ...any) {
	if o.Log != nil {
		o.Log(format, args...)
	}
}

// Plan is what an update would do.
type Plan struct {
	Method    string     `json:"method"`
	Binary    string     `json:"binary"`
	Current   BinaryInfo `json:"current"`
	Available string     `json:"available"`
	UpToDate  bool       `json:"up_to_date"`
	Source    string     `json:"source,omitempty"`
	URL       string     `json:"url,omitempty"`
	Target    *Target    `json:"target,omitempty"`
	Gateway   bool       `json:"gateway_running"`
	Steps     []string   `json:"steps"`
	Note      string     `json:"note,omitempty"`
}

// Check works out the plan without changing anything but the checkout's
// remote-tracking refs (git fetch).
func Check(ctx context.Context, o Options) (*Plan, error) {
	if o.Steps == nil {
		return nil, errors.New("update: no Steps")
	}
	cur, err := o.Steps.Version(ctx, o.Binary)
	if err != nil {
		return nil, fmt.Errorf("the installed binary %s: %w", o.Binary, err)
	}
	p := &Plan{Binary: o.Binary, Current: cur, Gateway: GatewayRunning(o.Home)}
	method, source, note, err := pickMethod(o, cur)
	if err != nil {
		return nil, err
	}
	p.Method, p.Note = method, note
	if method == MethodGit {
		co := Checkout{Dir: source, Env: o.Env}
		t, err := co.Plan(ctx)
		if err != nil {
			return nil, err
		}
		p.Source, p.Target = source, &t
		if p.Available, err = co.Describe(ctx, t.Commit); err != nil {
			return nil, err
		}
		p.UpToDate = cur.Commit != "" && cur.Commit == t.Commit
	} else {
		p.URL = o.releaseURL()
		v, err := Release{URL: p.URL, Client: o.Client}.Latest(ctx)
		if err != nil {
			return nil, err
		}
		p.Available, p.UpToDate = v, v == cur.Version
	}
	p.Steps = p.describeSteps(o)
	return p, nil
}

func (o Options) releaseURL() string {
	if o.URL == "" {
		return DefaultURL
	}
	return o.URL
}

// pickMethod resolves auto: git when a checkout is configured or
// recorded and exists, else release.
func pickMethod(o Options, cur BinaryInfo) (method, source, note string, err error) {
	source = o.Source
	if source == "" {
		source = cur.Source
	}
	switch o.Method {
	case MethodGit:
		if source == "" {
			return "", "", "", errors.New("update.method is git but no checkout is known: set update.source to the hermes checkout")
		}
		return MethodGit, source, "", nil
	case MethodRelease:
		return MethodRelease, "", "", nil
	case "", MethodAuto:
	default:
		return "", "", "", fmt.Errorf("update.method %q: use auto, git or release", o.Method)
	}
	if source == "" {
		return MethodRelease, "", "", nil
	}
	if _, err := os.Stat(filepath.Join(source, "cmd", "hermes")); err == nil {
		return MethodGit, source, "", nil
	}
	if o.Source != "" {
		return "", "", "", fmt.Errorf("update.source %s is not a hermes checkout (no cmd/hermes)", o.Source)
	}
	return MethodRelease, "", fmt.Sprintf("the checkout this binary was built from (%s) is gone: updating from releases", source), nil
}

func (p *Plan) describeSteps(o Options) []string {
	var s []string
	if !o.NoBackup {
		s = append(s, fmt.Sprintf("back up the home (hermes backup --keep %d)", KeepBackups))
	}
	if p.Method == MethodGit {
		if p.Target.Commit != p.Target.Head {
			s = append(s, fmt.Sprintf("fast-forward %s to %s (%d commit(s))", p.Source, p.Target.Upstream, p.Target.Behind))
		}
		s = append(s, "build "+short(p.Target.Commit)+" with go build (CGO_ENABLED=0)")
	} else {
		s = append(s, fmt.Sprintf("download %s %s from %s and verify its SHA-256", AssetName(), p.Available, p.URL))
	}
	s = append(s, "test the new binary: hermes version, hermes doctor --json",
		fmt.Sprintf("install it as %s, keeping the current one as %s", p.Binary, Prev(p.Binary)))
	if p.Gateway {
		s = append(s, "restart the running gateway on the new binary and check it is healthy (else roll back)")
	}
	return append(s, "run hermes doctor")
}

func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}

// GatewayRunning reports whether a process holds the gateway lock of the
// profile folder dir.
func GatewayRunning(dir string) bool {
	path := filepath.Join(dir, "gateway.pid")
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return false
	}
	l, err := fileutil.LockFile(context.Background(), path, fileutil.LockOptions{})
	if err != nil {
		return true
	}
	l.Unlock()
	return false
}

// Result is what an update did.
type Result struct {
	From, To        BinaryInfo
	Backup          *BackupResult
	GatewayPID      int // the restarted gateway's pid; 0 when none ran
	DoctorFailures  int // failures reported by the doctor after the update
	DoctorWarnings  int
	PreviousBinary  string
	AlreadyUpToDate bool
}

// RolledBack is the error of an update that installed the new binary,
// saw it fail, and restored the previous one.
type RolledBack struct {
	Cause    error // what failed
	Rollback error // nil when the rollback itself succeeded
}

func (e *RolledBack) Error() string {
	if e.Rollback != nil {
		return fmt.Sprintf("update failed (%v) and the rollback failed too: %v", e.Cause, e.Rollback)
	}
	return fmt.Sprintf("update failed and was rolled back to the previous binary: %v", e.Cause)
}

func (e *RolledBack) Unwrap() error { return e.Cause }
