// Package migrate brings a user's setup over from another agent: the
// Python Hermes Agent (a ~/.hermes home of the same layout) or OpenClaw
// (~/.openclaw). It reads the source home without changing it (databases
// are read from a private copy), plans every item (config keys, .env
// variables, credential pools, SOUL.md, memories, skills, cron jobs,
// sessions and their messages, pairing approvals), and applies the plan to
// the active home after copying what it will overwrite to
// <home>/migrate-backup-<time>/.
//
// Every item ends in the report as imported, skipped (with why: already
// there, differs from ours and --force not given, nothing to bring) or
// no_equivalent (with where the value is, file:line). A second run finds
// everything already there and changes nothing. Values of secrets are
// never printed.
package migrate

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hermes-go/hermes/internal/home"
)

// The sources.
const (
	FromHermes   = "hermes"
	FromOpenClaw = "openclaw"
)

// Status is how an item of the report ended.
type Status string

// The statuses.
const (
	Imported     Status = "imported"
	WouldImport  Status = "would_import" // --dry-run
	Skipped      Status = "skipped"
	NoEquivalent Status = "no_equivalent"
	Failed       Status = "failed"
)

// Item is one line of the report.
type Item struct {
	Kind   string `json:"kind"` // config, env, auth, soul, memory, skill, cron, session, pairing, file
	Name   string `json:"name"`
	Status Status `json:"status"`
	Reason string `json:"reason,omitempty"`
	Where  string `json:"where,omitempty"`  // in the source: file or file:line
	Target string `json:"target,omitempty"` // in our home: key, file or id
}

// Report is what a migration did (or, dry, would do).
type Report struct {
	From      string    `json:"from"`
	Detected  bool      `json:"detected"` // --from was not given
	Source    string    `json:"source"`
	Home      string    `json:"home"`
	DryRun    bool      `json:"dry_run"`
	BackupDir string    `json:"backup_dir,omitempty"`
	Items     []Item    `json:"items"`
	Counts    Counts    `json:"counts"`
	Started   time.Time `json:"started"`
}

// Counts sums the items by status.
type Counts struct {
	Imported     int `json:"imported"`
	WouldImport  int `json:"would_import"`
	Skipped      int `json:"skipped"`
	NoEquivalent int `json:"no_equivalent"`
	Failed       int `json:"failed"`
}

// NothingToDo reports whether the run found nothing to bring over.
func (r *Report) NothingToDo() bool {
	return r.Counts.Imported == 0 && r.Counts.WouldImport == 0 && r.Counts.Failed == 0
}

func (r *Report) count() {
	r.Counts = Counts{}
	for _, it := range r.Items {
		switch it.Status {
		case Imported:
			r.Counts.Imported++
		case WouldImport:
			r.Counts.WouldImport++
		case Skipped:
			r.Counts.Skipped++
		case NoEquivalent:
			r.Counts.NoEquivalent++
		case Failed:
			r.Counts.Failed++
		}
	}
}

// PairingStore is where approvals go: internal/gateway/pairing's Store.
type PairingStore interface {
	IsApproved(platform, user string) (bool, error)
	Grant(platform, user, name string, at time.Time) (bool, error)
}

// Options say what to migrate where.
type Options struct {
	From    string     // FromHermes, FromOpenClaw, or "" to detect
	Source  string     // the source home (see ResolveSource)
	Home    *home.Home // ours
	DryRun  bool
	Force   bool // overwrite differing content (after the backup)
	Pairing PairingStore
	Now     func() time.Time
}

// ErrSameHome is a source that is our own home.
var ErrSameHome = errors.New("the source is the active hermes home")

