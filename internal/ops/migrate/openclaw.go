package migrate

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/hermes-go/hermes/internal/cron"
	"github.com/hermes-go/hermes/internal/home"
)

// clawRules map openclaw.json onto ours (docs/migrate.md has the table).
var clawRules = compile([]rule{
	{Src: "agents.defaults.model.primary", Dst: "model.default", Conv: clawModel},
	{Src: "agents.defaults.model", Dst: "model.default", Conv: clawModel},
	{Src: "agents.defaults.workspace", Why: "its SOUL.md, USER.md, MEMORY.md and skills are brought over; the folder itself has no equivalent"},
	{Src: "agents.defaults.model.fallbacks", Why: "add fallbacks with hermes fallback add PROVIDER MODEL"},
	{Src: "channels.telegram.enabled", Dst: "platforms.telegram.enabled"},
	{Src: "channels.telegram.botToken", Dst: "env:TELEGRAM_BOT_TOKEN", Conv: secret},
	{Src: "channels.telegram.allowFrom", Dst: "env:TELEGRAM_ALLOWED_USERS", Conv: idList},
	{Src: "channels.telegram.dmPolicy", Dst: "platforms.telegram.unauthorized_dm_behavior", Conv: dmPolicy},
	{Src: "channels.discord.enabled", Dst: "platforms.discord.enabled"},
	{Src: "channels.discord.token", Dst: "env:DISCORD_BOT_TOKEN", Conv: secret},
	{Src: "channels.discord.dm.allowFrom", Dst: "env:DISCORD_ALLOWED_USERS", Conv: idList},
	{Src: "channels.discord.allowFrom", Dst: "env:DISCORD_ALLOWED_USERS", Conv: idList},
	{Src: "channels.discord.dm.policy", Dst: "platforms.discord.unauthorized_dm_behavior", Conv: dmPolicy},
	{Src: "channels.discord.dmPolicy", Dst: "platforms.discord.unauthorized_dm_behavior", Conv: dmPolicy},
	{Src: "channels.slack.enabled", Dst: "platforms.slack.enabled"},
	{Src: "channels.slack.botToken", Dst: "env:SLACK_BOT_TOKEN", Conv: secret},
	{Src: "channels.slack.appToken", Dst: "env:SLACK_APP_TOKEN", Conv: secret},
	{Src: "channels.slack.dm.allowFrom", Dst: "env:SLACK_ALLOWED_USERS", Conv: idList},
	{Src: "channels.slack.allowFrom", Dst: "env:SLACK_ALLOWED_USERS", Conv: idList},
	{Src: "models.providers.*.baseUrl", Dst: "providers.*.base_url"},
	{Src: "models.providers.*.api", Dst: "providers.*.api_mode", Conv: oneOf(map[string]string{
		"openai-completions": "chat_completions", "anthropic-messages": "anthropic_messages", "openai-responses": ""})},
	{Src: "models.providers.*.apiKey", Dst: "providers.*.key_env", Conv: envRef},
	{Src: "env.vars.*", Dst: "env:*", Conv: secret},
	{Src: "env.*", Dst: "env:*", Conv: secret},
	{Src: "cron.enabled", Dst: "cron.enabled"},
	{Src: "meta.*", Why: "the source's own bookkeeping"},
	{Src: "wizard.*", Why: "the source's own bookkeeping"},
})

// clawModel drops a leading provider from "provider/model" when the
// provider is one of ours (it is set separately).
func clawModel(v any) (string, string) {
	s, ok := v.(string)
	if !ok || s == "" {
		return "", "not a model name"
	}
	if p, m, ok := strings.Cut(s, "/"); ok && clawProviders[p] != "" {
		return m, ""
	}
	return s, ""
}

var clawProviders = map[string]string{"anthropic": "anthropic", "openai": "openai", "openrouter": "openrouter", "ollama": "ollama"}

