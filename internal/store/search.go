package store

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// SearchOptions narrow Search.
type SearchOptions struct {
	Limit     int    // 0: DefaultSearchLimit
	SessionID string // "": every session
	Role      string // "": every role
}

// DefaultSearchLimit is how many hits Search returns when not told.
const DefaultSearchLimit = 20

// Snippet markers: the matched words in Hit.Snippet are wrapped in these.
const (
	MatchStart = "»"
	MatchEnd   = "«"
)

// Hit is one message that matched a search, best first.
type Hit struct {
	SessionID string    `json:"session_id"`
	MessageID int64     `json:"message_id"`
	Seq       int       `json:"seq"`
	Role      string    `json:"role"`
	Snippet   string    `json:"snippet"` // the matching passage, matches marked
	CreatedAt time.Time `json:"created_at"`
	Rank      float64   `json:"rank"` // bm25: lower is better
	Title     string    `json:"title,omitempty"`
	Source    string    `json:"source"`
}

// Search finds messages whose text matches query, ranked by bm25. The
// query is what a person types: words are all required (in any order,
// stemmed: "running" finds "runs"), "quoted phrases" must appear as
// written, and FTS5 operators and punctuation are taken as plain text, so
// no query is a syntax error. A query with no words finds nothing.
func (s *Store) Search(ctx context.Context, query string, o SearchOptions) ([]Hit, error) {
	match := MatchQuery(query)
	if match == "" {
		return nil, nil
	}
	if o.Limit <= 0 {
		o.Limit = DefaultSearchLimit
	}
	q := `SELECT m.session_id, m.id, m.seq, m.role,
		snippet(messages_fts, 0, '` + MatchStart + `', '` + MatchEnd + `', '…', 16),
		m.created_at, f.rank, s.title, s.source
		FROM messages_fts f
		JOIN messages m ON m.id = f.rowid
		JOIN sessions s ON s.id = m.session_id
		WHERE messages_fts MATCH ?`
	args := []any{match}
	if o.SessionID != "" {
		q += ` AND m.session_id = ?`
		args = append(args, o.SessionID)
	}
	if o.Role != "" {
		q += ` AND m.role = ?`
		args = append(args, o.Role)
	}
	q += ` ORDER BY f.rank LIMIT ?`
	args = append(args, o.Limit)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("search %q: %w", query, err)
	}
	defer rows.Close()
	var hits []Hit
	for rows.Next() {
		var h Hit
		var created int64
		if err := rows.Scan(&h.SessionID, &h.MessageID, &h.Seq, &h.Role, &h.Snippet, &created, &h.Rank, &h.Title, &h.Source); err != nil {
			return nil, err
		}
		h.CreatedAt = fromMillis(created)
		hits = append(hits, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search %q: %w", query, err)
	}
	return hits, nil
}

// MatchQuery turns a person's query into an FTS5 MATCH expression that
// cannot be a syntax error: every word and every "quoted phrase" becomes
// an FTS5 string (implicitly AND-ed), so operators (AND, OR, NOT, NEAR),
// prefixes (*), column filters (:), exclusions (-) and parentheses are
// plain text. Terms with no letter or digit are dropped; an unclosed
// quote runs to the end, and control characters separate words. The result is "" when no term is left.
func MatchQuery(query string) string {
	var terms []string
	add := func(t string) {
		if strings.IndexFunc(t, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }) >= 0 {
			terms = append(terms, `"`+t+`"`)
		}
	}
	// Control characters (NUL among them) would end the FTS5 string
	// early: they separate words like spaces do.
	rest := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, query)
	for rest != "" {
		if rest[0] == '"' {
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				add(rest[1:])
				break
			}
			add(rest[1 : 1+end])
			rest = rest[end+2:]
			continue
		}
		end := strings.IndexFunc(rest, func(r rune) bool { return r == '"' || unicode.IsSpace(r) })
		if end < 0 {
			add(rest)
			break
		}
		if end > 0 {
			add(rest[:end])
		}
		if r, w := utf8.DecodeRuneInString(rest[end:]); r == '"' {
			rest = rest[end:]
		} else {
			rest = rest[end+w:]
		}
	}
	return strings.Join(terms, " ")
}