// ResolveSource picks the source home. An explicit source wins; else
// OpenClaw's is ~/.openclaw, and the Python Hermes Agent's is ~/.hermes,
// which is only usable when our home is elsewhere (HERMES_HOME or a
// profile). With from empty, ~/.hermes is tried before ~/.openclaw.
func ResolveSource(from, source, userHome string, h *home.Home) (string, error) {
	if source != "" {
		abs, err := filepath.Abs(source)
		if err != nil {
			return "", err
		}
		return abs, checkNotOurs(abs, h)
	}
	hermesDir, clawDir := filepath.Join(userHome, ".hermes"), filepath.Join(userHome, ".openclaw")
	switch from {
	case FromOpenClaw:
		return clawDir, nil
	case FromHermes:
		if err := checkNotOurs(hermesDir, h); err != nil {
			return "", fmt.Errorf("%w (%s): give the Python Hermes home as SOURCE, or run with HERMES_HOME set to a new home", err, hermesDir)
		}
		return hermesDir, nil
	}
	if checkNotOurs(hermesDir, h) == nil && isDir(hermesDir) {
		return hermesDir, nil
	}
	if isDir(clawDir) {
		return clawDir, nil
	}
	return "", fmt.Errorf("no source found (%s is our own home or missing, %s is missing): give SOURCE", hermesDir, clawDir)
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// checkNotOurs refuses a source that is, holds or lies inside our home.
func checkNotOurs(src string, h *home.Home) error {
	if h == nil {
		return nil
	}
	a, b := realPath(src), realPath(h.Dir)
	r := realPath(h.Root)
	for _, ours := range []string{b, r} {
		if a == ours || strings.HasPrefix(a, ours+string(filepath.Separator)) || strings.HasPrefix(ours, a+string(filepath.Separator)) {
			return ErrSameHome
		}
	}
	return nil
}

func realPath(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	return filepath.Clean(p)
}

// Detect tells the source's kind from its layout.
func Detect(dir string) (string, error) {
	has := func(p string) bool { _, err := os.Lstat(filepath.Join(dir, p)); return err == nil }
	claw := has("openclaw.json") || (has("workspace") && has("agents"))
	herm := has("config.yaml") || has("state.db") || has("SOUL.md") || has("memories")
	switch {
	case claw && !herm:
		return FromOpenClaw, nil
	case herm && !claw:
		return FromHermes, nil
	case claw && herm:
		return "", fmt.Errorf("%s looks like both an OpenClaw and a Hermes home: say which with --from", dir)
	}
	return "", fmt.Errorf("%s is neither a Hermes home (config.yaml, state.db, SOUL.md, memories/) nor an OpenClaw one (openclaw.json, workspace/): give --from and check the path", dir)
}

// Run plans the migration and, unless DryRun, applies it.
func Run(ctx context.Context, o Options) (*Report, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Home == nil {
		return nil, errors.New("migrate: no destination home")
	}
	fi, err := os.Stat(o.Source)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("source %s does not exist: give the path of the home to migrate from", o.Source)
		}
		return nil, err
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("source %s is not a directory", o.Source)
	}
	if err := checkNotOurs(o.Source, o.Home); err != nil {
		return nil, fmt.Errorf("%w: %s; give another SOURCE", err, o.Source)
	}
	r := &Report{From: o.From, Source: o.Source, Home: o.Home.Dir, DryRun: o.DryRun, Started: o.Now().UTC()}
	if r.From == "" {
		if r.From, err = Detect(o.Source); err != nil {
			return nil, err
		}
		r.Detected = true
	}
	if r.From != FromHermes && r.From != FromOpenClaw {
		return nil, fmt.Errorf("--from %q: want hermes or openclaw", r.From)
	}
	p := &planner{o: o, rep: r, dest: newDest(o.Home)}
	defer p.close()
	var b *bundle
	if r.From == FromHermes {
		b, err = readHermes(o.Source, o.Now())
	} else {
		b, err = readOpenClaw(o.Source, o.Now())
	}
	if err != nil {
		return nil, err
	}
	defer b.cleanup()
	if err := p.plan(ctx, b); err != nil {
		return nil, err
	}
	if !o.DryRun {
		p.apply(ctx)
	}
	r.count()
	return r, nil
}