// idList joins a list of ids for an *_ALLOWED_USERS variable.
func idList(v any) (string, string) {
	l, ok := v.([]any)
	if !ok || len(l) == 0 {
		return "", "not a list of ids"
	}
	ids := make([]string, 0, len(l))
	for _, x := range l {
		s := strings.TrimSpace(fmt.Sprint(x))
		if s == "*" {
			return "", "\"*\" lets everyone in: set *_ALLOW_ALL_USERS=true by hand if you mean it"
		}
		if s != "" {
			ids = append(ids, s)
		}
	}
	return strings.Join(ids, ","), ""
}

func dmPolicy(v any) (string, string) {
	switch render(v) {
	case "pairing":
		return "pair", ""
	case "allowlist", "disabled":
		return "ignore", ""
	}
	return "", fmt.Sprintf("dm policy %q has no equivalent (ours: pair or ignore, with allowlists in .env)", render(v))
}

// readOpenClaw reads an OpenClaw home (~/.openclaw).
func readOpenClaw(src string, now time.Time) (*bundle, error) {
	b := &bundle{}
	workspace := filepath.Join(src, "workspace")
	cfgPath := filepath.Join(src, "openclaw.json")
	if data, err := readSmall(cfgPath); err == nil {
		ls, err := clawLeaves(data)
		if err != nil {
			b.note("config", "openclaw.json", Failed, "cannot parse: "+err.Error(), cfgPath)
		} else {
			mapLeaves(b, cfgPath, ls, clawRules)
			for _, l := range ls {
				switch l.Path {
				case "agents.defaults.model.primary", "agents.defaults.model":
					if s, ok := l.Value.(string); ok {
						if p, _, ok := strings.Cut(s, "/"); ok && clawProviders[p] != "" {
							b.config = append(b.config, configValue{Src: l.Path, Where: fmt.Sprintf("%s:%d", cfgPath, l.Line), Key: "model.provider", Value: clawProviders[p]})
						}
					}
				case "agents.defaults.workspace":
					if s, ok := l.Value.(string); ok && s != "" {
						workspace = rebase(s, src)
					}
				}
			}
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		b.note("config", "openclaw.json", Failed, err.Error(), cfgPath)
	}
	readEnvFile(b, filepath.Join(src, ".env"), map[string]string{"OPENCLAW_GATEWAY_TOKEN": "", "OPENCLAW_GATEWAY_PASSWORD": ""})
	readClawAuth(b, src)
	readClawWorkspace(b, workspace)
	findSkills(b, filepath.Join(src, "skills"), filepath.Join(home.SkillsDir, "openclaw"))
	readClawCron(b, filepath.Join(src, "cron", "jobs.json"), now)
	readClawPairing(b, filepath.Join(src, "credentials"))
	readClawSessions(b, src)
	return b, nil
}

func clawLeaves(data []byte) ([]leaf, error) {
	y, err := json5ToYAML(data)
	if err != nil {
		return nil, err
	}
	return leaves(y)
}

// rebase reads a path from openclaw.json: ~/.openclaw/... is taken inside
// the source (which may have been moved), other ~ paths in the user's home.
func rebase(p, src string) string {
	if rest, ok := strings.CutPrefix(p, "~/.openclaw"); ok {
		return filepath.Join(src, rest)
	}
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if u, err := os.UserHomeDir(); err == nil {
			return filepath.Join(u, rest)
		}
	}
	return p
}

func readClawWorkspace(b *bundle, ws string) {
	for _, f := range []fileCopy{
		{Kind: "soul", Name: "SOUL.md", Src: filepath.Join(ws, "SOUL.md"), Dst: home.SoulFile},
		{Kind: "memory", Name: "MEMORY.md", Src: filepath.Join(ws, "MEMORY.md"), Dst: filepath.Join(home.MemoriesDir, "MEMORY.md")},
		{Kind: "memory", Name: "USER.md", Src: filepath.Join(ws, "USER.md"), Dst: filepath.Join(home.MemoriesDir, "USER.md")},
	} {
		if fi, err := os.Lstat(f.Src); err == nil && fi.Mode().IsRegular() {
			b.files = append(b.files, f)
		} else if err == nil {
			b.note(f.Kind, f.Name, Skipped, "not a regular file (a link?): copy it by hand", f.Src)
		}
	}
	for _, name := range []string{"AGENTS.md", "IDENTITY.md", "TOOLS.md", "HEARTBEAT.md", "BOOTSTRAP.md"} {
		if _, err := os.Lstat(filepath.Join(ws, name)); err == nil {
			b.note("file", name, NoEquivalent, "no hermes file plays this part: merge what you need into SOUL.md or a project's AGENTS.md", filepath.Join(ws, name))
		}
	}
	if days, _ := filepath.Glob(filepath.Join(ws, "memory", "*.md")); len(days) > 0 {
		b.note("memory", "memory/*.md", NoEquivalent, fmt.Sprintf("%d daily notes: hermes keeps one MEMORY.md; merge what matters into it", len(days)), filepath.Join(ws, "memory"))
	}
	findSkills(b, filepath.Join(ws, "skills"), filepath.Join(home.SkillsDir, "openclaw"))
}

