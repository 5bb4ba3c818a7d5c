package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hermes-go/hermes/internal/llm"
)

// Session is one conversation.
type Session struct {
	ID           string    `json:"id"`
	Source       string    `json:"source"`        // cli, cron, telegram, ...
	Key          string    `json:"key,omitempty"` // the gateway's chat key
	Title        string    `json:"title,omitempty"`
	Model        string    `json:"model,omitempty"`
	Provider     string    `json:"provider,omitempty"`
	ParentID     string    `json:"parent_id,omitempty"` // compressed from, or delegated by
	InputTokens  int       `json:"input_tokens"`
	OutputTokens int       `json:"output_tokens"`
	CostUSD      float64   `json:"cost_usd"`
	StartedAt    time.Time `json:"started_at"`
	EndedAt      time.Time `json:"ended_at,omitzero"` // zero while the session is open
	MessageCount int       `json:"message_count"`
}

// Ended reports whether the session has been ended.
func (s Session) Ended() bool { return !s.EndedAt.IsZero() }

// NewID returns a session id for a session started at t: the UTC time
// to the second and six random hex digits, e.g. 20261130-223045-ab12cd,
// so ids sort by start time.
func NewID(t time.Time) string {
	var b [3]byte
	rand.Read(b[:])
	return t.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b[:])
}

const sessionCols = `id, source, key, title, model, provider, parent_id, input_tokens, output_tokens,
	cost_usd, started_at, ended_at, message_count`

// CreateSession stores a new session and returns it as stored. An empty
// ID is generated, a zero StartedAt is now; the title is redacted.
// MessageCount starts at 0 whatever s says.
func (s *Store) CreateSession(ctx context.Context, sess Session) (Session, error) {
	if sess.Source == "" {
		return Session{}, errors.New("create session: the source is empty; set it (cli, cron, telegram)")
	}
	if sess.StartedAt.IsZero() {
		sess.StartedAt = s.now()
	}
	sess.StartedAt = sess.StartedAt.Truncate(time.Millisecond)
	sess.EndedAt = sess.EndedAt.Truncate(time.Millisecond)
	sess.Title = s.red.String(sess.Title)
	sess.MessageCount = 0
	generated := sess.ID == ""
	for attempt := 0; ; attempt++ {
		if generated {
			sess.ID = NewID(sess.StartedAt)
		}
		_, err := s.db.ExecContext(ctx, `INSERT INTO sessions (`+sessionCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,0)`,
			sess.ID, sess.Source, sess.Key, sess.Title, sess.Model, sess.Provider, nullString(sess.ParentID),
			sess.InputTokens, sess.OutputTokens, sess.CostUSD, millis(sess.StartedAt), nullTime(sess.EndedAt))
		if err == nil {
			return sess, nil
		}
		if generated && attempt < 3 && strings.Contains(err.Error(), "UNIQUE") {
			continue
		}
		if strings.Contains(err.Error(), "FOREIGN KEY") {
			return Session{}, fmt.Errorf("create session: parent session %q does not exist", sess.ParentID)
		}
		return Session{}, fmt.Errorf("create session %s: %w", sess.ID, err)
	}
}

// Session returns the session with exactly this id, or ErrNotFound.
func (s *Store) Session(ctx context.Context, id string) (Session, error) {
	row := s.db.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM sessions WHERE id = ?`, id)
	sess, err := scanSession(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, fmt.Errorf("session %q: %w", id, ErrNotFound)
	}
	return sess, err
}

// Latest returns the most recently started session from source ("" for
// any source), or ErrNotFound.
func (s *Store) Latest(ctx context.Context, source string) (Session, error) {
	list, err := s.List(ctx, ListOptions{Limit: 1, Source: source})
	if err != nil {
		return Session{}, err
	}
	if len(list) == 0 {
		if source == "" {
			return Session{}, fmt.Errorf("latest session: %w yet", ErrNotFound)
		}
		return Session{}, fmt.Errorf("latest %s session: %w yet", source, ErrNotFound)
	}
	return list[0], nil
}

