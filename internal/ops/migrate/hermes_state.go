package migrate

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the driver "sqlite"

	"github.com/hermes-go/hermes/internal/cron"
	"github.com/hermes-go/hermes/internal/llm"
)

// pyJob is a job of the Python agent's cron/jobs.json.
type pyJob struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Prompt   string   `json:"prompt"`
	Script   string   `json:"script"`
	NoAgent  bool     `json:"no_agent"`
	Skills   []string `json:"skills"`
	Model    string   `json:"model"`
	Provider string   `json:"provider"`
	Schedule struct {
		Kind    string  `json:"kind"`
		Minutes float64 `json:"minutes"`
		Expr    string  `json:"expr"`
		RunAt   string  `json:"run_at"`
		Display string  `json:"display"`
	} `json:"schedule"`
	Repeat struct {
		Times     *int `json:"times"`
		Completed int  `json:"completed"`
	} `json:"repeat"`
	Enabled   *bool           `json:"enabled"`
	State     string          `json:"state"`
	Deliver   json.RawMessage `json:"deliver"`
	Origin    *pyOrigin       `json:"origin"`
	CreatedAt string          `json:"created_at"`
}

type pyOrigin struct {
	Platform string `json:"platform"`
	ChatID   any    `json:"chat_id"`
	ThreadID any    `json:"thread_id"`
}

// readJobList returns the raw entries of a {"jobs": [...]} file (both
// sources keep their cron jobs so); nothing when the file is missing, and
// a failed item when it cannot be read.
func readJobList(b *bundle, path string) []json.RawMessage {
	data, err := readSmall(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	var f struct {
		Jobs []json.RawMessage `json:"jobs"`
	}
	if err == nil {
		err = json.Unmarshal(data, &f)
	}
	if err != nil {
		b.note("cron", "jobs.json", Failed, "cannot read: "+err.Error(), path)
		return nil
	}
	return f.Jobs
}

func readHermesCron(b *bundle, path string, now time.Time) {
	for i, raw := range readJobList(b, path) {
		where := fmt.Sprintf("%s: jobs[%d]", path, i)
		var pj pyJob
		if err := json.Unmarshal(raw, &pj); err != nil {
			b.note("cron", fmt.Sprintf("jobs[%d]", i), NoEquivalent, "not a job: "+err.Error(), where)
			continue
		}
		j, why := convertHermesJob(pj, now)
		if why != "" {
			b.note("cron", orDash(pj.Name), NoEquivalent, why, where)
			continue
		}
		b.cron = append(b.cron, cronJob{Job: j, Where: where})
	}
}

// convertHermesJob turns a Python job into ours, or says why it cannot.
func convertHermesJob(pj pyJob, now time.Time) (cron.Job, string) {
	if pj.NoAgent || pj.Script != "" {
		return cron.Job{}, "a script job: copy the script to <home>/scripts and create it with hermes cron create --script"
	}
	if strings.TrimSpace(pj.Prompt) == "" {
		return cron.Job{}, "no prompt"
	}
	if pj.State == "completed" {
		return cron.Job{}, "completed: nothing left to run"
	}
	var in string
	switch pj.Schedule.Kind {
	case "interval":
		if pj.Schedule.Minutes < 1 || pj.Schedule.Minutes > 1e6 {
			return cron.Job{}, fmt.Sprintf("interval of %v minutes: the shortest is 1m", pj.Schedule.Minutes)
		}
		in = fmt.Sprintf("every %dm", int(math.Round(pj.Schedule.Minutes)))
	case "cron":
		in = pj.Schedule.Expr
	case "once":
		in = pj.Schedule.RunAt
	default:
		return cron.Job{}, fmt.Sprintf("schedule kind %q is not one we know", pj.Schedule.Kind)
	}
	sched, err := cron.Parse(in, time.Local, now)
	if err != nil {
		return cron.Job{}, "schedule: " + oneLine(err.Error())
	}
	j := cron.Job{ID: keepID(pj.ID), Name: orDash(strings.TrimSpace(pj.Name)), Prompt: pj.Prompt, Skills: pj.Skills,
		Model: pj.Model, Provider: pj.Provider, Schedule: sched, Enabled: pj.Enabled == nil || *pj.Enabled,
		State: cron.StateScheduled, CreatedAt: now.UTC(), Deliver: "local"}
	if pj.Repeat.Times != nil && *pj.Repeat.Times > 0 {
		j.Repeat = cron.Repeat{Times: *pj.Repeat.Times, Completed: pj.Repeat.Completed}
	}
	if t, err := time.Parse(time.RFC3339, pj.CreatedAt); err == nil {
		j.CreatedAt = t.UTC()
	}
	if pj.Origin != nil && pj.Origin.Platform != "" && pj.Origin.ChatID != nil {
		j.Origin = target(pj.Origin.Platform, fmt.Sprint(pj.Origin.ChatID), pj.Origin.ThreadID)
	}
	if d := deliverOf(pj.Deliver); d != "" {
		j.Deliver = d
	}
	if strings.Contains(j.Deliver, "origin") && j.Origin == "" {
		return cron.Job{}, "delivers to origin, but the job has no origin chat"
	}
	if err := cron.ValidTarget(j.Deliver); err != nil {
		return cron.Job{}, "delivery target: " + err.Error()
	}
	if !j.Enabled || pj.State == "paused" {
		j.Enabled, j.State = false, cron.StatePaused
		at := now.UTC()
		j.PausedAt, j.PausedReason = &at, "paused in the source"
	}
	if next, ok := sched.Next(now, time.Local); ok && j.State == cron.StateScheduled {
		j.NextRunAt = &next
	} else if sched.Kind == cron.KindOnce && j.State == cron.StateScheduled {
		return cron.Job{}, "a one-shot whose time (" + sched.Display + ") has passed"
	}
	return j, ""
}

// deliverOf reads deliver: a string, or a list of targets.
func deliverOf(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.TrimSpace(s)
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return strings.Join(list, ",")
	}
	return ""
}