// readClawAuth reads agents/<id>/agent/auth-profiles.json.
func readClawAuth(b *bundle, src string) {
	paths, _ := filepath.Glob(filepath.Join(src, "agents", "*", "agent", "auth-profiles.json"))
	sort.Strings(paths)
	for _, path := range paths {
		data, err := readSmall(path)
		var f struct {
			Profiles map[string]struct {
				Type     string `json:"type"`
				Provider string `json:"provider"`
				Key      string `json:"key"`
			} `json:"profiles"`
		}
		if err == nil {
			err = json.Unmarshal(data, &f)
		}
		if err != nil {
			b.note("auth", "auth-profiles.json", Failed, "cannot read: "+err.Error(), path)
			continue
		}
		ids := make([]string, 0, len(f.Profiles))
		for id := range f.Profiles {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			pr := f.Profiles[id]
			where := path + ": profiles." + id
			prov := strings.ToLower(pr.Provider)
			if prov == "" {
				prov, _, _ = strings.Cut(id, ":")
			}
			_, label, _ := strings.Cut(id, ":")
			switch {
			case pr.Type != "api_key":
				b.note("auth", id, NoEquivalent, pr.Type+" credentials cannot be moved: add an API key with hermes auth add", where)
			case strings.TrimSpace(pr.Key) == "":
				b.note("auth", id, Skipped, "no key", where)
			case !validProvider(prov):
				b.note("auth", id, NoEquivalent, "provider name "+prov+" is not one of ours", where)
			default:
				b.auth = append(b.auth, authKey{Provider: prov, Label: cleanLabel(label), Key: strings.TrimSpace(pr.Key), Where: where})
			}
		}
	}
}

// clawJob is a job of OpenClaw's cron/jobs.json.
type clawJob struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Enabled  *bool  `json:"enabled"`
	Schedule struct {
		Kind    string  `json:"kind"`
		At      string  `json:"at"`
		EveryMs float64 `json:"everyMs"`
		Expr    string  `json:"expr"`
		TZ      string  `json:"tz"`
	} `json:"schedule"`
	Payload struct {
		Kind    string `json:"kind"`
		Message string `json:"message"`
		Text    string `json:"text"`
		Model   string `json:"model"`
	} `json:"payload"`
	Delivery *struct {
		Mode    string `json:"mode"`
		Channel string `json:"channel"`
		To      string `json:"to"`
	} `json:"delivery"`
	CreatedAtMs float64 `json:"createdAtMs"`
}

func readClawCron(b *bundle, path string, now time.Time) {
	for i, raw := range readJobList(b, path) {
		where := fmt.Sprintf("%s: jobs[%d]", path, i)
		var cj clawJob
		if err := json.Unmarshal(raw, &cj); err != nil {
			b.note("cron", fmt.Sprintf("jobs[%d]", i), NoEquivalent, "not a job: "+err.Error(), where)
			continue
		}
		j, note, why := convertClawJob(cj, now)
		if why != "" {
			b.note("cron", orDash(cj.Name), NoEquivalent, why, where)
			continue
		}
		b.cron = append(b.cron, cronJob{Job: j, Where: where, Note: note})
	}
}

