package migrate

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/cron"
	"github.com/hermes-go/hermes/internal/fileutil"
)

// bundle is what a source reader found, in our terms.
type bundle struct {
	items    []Item // decided while reading: no equivalent, unreadable, ...
	config   []configValue
	env      []envValue
	auth     []authKey
	files    []fileCopy
	skills   []fileCopy // directories
	cron     []cronJob
	sessions []srcSession
	pairing  []grant
	tmp      string   // a private copy of the source's databases
	closers  []func() // what the lazy session loads hold open
}

func (b *bundle) cleanup() {
	for _, c := range b.closers {
		c()
	}
	if b.tmp != "" {
		os.RemoveAll(b.tmp)
	}
}

func (b *bundle) note(kind, name string, st Status, reason, where string) {
	b.items = append(b.items, Item{Kind: kind, Name: name, Status: st, Reason: reason, Where: where})
}

// configValue is one source key mapped onto one of ours.
type configValue struct {
	Src, Where, Key, Value string
}

// envValue is a variable for our .env; Value is never printed.
type envValue struct {
	Name, Src, Where, Value string
}

// authKey is an API key for one of our credential pools.
type authKey struct {
	Provider, Label, Key, Where string
}

// fileCopy is a file (or, for skills, a directory) to bring over.
type fileCopy struct {
	Kind, Name, Src, Dst string // Dst relative to our home
}

// cronJob is a converted job.
type cronJob struct {
	Job         cron.Job
	Where, Note string
}

// grant is an approved user of a platform.
type grant struct {
	Platform, User, Name, Where string
	At                          int64 // unix seconds; 0 unknown
}

// action is a planned change: its report item, the files it replaces
// (backed up first) and how to make it.
type action struct {
	idx    int // into rep.Items
	backup []string
	apply  func() error
}

type planner struct {
	o       Options
	rep     *Report
	dest    *dest
	actions []action
	cfgKVs  []config.KeyValue
	cfgIdx  []int
	envAdd  []envValue
	envIdx  []int
}

func (p *planner) close() { p.dest.close() }

// add records an item; a would-import item with an apply becomes an action.
func (p *planner) add(it Item, backup []string, apply func() error) {
	if it.Status == Imported {
		it.Status = WouldImport
	}
	p.rep.Items = append(p.rep.Items, it)
	if it.Status == WouldImport && apply != nil {
		p.actions = append(p.actions, action{idx: len(p.rep.Items) - 1, backup: backup, apply: apply})
	}
}

func (p *planner) plan(ctx context.Context, b *bundle) error {
	p.rep.Items = append(p.rep.Items, b.items...)
	steps := []func(*bundle) error{p.planConfig, p.planEnv, p.planAuth, p.planFiles, p.planSkills, p.planCron, p.planPairing}
	for _, s := range steps {
		if err := s(b); err != nil {
			return err
		}
	}
	return p.planSessions(ctx, b)
}

// conflict is the item for destination content that differs.
func (p *planner) conflict(it Item, what string) (Item, bool) {
	if p.o.Force {
		it.Status, it.Reason = Imported, what+" differs from ours: replaced (--force; the old one is in the backup)"
		return it, true
	}
	it.Status, it.Reason = Skipped, what+" differs from ours: kept ours; rerun with --force to replace it"
	return it, false
}

func (p *planner) planFiles(b *bundle) error {
	for _, f := range b.files {
		it := Item{Kind: f.Kind, Name: f.Name, Where: f.Src, Target: f.Dst}
		src, err := os.ReadFile(f.Src)
		if err != nil {
			it.Status, it.Reason = Failed, "cannot read: "+err.Error()
			p.add(it, nil, nil)
			continue
		}
		dst := p.o.Home.Path(f.Dst)
		cur, err := os.ReadFile(dst)
		switch {
		case err != nil && !os.IsNotExist(err):
			it.Status, it.Reason = Failed, "cannot read ours: "+err.Error()
		case err == nil && bytes.Equal(cur, src):
			it.Status, it.Reason = Skipped, "already there"
		case err == nil && len(bytes.TrimSpace(cur)) == 0:
			it.Status = Imported
		case err == nil:
			var ok bool
			if it, ok = p.conflict(it, f.Dst); !ok {
				p.add(it, nil, nil)
				continue
			}
		default:
			it.Status = Imported
		}
		p.add(it, []string{dst}, func() error { return writeFile(dst, src) })
	}
	return nil
}