func target(platform, chat string, thread any) string {
	t := strings.ToLower(platform) + ":" + chat
	if thread != nil && fmt.Sprint(thread) != "" {
		t += ":" + fmt.Sprint(thread)
	}
	return t
}

var reHexID = regexp.MustCompile(`^[0-9a-f]{12}$`)

// keepID keeps the source's id when it is in our form (the Python agent's
// are), else derives one from it, so a second run recognises the job.
func keepID(id string) string {
	if reHexID.MatchString(id) {
		return id
	}
	return fingerprint("job:" + id)[:12]
}

// readHermesPairing reads <platform>-approved.json under platforms/pairing
// (and the older pairing/): {user_id: {user_name, approved_at}}.
func readHermesPairing(b *bundle, src string) {
	seen := map[string]bool{}
	for _, dir := range []string{filepath.Join(src, "platforms", "pairing"), filepath.Join(src, "pairing")} {
		paths, _ := filepath.Glob(filepath.Join(dir, "*-approved.json"))
		sort.Strings(paths)
		for _, path := range paths {
			platform := strings.TrimSuffix(filepath.Base(path), "-approved.json")
			data, err := readSmall(path)
			var m map[string]struct {
				UserName   string  `json:"user_name"`
				ApprovedAt float64 `json:"approved_at"`
			}
			if err == nil {
				err = json.Unmarshal(data, &m)
			}
			if err != nil {
				b.note("pairing", platform, Failed, "cannot read: "+err.Error(), path)
				continue
			}
			users := make([]string, 0, len(m))
			for u := range m {
				users = append(users, u)
			}
			sort.Strings(users)
			for _, u := range users {
				if seen[platform+"\x00"+u] {
					continue
				}
				seen[platform+"\x00"+u] = true
				addGrant(b, platform, u, m[u].UserName, int64(m[u].ApprovedAt), path)
			}
		}
	}
}

func addGrant(b *bundle, platform, user, name string, at int64, where string) {
	platform = strings.ToLower(platform)
	if !validPlatform(platform) {
		b.note("pairing", platform+" "+user, NoEquivalent, "platform name "+platform+" is not one of ours", where)
		return
	}
	b.pairing = append(b.pairing, grant{Platform: platform, User: user, Name: name, At: at, Where: where})
}

var rePlatform = regexp.MustCompile(`^[a-z0-9_-]{1,32}$`)

func validPlatform(p string) bool { return rePlatform.MatchString(p) }

// readHermesState reads sessions and messages from a private copy of the
// source's state.db (its -wal included): the source is never opened, so
// nothing there changes, not even the -shm index.
func readHermesState(b *bundle, path string) error {
	if _, err := os.Lstat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	tmp, err := os.MkdirTemp("", "hermes-migrate-")
	if err != nil {
		return err
	}
	b.tmp = tmp
	cp := filepath.Join(tmp, "state.db")
	for _, suffix := range []string{"", "-wal"} {
		if err := copyPlain(path+suffix, cp+suffix); err != nil && !(suffix != "" && errors.Is(err, os.ErrNotExist)) {
			b.note("session", "state.db", Failed, "cannot copy: "+err.Error(), path)
			return nil
		}
	}
	db, err := sql.Open("sqlite", "file:"+cp+"?_pragma=busy_timeout(5000)")
	if err != nil {
		return err
	}
	if err := readPySessions(b, db, path); err != nil {
		db.Close()
		b.note("session", "state.db", Failed, "cannot read: "+err.Error(), path)
		return nil
	}
	// db stays open for the lazy message loads; cleanup removes the copy
	prev := b.tmp
	b.tmp = ""
	b.closers = append(b.closers, func() { db.Close(); os.RemoveAll(prev) })
	return nil
}

