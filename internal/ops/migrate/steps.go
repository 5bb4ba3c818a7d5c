package migrate

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/cron"
	"github.com/hermes-go/hermes/internal/fileutil"
	"github.com/hermes-go/hermes/internal/home"
	"github.com/hermes-go/hermes/internal/llm/pool"
)

// planConfig: a key config.yaml does not set is set; one set to the same
// value is already there; one set otherwise is a conflict.
func (p *planner) planConfig(b *bundle) error {
	for _, c := range b.config {
		it := Item{Kind: "config", Name: c.Src, Where: c.Where, Target: c.Key}
		cur, set, err := p.dest.configValue(c.Key)
		switch {
		case err != nil:
			it.Status, it.Reason = Failed, err.Error()
		case set && cur == c.Value:
			it.Status, it.Reason = Skipped, "already set"
		case set:
			var ok bool
			if it, ok = p.conflict(it, c.Key+" ("+cur+")"); !ok {
				break
			}
			fallthrough
		default:
			it.Status = Imported
			p.add(it, nil, nil)
			p.cfgKVs = append(p.cfgKVs, config.KeyValue{Key: c.Key, Value: c.Value})
			p.cfgIdx = append(p.cfgIdx, len(p.rep.Items)-1)
			continue
		}
		p.add(it, nil, nil)
	}
	return nil
}

// applyConfig writes every key in one validated edit; when the whole
// does not validate, each key alone, so one bad value costs only itself.
func (p *planner) applyConfig() {
	if len(p.cfgKVs) == 0 {
		return
	}
	path := p.o.Home.Path(home.ConfigFile)
	if err := config.SetMany(path, p.cfgKVs); err == nil {
		for _, i := range p.cfgIdx {
			p.rep.Items[i].Status = Imported
		}
		return
	}
	for n, kv := range p.cfgKVs {
		i := p.cfgIdx[n]
		if err := config.SetMany(path, []config.KeyValue{kv}); err != nil {
			p.fail(i, "not set: "+oneLine(err.Error()))
			continue
		}
		p.rep.Items[i].Status = Imported
	}
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// planEnv: a variable .env does not set is added; the same value is
// already there; another value is a conflict (values are never shown).
func (p *planner) planEnv(b *bundle) error {
	var env *config.Env
	var envErr error
	if len(b.env) > 0 {
		env, envErr = p.dest.envFile()
	}
	seen := map[string]bool{}
	for _, e := range b.env {
		it := Item{Kind: "env", Name: e.Src, Where: e.Where, Target: e.Name}
		cur, set := env.Lookup(e.Name)
		switch {
		case envErr != nil:
			it.Status, it.Reason = Failed, envErr.Error()
		case seen[e.Name]:
			it.Status, it.Reason = Skipped, "another source variable already maps to "+e.Name
		case set && cur == e.Value:
			it.Status, it.Reason = Skipped, "already set"
		case set && !p.o.Force:
			it.Status, it.Reason = Skipped, ".env sets "+e.Name+" to another value: kept ours; rerun with --force to replace it"
		case set:
			it.Reason = ".env set " + e.Name + " to another value: replaced (--force; the old .env is in the backup)"
			fallthrough
		default:
			it.Status = Imported
			seen[e.Name] = true
			p.add(it, nil, nil)
			p.envAdd = append(p.envAdd, e)
			p.envIdx = append(p.envIdx, len(p.rep.Items)-1)
			continue
		}
		p.add(it, nil, nil)
	}
	return nil
}

// applyEnv appends the new variables to .env (0600) in one atomic write.
func (p *planner) applyEnv() {
	if len(p.envAdd) == 0 {
		return
	}
	path := p.o.Home.Path(home.EnvFile)
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		for _, i := range p.envIdx {
			p.fail(i, err.Error())
		}
		return
	}
	replace := map[string]bool{}
	for _, e := range p.envAdd {
		replace[e.Name] = true
	}
	old = dropAssignments(old, p.dest.env, replace)
	var sb strings.Builder
	sb.Write(old)
	if len(old) > 0 && old[len(old)-1] != '\n' {
		sb.WriteByte('\n')
	}
	sb.WriteString("# brought over by hermes migrate, " + p.rep.Started.Format(time.RFC3339) + "\n")
	for _, e := range p.envAdd {
		sb.WriteString(e.Name + "=" + quoteEnv(e.Value) + "\n")
	}
	if err := fileutil.WriteFile(path, []byte(sb.String()), 0o600); err != nil {
		for _, i := range p.envIdx {
			p.fail(i, err.Error())
		}
		return
	}
	for _, i := range p.envIdx {
		p.rep.Items[i].Status = Imported
	}
}

// dropAssignments removes from .env the lines that assign the names
// being replaced (every repeat, multi-line values whole).
func dropAssignments(data []byte, env *config.Env, names map[string]bool) []byte {
	drop := map[int]bool{}
	for _, e := range env.Entries() {
		if names[e.Name] {
			for l := e.Line; l <= max(e.EndLine, e.Line); l++ {
				drop[l] = true
			}
		}
	}
	if len(drop) == 0 {
		return data
	}
	lines := strings.SplitAfter(string(data), "\n")
	var sb strings.Builder
	for i, l := range lines {
		if !drop[i+1] {
			sb.WriteString(l)
		}
	}
	return []byte(sb.String())
}