func writeFile(dst string, data []byte) error {
	if err := fileutil.EnsureDir(filepath.Dir(dst), fileutil.PrivateDir); err != nil {
		return err
	}
	return fileutil.WriteFile(dst, data, 0o600)
}

// planSkills copies skill directories; one that exists and differs is a
// conflict as a whole.
func (p *planner) planSkills(b *bundle) error {
	for _, s := range b.skills {
		it := Item{Kind: "skill", Name: s.Name, Where: s.Src, Target: s.Dst}
		files, err := listTree(s.Src)
		if err != nil {
			it.Status, it.Reason = Failed, err.Error()
			p.add(it, nil, nil)
			continue
		}
		dstDir := p.o.Home.Path(s.Dst)
		same, exists := treeSame(s.Src, dstDir, files)
		var backup []string
		switch {
		case same:
			it.Status, it.Reason = Skipped, "already there"
		case !exists:
			it.Status = Imported
		default:
			var ok bool
			if it, ok = p.conflict(it, s.Dst); !ok {
				p.add(it, nil, nil)
				continue
			}
		}
		for _, f := range files {
			backup = append(backup, filepath.Join(dstDir, f))
		}
		src := s.Src
		p.add(it, backup, func() error {
			for _, f := range files {
				data, err := os.ReadFile(filepath.Join(src, f))
				if err != nil {
					return err
				}
				if err := writeFile(filepath.Join(dstDir, f), data); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return nil
}

// listTree lists the regular files under dir, relative, sorted; links
// and other special files are refused (a skill never needs them, and a
// link could reach outside the source).
func listTree(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s is a link or special file: copy the skill by hand", path)
		}
		rel, _ := filepath.Rel(dir, path)
		out = append(out, rel)
		return nil
	})
	sort.Strings(out)
	return out, err
}

func treeSame(src, dst string, files []string) (same, exists bool) {
	if _, err := os.Stat(dst); err != nil {
		return false, false
	}
	for _, f := range files {
		a, err1 := os.ReadFile(filepath.Join(src, f))
		b, err2 := os.ReadFile(filepath.Join(dst, f))
		if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
			return false, true
		}
	}
	return true, true
}

// apply backs up what will be replaced, then makes every change; a
// change that fails is reported and the others still run.
func (p *planner) apply(ctx context.Context) {
	if len(p.actions) == 0 && len(p.cfgKVs) == 0 && len(p.envAdd) == 0 {
		return
	}
	if err := p.backup(); err != nil {
		for _, a := range p.actions {
			p.fail(a.idx, "not done: the backup failed: "+err.Error())
		}
		for _, i := range append(append([]int{}, p.cfgIdx...), p.envIdx...) {
			p.fail(i, "not done: the backup failed: "+err.Error())
		}
		return
	}
	p.applyConfig()
	p.applyEnv()
	for _, a := range p.actions {
		if err := ctx.Err(); err != nil {
			p.fail(a.idx, "interrupted")
			continue
		}
		if err := a.apply(); err != nil {
			p.fail(a.idx, err.Error())
			continue
		}
		p.rep.Items[a.idx].Status = Imported
	}
}

func (p *planner) fail(i int, why string) {
	p.rep.Items[i].Status = Failed
	p.rep.Items[i].Reason = strings.TrimSpace(p.rep.Items[i].Reason + " " + why)
}