// convertClawJob returns our job and a note for the report, or why the
// job cannot come over.
func convertClawJob(cj clawJob, now time.Time) (cron.Job, string, string) {
	if cj.Payload.Kind != "agentTurn" || strings.TrimSpace(cj.Payload.Message) == "" {
		return cron.Job{}, "", fmt.Sprintf("payload %q (a main-session event) has no equivalent: hermes jobs run an agent turn", cj.Payload.Kind)
	}
	var in string
	switch cj.Schedule.Kind {
	case "every":
		if cj.Schedule.EveryMs < 60000 {
			return cron.Job{}, "", fmt.Sprintf("every %vms: the shortest interval is 1m", cj.Schedule.EveryMs)
		}
		in = fmt.Sprintf("every %dm", int64(math.Round(cj.Schedule.EveryMs/60000)))
	case "cron":
		in = cj.Schedule.Expr
	case "at":
		in = cj.Schedule.At
	default:
		return cron.Job{}, "", fmt.Sprintf("schedule kind %q is not one we know", cj.Schedule.Kind)
	}
	sched, err := cron.Parse(in, time.Local, now)
	if err != nil {
		return cron.Job{}, "", "schedule: " + oneLine(err.Error())
	}
	j := cron.Job{ID: keepID(cj.ID), Name: orDash(strings.TrimSpace(cj.Name)), Prompt: cj.Payload.Message, Schedule: sched,
		Enabled: cj.Enabled == nil || *cj.Enabled, State: cron.StateScheduled, CreatedAt: now.UTC(), Deliver: "local"}
	if cj.CreatedAtMs > 0 {
		j.CreatedAt = time.UnixMilli(int64(cj.CreatedAtMs)).UTC()
	}
	if m := cj.Payload.Model; m != "" {
		if p, rest, ok := strings.Cut(m, "/"); ok && clawProviders[p] != "" {
			j.Provider, j.Model = clawProviders[p], rest
		} else {
			j.Model = m
		}
	}
	if d := cj.Delivery; d != nil {
		switch {
		case d.Mode == "none" || d.Mode == "":
		case d.Mode == "webhook":
			j.Deliver = "webhook:" + d.To
		case d.Channel == "" || d.Channel == "last":
			return cron.Job{}, "", "announces to the last chat used, which is not recorded: create it with hermes cron create --deliver PLATFORM:CHAT"
		case d.To == "":
			j.Deliver = strings.ToLower(d.Channel)
		default:
			j.Deliver = strings.ToLower(d.Channel) + ":" + d.To
		}
	}
	if err := cron.ValidTarget(j.Deliver); err != nil {
		return cron.Job{}, "", "delivery target: " + err.Error()
	}
	note := ""
	if cj.Schedule.TZ != "" && cj.Schedule.Kind == "cron" {
		if loc, err := time.LoadLocation(cj.Schedule.TZ); err != nil || loc.String() != time.Local.String() {
			note = "its zone was " + cj.Schedule.TZ + ": hermes reads cron expressions in cron.timezone"
		}
	}
	if !j.Enabled {
		j.State = cron.StatePaused
		at := now.UTC()
		j.PausedAt, j.PausedReason = &at, "disabled in the source"
	} else if next, ok := sched.Next(now, time.Local); ok {
		j.NextRunAt = &next
	} else {
		return cron.Job{}, "", "a one-shot whose time (" + sched.Display + ") has passed"
	}
	return j, note, ""
}

// readClawPairing reads credentials/<channel>-allowFrom.json.
func readClawPairing(b *bundle, dir string) {
	paths, _ := filepath.Glob(filepath.Join(dir, "*-allowFrom.json"))
	sort.Strings(paths)
	for _, path := range paths {
		platform := strings.TrimSuffix(filepath.Base(path), "-allowFrom.json")
		data, err := readSmall(path)
		var f struct {
			AllowFrom []any `json:"allowFrom"`
		}
		if err == nil {
			err = json.Unmarshal(data, &f)
		}
		if err != nil {
			b.note("pairing", platform, Failed, "cannot read: "+err.Error(), path)
			continue
		}
		for _, u := range f.AllowFrom {
			user := strings.TrimSpace(fmt.Sprint(u))
			if user == "" || user == "*" {
				continue
			}
			addGrant(b, platform, user, "", 0, path)
		}
	}
}
