package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hermes-go/hermes/internal/llm"
)

// Record is a stored message with its place and time.
type Record struct {
	llm.Message
	Seq       int       `json:"seq"` // 1, 2, ... within the session
	CreatedAt time.Time `json:"created_at"`
	Tokens    int       `json:"tokens"` // estimated: about four bytes a token
}

// AppendMessages adds messages to the end of a session, all or none. The
// content and tool call arguments are redacted before they are written.
func (s *Store) AppendMessages(ctx context.Context, sessionID string, msgs ...llm.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	rows := make([]row, len(msgs))
	for i, m := range msgs {
		r, err := s.prepare(m)
		if err != nil {
			return fmt.Errorf("append to session %s: message %d: %w", sessionID, i+1, err)
		}
		rows[i] = r
	}
	now := millis(s.now())
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var seq int
		err := tx.QueryRowContext(ctx, `SELECT message_count FROM sessions WHERE id = ?`, sessionID).Scan(&seq)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("session %q: %w", sessionID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		st, err := tx.PrepareContext(ctx, `INSERT INTO messages
			(session_id, seq, role, content, tool_calls, tool_call_id, is_error, created_at, tokens)
			VALUES (?,?,?,?,?,?,?,?,?)`)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, r := range rows {
			seq++
			if _, err := st.ExecContext(ctx, sessionID, seq, r.role, r.content, r.calls, r.callID, r.isErr, now, r.tokens); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE sessions SET message_count = ? WHERE id = ?`, seq, sessionID)
		return err
	})
	if err != nil {
		return fmt.Errorf("append to session %s: %w", sessionID, err)
	}
	return nil
}

// row is a message as it goes into the database: redacted and encoded.
type row struct {
	role, content, callID string
	calls                 any // JSON text, or nil
	isErr                 bool
	tokens                int
}

func (s *Store) prepare(m llm.Message) (row, error) {
	switch m.Role {
	case llm.RoleUser, llm.RoleAssistant, llm.RoleTool:
	default:
		return row{}, fmt.Errorf("unknown role %q: want user, assistant or tool", m.Role)
	}
	r := row{role: string(m.Role), content: s.red.String(m.Content), callID: m.ToolCallID, isErr: m.IsError}
	n := len(m.Content)
	if len(m.ToolCalls) > 0 {
		calls := make([]llm.ToolCall, len(m.ToolCalls))
		for i, c := range m.ToolCalls {
			c.Arguments = s.red.String(c.Arguments)
			calls[i] = c
			n += len(c.Name) + len(c.Arguments)
		}
		b, err := json.Marshal(calls)
		if err != nil {
			return row{}, err
		}
		r.calls = string(b)
	}
	r.tokens = (n + 3) / 4
	return r, nil
}

// Messages returns a session's messages in order, ready to send to a
// model again (resume). An unknown session is ErrNotFound.
func (s *Store) Messages(ctx context.Context, sessionID string) ([]llm.Message, error) {
	recs, err := s.Records(ctx, sessionID)
	if err != nil {
		return nil, err
	}
	out := make([]llm.Message, len(recs))
	for i, r := range recs {
		out[i] = r.Message
	}
	return out, nil
}

// Records returns a session's messages in order with their sequence
// numbers and times.
func (s *Store) Records(ctx context.Context, sessionID string) ([]Record, error) {
	if _, err := s.Session(ctx, sessionID); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT seq, role, content, tool_calls, tool_call_id, is_error, created_at, tokens
		FROM messages WHERE session_id = ? ORDER BY seq`, sessionID)
	if err != nil {
		return nil, fmt.Errorf("read session %s: %w", sessionID, err)
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		var r Record
		var calls sql.NullString
		var created int64
		if err := rows.Scan(&r.Seq, &r.Role, &r.Content, &calls, &r.ToolCallID, &r.IsError, &created, &r.Tokens); err != nil {
			return nil, err
		}
		if calls.Valid {
			if err := json.Unmarshal([]byte(calls.String), &r.ToolCalls); err != nil {
				return nil, fmt.Errorf("read session %s: message %d: tool calls: %w", sessionID, r.Seq, err)
			}
		}
		r.CreatedAt = fromMillis(created)
		out = append(out, r)
	}
	return out, rows.Err()
}