// ResolveID turns what a user typed into a session id: "latest" is the
// most recent session, anything else an exact id or a unique prefix.
func (s *Store) ResolveID(ctx context.Context, prefixOrLatest string) (string, error) {
	p := strings.TrimSpace(prefixOrLatest)
	if p == "" {
		return "", errors.New("empty session id: give an id, a unique prefix of one, or latest")
	}
	if p == "latest" {
		sess, err := s.Latest(ctx, "")
		return sess.ID, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM sessions WHERE id >= ? ORDER BY id LIMIT 3`, p)
	if err != nil {
		return "", fmt.Errorf("resolve session %q: %w", p, err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return "", err
		}
		if id == p {
			return id, nil
		}
		if strings.HasPrefix(id, p) {
			ids = append(ids, id)
		}
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	switch len(ids) {
	case 0:
		return "", fmt.Errorf("session %q: %w (hermes sessions list shows the ids)", p, ErrNotFound)
	case 1:
		return ids[0], nil
	}
	return "", fmt.Errorf("session prefix %q is ambiguous (%s, ...): type more of the id", p, strings.Join(ids, ", "))
}

// ListOptions filter List.
type ListOptions struct {
	Limit  int       // 0: no limit
	Source string    // "": every source
	Since  time.Time // zero: all time; else sessions started at or after
}

// List returns sessions, most recently started first.
func (s *Store) List(ctx context.Context, o ListOptions) ([]Session, error) {
	q := `SELECT ` + sessionCols + ` FROM sessions WHERE 1=1`
	var args []any
	if o.Source != "" {
		q += ` AND source = ?`
		args = append(args, o.Source)
	}
	if !o.Since.IsZero() {
		q += ` AND started_at >= ?`
		args = append(args, millis(o.Since))
	}
	q += ` ORDER BY started_at DESC, id DESC`
	if o.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, o.Limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		sess, err := scanSession(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, sess)
	}
	return out, rows.Err()
}

// EndSession marks a session ended now. Ending an ended session keeps
// its first end time.
func (s *Store) EndSession(ctx context.Context, id string) error {
	return s.update(ctx, id, "end", `UPDATE sessions SET ended_at = coalesce(ended_at, ?) WHERE id = ?`, millis(s.now()), id)
}

// AddUsage adds one model call's tokens and cost to a session's totals.
// Token counts are stored as the provider reported them.
func (s *Store) AddUsage(ctx context.Context, id string, u llm.Usage, costUSD float64) error {
	return s.update(ctx, id, "add usage to",
		`UPDATE sessions SET input_tokens = input_tokens + ?, output_tokens = output_tokens + ?, cost_usd = cost_usd + ? WHERE id = ?`,
		u.InputTokens, u.OutputTokens, costUSD, id)
}

// SetTitle names a session; the title is redacted first.
func (s *Store) SetTitle(ctx context.Context, id, title string) error {
	return s.update(ctx, id, "set title of", `UPDATE sessions SET title = ? WHERE id = ?`, s.red.String(title), id)
}

// SetModel records the model and provider a session talks to.
func (s *Store) SetModel(ctx context.Context, id, model, provider string) error {
	return s.update(ctx, id, "set model of", `UPDATE sessions SET model = ?, provider = ? WHERE id = ?`, model, provider, id)
}

// Delete removes a session, its messages and their index entries. Child
// sessions stay, with no parent.
func (s *Store) Delete(ctx context.Context, id string) error {
	return s.update(ctx, id, "delete", `DELETE FROM sessions WHERE id = ?`, id)
}

// update runs one statement that must touch exactly the session id.
func (s *Store) update(ctx context.Context, id, what, q string, args ...any) error {
	res, err := s.db.ExecContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("%s session %s: %w", what, id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%s session %q: %w", what, id, ErrNotFound)
	}
	return nil
}

type scanner interface{ Scan(...any) error }

func scanSession(r scanner) (Session, error) {
	var sess Session
	var parent sql.NullString
	var started int64
	var ended sql.NullInt64
	err := r.Scan(&sess.ID, &sess.Source, &sess.Key, &sess.Title, &sess.Model, &sess.Provider, &parent,
		&sess.InputTokens, &sess.OutputTokens, &sess.CostUSD, &started, &ended, &sess.MessageCount)
	if err != nil {
		return Session{}, err
	}
	sess.ParentID = parent.String
	sess.StartedAt = fromMillis(started)
	if ended.Valid {
		sess.EndedAt = fromMillis(ended.Int64)
	}
	return sess, nil
}

func millis(t time.Time) int64 { return t.UnixMilli() }

func fromMillis(ms int64) time.Time { return time.UnixMilli(ms) }

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return millis(t)
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}