// quoteEnv writes a value so that .env reads it back unchanged.
func quoteEnv(v string) string {
	if v != "" && !strings.ContainsAny(v, " \t\"'#$\\\n\r=") {
		return v
	}
	if !strings.ContainsAny(v, "'\n\r") {
		return "'" + v + "'"
	}
	return strconv.Quote(v)
}

// fingerprint is how pools recognise a key: sha256, first 16 hex digits.
func fingerprint(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:8])
}

func (p *planner) planAuth(b *bundle) error {
	if len(b.auth) == 0 {
		return nil
	}
	path := p.o.Home.Path(home.AuthFile)
	ps := pool.Open(path, nil)
	pools, err := ps.Pools()
	for _, k := range b.auth {
		it := Item{Kind: "auth", Name: k.Provider + " " + orDash(k.Label) + " " + pool.Mask(k.Key), Where: k.Where, Target: "auth.json " + k.Provider}
		if err != nil {
			it.Status, it.Reason = Failed, err.Error()
			p.add(it, nil, nil)
			continue
		}
		label := k.Label
		have := false
		for _, e := range pools[k.Provider].Entries {
			if e.Fingerprint == fingerprint(k.Key) {
				have = true
			}
			if label != "" && e.Label == label {
				label = ""
			}
		}
		if have {
			it.Status, it.Reason = Skipped, "already in the pool"
			p.add(it, nil, nil)
			continue
		}
		if label != k.Label {
			it.Reason = "label " + k.Label + " is taken: added without a label"
		}
		it.Status = Imported
		provider, key := k.Provider, k.Key
		p.add(it, []string{path}, func() error {
			_, err := ps.Add(provider, key, label)
			return err
		})
		pools[k.Provider] = pool.Pool{Entries: append(pools[k.Provider].Entries, pool.Entry{Fingerprint: fingerprint(k.Key), Label: label})}
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (p *planner) planCron(b *bundle) error {
	if len(b.cron) == 0 {
		return nil
	}
	js, err := cron.OpenJobs(p.o.Home.Path(home.CronDir))
	if err != nil {
		return err
	}
	existing, err := js.List()
	if err != nil {
		return fmt.Errorf("our cron jobs: %w", err)
	}
	for _, c := range b.cron {
		j := c.Job
		it := Item{Kind: "cron", Name: j.Name, Where: c.Where, Target: "cron job " + j.ID + " (" + j.Schedule.Display + " -> " + j.Deliver + ")"}
		dup := ""
		for _, e := range existing {
			if e.ID == j.ID || (e.Name == j.Name && e.Prompt == j.Prompt && e.Schedule.Expr == j.Schedule.Expr) {
				dup = e.ID
			}
		}
		if dup != "" {
			it.Status, it.Reason = Skipped, "already there (job "+dup+")"
			p.add(it, nil, nil)
			continue
		}
		if err := j.Check(); err != nil {
			it.Status, it.Reason = NoEquivalent, "not convertible: "+err.Error()
			p.add(it, nil, nil)
			continue
		}
		it.Status, it.Reason = Imported, c.Note
		existing = append(existing, j)
		p.add(it, []string{js.Path()}, func() error {
			return js.Update(func(jobs []cron.Job) ([]cron.Job, error) {
				for _, e := range jobs {
					if e.ID == j.ID {
						return jobs, nil
					}
				}
				return append(jobs, j), nil
			})
		})
	}
	return nil
}

func (p *planner) planPairing(b *bundle) error {
	for _, g := range b.pairing {
		it := Item{Kind: "pairing", Name: g.Platform + " " + g.User, Where: g.Where, Target: home.PairingDir + "/" + g.Platform + ".json"}
		if p.o.Pairing == nil {
			it.Status, it.Reason = Skipped, "no pairing store given"
			p.add(it, nil, nil)
			continue
		}
		file := p.o.Home.Path(home.PairingDir, g.Platform+".json")
		ok, err := false, error(nil)
		if _, serr := os.Stat(file); serr == nil || !p.o.DryRun {
			ok, err = p.o.Pairing.IsApproved(g.Platform, g.User) // (it takes a lock file: not in a dry run)
		}
		switch {
		case err != nil:
			it.Status, it.Reason = NoEquivalent, err.Error()
		case ok:
			it.Status, it.Reason = Skipped, "already approved"
		default:
			it.Status = Imported
			g := g
			p.add(it, []string{file}, func() error {
				var at time.Time
				if g.At > 0 {
					at = time.Unix(g.At, 0)
				}
				_, err := p.o.Pairing.Grant(g.Platform, g.User, g.Name, at)
				return err
			})
			continue
		}
		p.add(it, nil, nil)
	}
	return nil
}
