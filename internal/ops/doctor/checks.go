package doctor

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/hermes-go/hermes/internal/home"
)

// Checks returns every check of h (the active profile) and of each other
// profile of its root, whose rows are prefixed with the profile's name.
func Checks(h *home.Home, o Options) []Check {
	out := []Check{Func{CheckName: "version", Fn: checkVersion}}
	out = append(out, loadTarget(h, "", o).checks()...)
	out = append(out, Func{CheckName: "profiles", Fn: func(context.Context) []Result { return checkProfiles(h) }})
	list, err := home.List(h.Root)
	if err != nil {
		return out // checkProfiles reports it
	}
	for _, p := range list {
		if p.Name == h.Profile {
			continue
		}
		ph := &home.Home{Root: h.Root, Profile: p.Name, Dir: p.Dir, Source: "doctor"}
		out = append(out, loadTarget(ph, p.Name+": ", o).checks()...)
	}
	return out
}

// StateDeadline bounds PRAGMA quick_check, which reads the whole of
// state.db (a few milliseconds per MB).
const StateDeadline = 20 * time.Second

// checks are one profile's checks.
func (t *target) checks() []Check {
	fn := func(name string, f func(context.Context) []Result) Check { return Func{CheckName: t.name(name), Fn: f} }
	// Checks that read config.yaml run only when it loads: the config row
	// says what is wrong, and they would only guess.
	cfg := func(c Check) []Check {
		if t.cfg == nil {
			return nil
		}
		return []Check{c}
	}
	var out []Check
	for _, cs := range [][]Check{
		{fn("home", t.checkLayout), fn("config", t.checkConfig), fn(".env", t.checkEnv)},
		cfg(fn("keys", t.checkKeys)),
		cfg(fn("fallback", t.checkFallback)),
		cfg(fn("approvals", t.checkApprovals)),
		cfg(fn("redaction", t.checkRedaction)),
		cfg(fn("memory", t.checkMemory)),
		cfg(fn("skills", t.checkSkills)),
		{fn("SOUL.md", t.checkSoul), fn("backup", t.checkBackup)},
		{Func{CheckName: t.name("state.db"), Fn: t.checkState, Timeout: StateDeadline}},
		{fn("cron jobs", t.checkCronJobs), fn("cron scheduler", t.checkScheduler)},
		cfg(fn("terminal", t.checkTerminal)),
		cfg(fn("gateway", t.checkGateway)),
	} {
		out = append(out, cs...)
	}
	if t.cfg != nil && t.o.Toolsets != nil {
		out = append(out, fn("toolsets", t.checkToolsets))
	}
	out = append(out, t.platformChecks()...)
	out = append(out, t.mcpChecks()...)
	out = append(out, t.providerChecks()...)
	return out
}

// checkProfiles: the sticky profile exists and every profile folder is a
// usable home.
func checkProfiles(h *home.Home) []Result {
	list, err := home.List(h.Root)
	if err != nil {
		return []Result{{Status: Fail, Message: err.Error(), Fix: "fix " + h.Root + "/" + home.ActiveProfile + " or run `hermes profile use default`"}}
	}
	var rows []Result
	for _, p := range list[1:] {
		if fi, err := os.Stat(p.Dir); err != nil || !fi.IsDir() {
			rows = append(rows, Result{Status: Fail, Message: fmt.Sprintf("profile %s: %s is not a readable folder", p.Name, p.Dir),
				Fix: "restore it from a backup, or delete it with `hermes profile delete " + p.Name + "`"})
		}
	}
	if len(rows) == 0 {
		rows = append(rows, Result{Status: OK, Message: fmt.Sprintf("%d profile(s); active: %s", len(list), h.Profile)})
	}
	return rows
}
