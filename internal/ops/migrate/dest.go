package migrate

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/fileutil"
	"github.com/hermes-go/hermes/internal/home"
	"github.com/hermes-go/hermes/internal/store"
)

// dest is our home as the planner sees it, each part read once.
type dest struct {
	h        *home.Home
	cfg      map[string]any // config.yaml as written (no defaults)
	cfgErr   error
	cfgRead  bool
	env      *config.Env
	envRead  bool
	st       *store.Store
	stErr    error
	stOpened bool
}

func newDest(h *home.Home) *dest { return &dest{h: h} }

func (d *dest) close() {
	if d.st != nil {
		d.st.Close()
	}
}

// configValue returns the value config.yaml sets for a dotted key, as
// text, and whether it sets one.
func (d *dest) configValue(key string) (string, bool, error) {
	if !d.cfgRead {
		d.cfgRead = true
		data, err := os.ReadFile(d.h.Path(home.ConfigFile))
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			d.cfgErr = err
		default:
			if err := yaml.Unmarshal(data, &d.cfg); err != nil {
				d.cfgErr = fmt.Errorf("%s: %w: fix it first (hermes doctor shows where)", d.h.Path(home.ConfigFile), err)
			}
		}
	}
	if d.cfgErr != nil {
		return "", false, d.cfgErr
	}
	var cur any = d.cfg
	for _, seg := range strings.Split(key, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return "", false, nil
		}
		if cur, ok = m[seg]; !ok {
			return "", false, nil
		}
	}
	return render(cur), true, nil
}

// render prints a YAML value the way the mapping tables compare values.
func render(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case map[string]any, []any:
		b, err := yaml.MarshalWithOptions(x, yaml.Flow(true))
		if err != nil {
			return fmt.Sprint(x)
		}
		return strings.TrimSpace(string(b))
	}
	return fmt.Sprint(v)
}

func (d *dest) envFile() (*config.Env, error) {
	if !d.envRead {
		d.envRead = true
		env, probs, err := config.LoadEnv(d.h.Path(home.EnvFile))
		if err != nil {
			return nil, err
		}
		if config.HasErrors(probs) {
			return nil, fmt.Errorf("%s has errors (%s): fix it first", d.h.Path(home.EnvFile), probs[0].String())
		}
		d.env = env
	}
	return d.env, nil
}

// store opens our state.db; nil (and no error) in a dry run when there
// is none yet, so a dry run creates nothing.
func (d *dest) store(dry bool) (*store.Store, error) {
	if !d.stOpened {
		if _, err := os.Stat(d.h.Path(home.StateDB)); dry && errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		d.stOpened = true
		d.st, d.stErr = store.Open(d.h.Path(home.StateDB), nil)
	}
	return d.st, d.stErr
}

// backup copies every existing file the actions will replace to
// <home>/migrate-backup-<time>/ (same relative paths). Sessions are only
// ever added to state.db, never replaced, so it is not copied.
func (p *planner) backup() error {
	seen := map[string]bool{}
	var files []string
	for _, a := range p.actions {
		for _, f := range a.backup {
			if !seen[f] {
				seen[f] = true
				files = append(files, f)
			}
		}
	}
	if len(p.cfgKVs) > 0 {
		files = append(files, p.o.Home.Path(home.ConfigFile))
	}
	if len(p.envAdd) > 0 {
		files = append(files, p.o.Home.Path(home.EnvFile))
	}
	dir := p.o.Home.Path("migrate-backup-" + p.rep.Started.Format("20060102-150405"))
	for n := 2; ; n++ { // never reuse an earlier run's backup
		if _, err := os.Lstat(dir); err != nil {
			break // free (or unreadable: EnsureDir says why)
		}
		dir = p.o.Home.Path(fmt.Sprintf("migrate-backup-%s-%d", p.rep.Started.Format("20060102-150405"), n))
	}
	made := false
	for _, f := range files {
		fi, err := os.Lstat(f)
		if errors.Is(err, os.ErrNotExist) || (err == nil && !fi.Mode().IsRegular()) {
			continue
		}
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(p.o.Home.Dir, f)
		if err != nil || strings.HasPrefix(rel, "..") {
			return fmt.Errorf("backup: %s is outside the home", f)
		}
		if !made {
			if err := fileutil.EnsureDir(dir, fileutil.PrivateDir); err != nil {
				return err
			}
			made = true
		}
		to := filepath.Join(dir, rel)
		if err := fileutil.EnsureDir(filepath.Dir(to), fileutil.PrivateDir); err != nil {
			return err
		}
		if err := copyFile(f, to); err != nil {
			return fmt.Errorf("backup %s: %w", rel, err)
		}
	}
	if made {
		p.rep.BackupDir = dir
	}
	return nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	return fileutil.WriteFileFrom(to, 0o600, func(w io.Writer) error {
		_, err := io.Copy(w, in)
		return err
	})
}
