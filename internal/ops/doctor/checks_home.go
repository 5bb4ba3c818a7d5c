package doctor

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the driver of the read-only quick_check

	"github.com/hermes-go/hermes/internal/contextfiles"
	"github.com/hermes-go/hermes/internal/home"
	"github.com/hermes-go/hermes/internal/memory"
	"github.com/hermes-go/hermes/internal/ops/backup"
	"github.com/hermes-go/hermes/internal/skills"
	"github.com/hermes-go/hermes/internal/version"
)

// layoutDirs are the folders every home has (home.Home.Ensure makes them).
var layoutDirs = []string{home.MemoriesDir, home.SkillsDir, home.CronDir, home.CronDir + "/output", home.LogsDir, home.CacheDir, home.SandboxesDir, "platforms", home.PairingDir}

// secretFiles must be the owner's alone.
var secretFiles = []string{home.EnvFile, home.AuthFile, home.StateDB}

func checkVersion(context.Context) []Result {
	return []Result{{Name: "version", Status: OK, Message: fmt.Sprintf("hermes %s (%s, %s/%s)", version.String(), runtime.Version(), runtime.GOOS, runtime.GOARCH)}}
}

// checkLayout: the home exists with its folders, and nobody else can read
// it or its secrets.
func (t *target) checkLayout(context.Context) []Result {
	name := t.name("home")
	h := t.h
	fi, err := os.Stat(h.Dir)
	if isNotExist(err) {
		return []Result{{Name: name, Status: Fail, Message: h.Dir + " does not exist", Fix: "run `hermes doctor --fix` (or any hermes command) to create it"}}
	}
	if err != nil {
		return []Result{{Name: name, Status: Fail, Message: err.Error(), Fix: "make " + h.Dir + " readable by you"}}
	}
	if !fi.IsDir() {
		return []Result{{Name: name, Status: Fail, Message: h.Dir + " is not a folder", Fix: "move it aside; hermes makes a new home"}}
	}
	var rows []Result
	var missing []string
	for _, d := range layoutDirs {
		if !exists(h.Path(d)) {
			missing = append(missing, d)
		}
	}
	if len(missing) > 0 {
		rows = append(rows, Result{Name: name, Status: Warn, Message: "missing folders: " + strings.Join(missing, ", "), Fix: "run `hermes doctor --fix`"})
	}
	for _, d := range homeDirs(h) {
		if fi, err := os.Stat(d); err == nil && fi.Mode().Perm()&0o077 != 0 {
			rows = append(rows, Result{Name: name, Status: Fail, Message: fmt.Sprintf("%s is open to others (mode %04o); it holds your sessions and keys", d, fi.Mode().Perm()),
				Fix: "run `hermes doctor --fix` (chmod 700 " + d + ")"})
		}
	}
	for _, f := range secretFiles {
		p := h.Path(f)
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm()&0o077 == 0 {
			continue
		}
		rows = append(rows, Result{Name: name, Status: Fail, Message: fmt.Sprintf("%s is readable by others (mode %04o)", f, fi.Mode().Perm()),
			Fix: "run `hermes doctor --fix` (chmod 600 " + p + ")"})
	}
	if len(rows) == 0 {
		rows = append(rows, Result{Name: name, Status: OK, Message: h.Dir + " is private and complete"})
	}
	return rows
}

// homeDirs are the folders whose mode guards the home: the root and the
// profile's own.
func homeDirs(h *home.Home) []string {
	if h.Dir == h.Root {
		return []string{h.Root}
	}
	return []string{h.Root, h.Dir}
}

// checkBackup: a backup was taken in the last 30 days.
func (t *target) checkBackup(context.Context) []Result {
	name := t.name("backup")
	r, err := backup.ReadRecord(t.h)
	switch {
	case errors.Is(err, backup.ErrNoRecord):
		return []Result{{Name: name, Status: Warn, Message: "no backup recorded", Fix: "run `hermes backup`"}}
	case err != nil:
		return []Result{{Name: name, Status: Warn, Message: err.Error(), Fix: "run `hermes backup`"}}
	}
	age := t.o.now().Sub(r.Time)
	days := int(age.Hours() / 24)
	if age > 30*24*time.Hour {
		return []Result{{Name: name, Status: Warn, Message: fmt.Sprintf("the last backup is %d days old (%s)", days, r.Time.Format("2006-01-02")), Fix: "run `hermes backup`"}}
	}
	return []Result{{Name: name, Status: OK, Message: fmt.Sprintf("last backup %s (%d day(s) ago)", r.Time.Format("2006-01-02 15:04"), days)}}
}

// checkState: PRAGMA quick_check of state.db, opened read-only; a
// missing database is not created.
func (t *target) checkState(ctx context.Context) []Result {
	name := t.name("state.db")
	path := t.h.Path(home.StateDB)
	if _, err := os.Stat(path); err != nil {
		if isNotExist(err) {
			return []Result{{Name: name, Status: OK, Message: "not created yet (the first session creates it)"}}
		}
		return []Result{{Name: name, Status: Fail, Message: err.Error(), Fix: "make state.db readable by you"}}
	}
	msg, err := quickCheck(ctx, path)
	if err != nil {
		return []Result{{Name: name, Status: Fail, Message: "cannot read it: " + err.Error(), Fix: "restore state.db from a backup with `hermes import`"}}
	}
	if msg != "ok" {
		return []Result{{Name: name, Status: Fail, Message: "quick_check: " + msg, Fix: "stop the gateway and restore state.db from a backup with `hermes import`"}}
	}
	return []Result{{Name: name, Status: OK, Message: "quick_check ok"}}
}

