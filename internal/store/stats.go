package store

import (
	"context"
	"fmt"
	"os"
	"time"
)

// Stats summarises the store.
type Stats struct {
	Sessions     int            `json:"sessions"`
	Open         int            `json:"open"` // sessions not yet ended
	Messages     int            `json:"messages"`
	BySource     map[string]int `json:"by_source"` // sessions per source
	InputTokens  int64          `json:"input_tokens"`
	OutputTokens int64          `json:"output_tokens"`
	CostUSD      float64        `json:"cost_usd"`
	DBBytes      int64          `json:"db_bytes"` // the file and its write-ahead log
}

// Stats counts sessions, messages, tokens and cost, and sizes the file.
func (s *Store) Stats(ctx context.Context) (Stats, error) {
	st := Stats{BySource: map[string]int{}}
	err := s.db.QueryRowContext(ctx, `SELECT count(*), count(*) - count(ended_at), coalesce(sum(message_count), 0),
		coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0), coalesce(sum(cost_usd), 0) FROM sessions`).
		Scan(&st.Sessions, &st.Open, &st.Messages, &st.InputTokens, &st.OutputTokens, &st.CostUSD)
	if err != nil {
		return Stats{}, fmt.Errorf("session stats: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT source, count(*) FROM sessions GROUP BY source`)
	if err != nil {
		return Stats{}, fmt.Errorf("session stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var src string
		var n int
		if err := rows.Scan(&src, &n); err != nil {
			return Stats{}, err
		}
		st.BySource[src] = n
	}
	if err := rows.Err(); err != nil {
		return Stats{}, err
	}
	for _, p := range []string{s.path, s.path + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			st.DBBytes += fi.Size()
		}
	}
	return st, nil
}

// Prune deletes ended sessions that ended more than olderThan ago, with
// their messages, and returns how many went. Open sessions are kept
// however old. Children of a pruned session stay, with no parent.
func (s *Store) Prune(ctx context.Context, olderThan time.Duration) (int, error) {
	if olderThan < 0 {
		return 0, fmt.Errorf("prune sessions: negative age %s", olderThan)
	}
	cut := millis(s.now().Add(-olderThan))
	res, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE ended_at IS NOT NULL AND ended_at < ?`, cut)
	if err != nil {
		return 0, fmt.Errorf("prune sessions: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}
