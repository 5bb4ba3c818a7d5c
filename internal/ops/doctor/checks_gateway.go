package doctor

import (
	"context"
	"fmt"
	"slices"
	"sort"
)

// services are the messaging entries served by the gateway's listener,
// not connected as adapters.
var services = []string{"api_server", "webhooks"}

// checkGateway: with a messaging platform enabled, the gateway runs; a
// pid file naming a dead process is reported either way.
func (t *target) checkGateway(context.Context) []Result {
	name := t.name("gateway")
	if t.o.Gateway == nil || t.cfg == nil {
		return nil
	}
	st, err := t.o.Gateway(t.h)
	if err != nil {
		return []Result{{Name: name, Status: Fail, Message: err.Error(), Fix: "see `hermes gateway status`"}}
	}
	var rows []Result
	if st.StalePID != 0 {
		rows = append(rows, Result{Name: name, Status: Warn, Message: fmt.Sprintf("stale gateway.pid (pid %d is gone)", st.StalePID), Fix: "run `hermes doctor --fix`"})
	}
	enabled := messaging(t.cfg)
	switch {
	case st.Running:
		rows = append(rows, Result{Name: name, Status: OK, Message: fmt.Sprintf("running (pid %d)", st.PID)})
	case len(enabled) > 0:
		rows = append(rows, Result{Name: name, Status: Fail, Message: "not running, and " + joinList(enabled) + " enabled: nothing answers there",
			Fix: "run `hermes gateway start`"})
	default:
		rows = append(rows, Result{Name: name, Status: OK, Message: "not running (no messaging platform enabled)"})
	}
	return rows
}

// platformChecks returns one check per platform: every adapter the
// gateway reports, and every chat platform config.yaml enables, so a new
// platform is checked without a check of its own.
func (t *target) platformChecks() []Check {
	if t.o.Gateway == nil || t.cfg == nil {
		return nil
	}
	st, err := t.o.Gateway(t.h)
	if err != nil || !st.Running {
		return nil // checkGateway reports it
	}
	names := map[string]bool{}
	for n := range st.Platforms {
		names[n] = true
	}
	for _, n := range messaging(t.cfg) {
		if !slices.Contains(services, n) {
			names[n] = true
		}
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	var out []Check
	for _, n := range sorted {
		a, reported := st.Platforms[n]
		out = append(out, Func{CheckName: t.name("platform " + n), Fn: func(context.Context) []Result {
			switch {
			case !reported:
				return []Result{{Status: Fail, Message: "enabled in config.yaml but the running gateway has no " + n + " adapter",
					Fix: "restart the gateway (`hermes gateway restart`) to pick up config changes"}}
			case !a.Connected:
				msg := "disconnected"
				if a.Error != "" {
					msg += ": " + a.Error
				}
				return []Result{{Status: Fail, Message: msg, Fix: "check its token in .env and the gateway log (`hermes gateway status`)"}}
			}
			return []Result{{Status: OK, Message: "connected"}}
		}})
	}
	return out
}

func joinList(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0] + " is"
	}
	return fmt.Sprintf("%s and %s are", joinComma(s[:len(s)-1]), s[len(s)-1])
}

func joinComma(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ", "
		}
		out += x
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