func quickCheck(ctx context.Context, path string) (string, error) {
	u := url.URL{Scheme: "file", Path: path, RawQuery: "mode=ro&_pragma=busy_timeout(2000)"}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		return "", err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, "PRAGMA quick_check")
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var lines []string
	for rows.Next() && len(lines) < 3 {
		var s string
		if err := rows.Scan(&s); err != nil {
			return "", err
		}
		lines = append(lines, s)
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	return strings.Join(lines, "; "), nil
}

// checkMemory: MEMORY.md and USER.md are under 90% of their limits and
// pass the injection scan.
func (t *target) checkMemory(context.Context) []Result {
	name := t.name("memory")
	if t.cfg == nil {
		return nil
	}
	st := memory.Open(t.h.Dir, t.cfg.Memory)
	var rows []Result
	var usage []string
	for _, tg := range []memory.Target{memory.Memory, memory.User} {
		s, err := st.Read(tg)
		if err != nil {
			rows = append(rows, Result{Name: name, Status: Fail, Message: err.Error(), Fix: "make memories/ readable by you"})
			continue
		}
		usage = append(usage, tg.File()+" "+s.Usage())
		if s.Limit > 0 && s.Used*10 >= s.Limit*9 {
			rows = append(rows, Result{Name: name, Status: Warn, Message: fmt.Sprintf("%s is near its limit (%s): the oldest entries will be archived", tg.File(), s.Usage()),
				Fix: "review it with `hermes memory edit` (or raise memory." + limitKey(tg) + ")"})
		}
		if ids := scanEntries(s.Entries); len(ids) > 0 {
			flag := ""
			if tg == memory.User {
				flag = " --user"
			}
			rows = append(rows, Result{Name: name, Status: Warn, Message: fmt.Sprintf("%s has entries the injection scan blocks (%s); they never reach the prompt", tg.File(), strings.Join(ids, ", ")),
				Fix: "review them with `hermes memory edit" + flag + "`"})
		}
	}
	if len(rows) == 0 {
		rows = append(rows, Result{Name: name, Status: OK, Message: strings.Join(usage, ", ")})
	}
	return rows
}

func limitKey(t memory.Target) string {
	if t == memory.User {
		return "user_char_limit"
	}
	return "memory_char_limit"
}

// scanEntries returns the finding ids of the entries, each alone and all
// together (as memory.Checked scans them when they are loaded).
func scanEntries(entries []string) []string {
	seen := map[string]bool{}
	var ids []string
	add := func(fs []contextfiles.Finding) {
		for _, id := range contextfiles.IDs(fs) {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	for _, e := range entries {
		add(contextfiles.ScanText(e))
	}
	if len(ids) == 0 && len(entries) > 1 {
		add(contextfiles.ScanText(memory.Format(entries)))
	}
	sort.Strings(ids)
	return ids
}

// checkSkills: every SKILL.md parses and passes the scan.
func (t *target) checkSkills(context.Context) []Result {
	name := t.name("skills")
	if t.cfg == nil {
		return nil
	}
	set, probs := skills.Load(t.h.Dir, t.cfg.Skills)
	var rows []Result
	for _, p := range probs {
		rows = append(rows, Result{Name: name, Status: Warn, Message: p.String(), Fix: "fix the file, or remove the skill with `hermes skills remove`"})
	}
	for _, s := range set.All() {
		if len(s.Blocked) > 0 && !s.Disabled {
			rows = append(rows, Result{Name: name, Status: Warn, Message: fmt.Sprintf("skill %s is blocked by the injection scan (%s)", s.Name, strings.Join(s.Blocked, ", ")),
				Fix: "review " + filepath.Join(s.Dir, skills.SkillFile) + "; remove it or add it to skills.disabled"})
		}
	}
	if len(rows) == 0 {
		rows = append(rows, Result{Name: name, Status: OK, Message: fmt.Sprintf("%d skill(s), %d offered", len(set.All()), len(set.Available()))})
	}
	return rows
}

// checkSoul: SOUL.md passes the injection scan.
func (t *target) checkSoul(context.Context) []Result {
	name := t.name("SOUL.md")
	p := t.h.Path(home.SoulFile)
	if !exists(p) {
		return []Result{{Name: name, Status: OK, Message: "none (the default persona)"}}
	}
	rep, err := contextfiles.ScanPaths([]string{p}, contextfiles.Options{})
	if err != nil {
		return []Result{{Name: name, Status: Fail, Message: err.Error(), Fix: "make SOUL.md readable by you"}}
	}
	for _, f := range rep.Files {
		if f.Blocked {
			return []Result{{Name: name, Status: Warn, Message: "blocked by the injection scan (" + strings.Join(f.IDs, ", ") + "); the persona is not loaded",
				Fix: "review " + p + " (`hermes context scan " + p + "` shows the lines)"}}
		}
	}
	return []Result{{Name: name, Status: OK, Message: "passes the injection scan"}}
}