func copyPlain(from, to string) error {
	fi, err := os.Lstat(from)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", from)
	}
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// columns lists a table's columns.
func columns(db *sql.DB, table string) (map[string]bool, error) {
	rows, err := db.Query(`SELECT name FROM pragma_table_info(?)`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		cols[n] = true
	}
	return cols, rows.Err()
}

// col is a column when the table has it, else a constant.
func col(cols map[string]bool, name, fallback string) string {
	if cols[name] {
		return name
	}
	return fallback
}

func readPySessions(b *bundle, db *sql.DB, where string) error {
	sc, err := columns(db, "sessions")
	if err != nil {
		return err
	}
	mc, err := columns(db, "messages")
	if err != nil {
		return err
	}
	for _, need := range []string{"id", "source", "started_at"} {
		if !sc[need] {
			return fmt.Errorf("sessions has no %s column: not a Hermes Agent state.db", need)
		}
	}
	for _, need := range []string{"session_id", "role", "content"} {
		if !mc[need] {
			return fmt.Errorf("messages has no %s column: not a Hermes Agent state.db", need)
		}
	}
	q := fmt.Sprintf(`SELECT id, COALESCE(source,''), COALESCE(%s,''), COALESCE(%s,''), COALESCE(%s,''), started_at,
		COALESCE(%s,0), COALESCE(%s,0), COALESCE(%s,0) FROM sessions ORDER BY started_at, id`,
		col(sc, "title", "''"), col(sc, "model", "''"), col(sc, "parent_session_id", "''"),
		col(sc, "ended_at", "0"), col(sc, "input_tokens", "0"), col(sc, "output_tokens", "0"))
	rows, err := db.Query(q)
	if err != nil {
		return err
	}
	defer rows.Close()
	msgQ := fmt.Sprintf(`SELECT role, COALESCE(content,''), COALESCE(%s,''), COALESCE(%s,'') FROM messages
		WHERE session_id = ? AND %s ORDER BY %s, %s`,
		col(mc, "tool_calls", "''"), col(mc, "tool_call_id", "''"),
		map[bool]string{true: "COALESCE(active,1) = 1", false: "1"}[mc["active"]],
		col(mc, "timestamp", "0"), col(mc, "id", "rowid"))
	for rows.Next() {
		var s srcSession
		var started, ended float64
		if err := rows.Scan(&s.ID, &s.Source, &s.Title, &s.Model, &s.Parent, &started, &ended, &s.InputTokens, &s.OutputTokens); err != nil {
			return err
		}
		s.Started, s.Ended = epoch(started), epoch(ended)
		s.Where = where + ": sessions " + s.ID
		id := s.ID
		s.load = func() ([]llm.Message, error) { return loadPyMessages(db, msgQ, id) }
		b.sessions = append(b.sessions, s)
	}
	return rows.Err()
}

func epoch(f float64) time.Time {
	if f <= 0 || f > 1e11 {
		return time.Time{}
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC()
}

func loadPyMessages(db *sql.DB, q, id string) ([]llm.Message, error) {
	rows, err := db.Query(q, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []llm.Message
	for rows.Next() {
		var role, content, calls, callID string
		if err := rows.Scan(&role, &content, &calls, &callID); err != nil {
			return nil, err
		}
		m := llm.Message{Role: llm.Role(role), Content: content, ToolCallID: callID}
		if m.Role == llm.RoleAssistant && calls != "" {
			m.ToolCalls = parseOpenAICalls(calls)
		}
		out = append(out, m)
	}
	return cleanMessages(out), rows.Err()
}

// parseOpenAICalls reads tool calls stored in the OpenAI wire form.
func parseOpenAICalls(s string) []llm.ToolCall {
	var calls []struct {
		ID       string `json:"id"`
		Function struct {
			Name      string          `json:"name"`
			Arguments json.RawMessage `json:"arguments"`
		} `json:"function"`
	}
	if json.Unmarshal([]byte(s), &calls) != nil {
		return nil
	}
	out := make([]llm.ToolCall, 0, len(calls))
	for _, c := range calls {
		args := string(c.Function.Arguments)
		var str string
		if json.Unmarshal(c.Function.Arguments, &str) == nil {
			args = str // arguments as a JSON string, the usual form
		}
		out = append(out, llm.ToolCall{ID: c.ID, Name: c.Function.Name, Arguments: args})
	}
	return out
}
