package apiserver

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	_ "modernc.org/sqlite" // the database/sql driver "sqlite"
)

// store keeps responses (for previous_response_id and GET), runs and
// idempotency keys in SQLite, so they survive a gateway restart.
type store struct {
	db   *sql.DB
	path string
}

// keepFor is how long responses and runs are kept.
const keepFor = 30 * 24 * time.Hour

const schema = `
CREATE TABLE IF NOT EXISTS responses (
	id TEXT PRIMARY KEY,
	session_id TEXT NOT NULL,
	body TEXT NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
	id TEXT PRIMARY KEY,
	session_id TEXT NOT NULL,
	status TEXT NOT NULL,
	output TEXT NOT NULL DEFAULT '',
	error TEXT NOT NULL DEFAULT '',
	input_tokens INTEGER NOT NULL DEFAULT 0,
	output_tokens INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL,
	completed_at INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS idempotency (
	key TEXT PRIMARY KEY,
	body_hash TEXT NOT NULL,
	run_id TEXT NOT NULL,
	created_at INTEGER NOT NULL
);
`

func openStore(path string) (*store, error) {
	// Responses hold conversations: the file is for the owner only.
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		f.Close()
	} else if !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("api_server: open store: %w", err)
	}
	q := "_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	db, err := sql.Open("sqlite", path+"?"+q)
	if err != nil {
		return nil, fmt.Errorf("api_server: open store %s: %w", path, err)
	}
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("api_server: open store %s: %w (delete the file to start afresh)", path, err)
	}
	// A run still marked running was cut off by a stop or crash.
	if _, err := db.ExecContext(ctx, `UPDATE runs SET status='failed', error='interrupted: the gateway stopped before the run finished' WHERE status IN ('queued','running')`); err != nil {
		db.Close()
		return nil, fmt.Errorf("api_server: open store %s: %w", path, err)
	}
	// Old state is dropped at each start: responses and runs after 30
	// days, idempotency keys after their 24 hours.
	month := time.Now().Add(-keepFor).Unix()
	for _, q := range []string{`DELETE FROM responses WHERE created_at < ?`, `DELETE FROM runs WHERE created_at < ?`} {
		if _, err := db.ExecContext(ctx, q, month); err != nil {
			db.Close()
			return nil, fmt.Errorf("api_server: prune store %s: %w", path, err)
		}
	}
	if _, err := db.ExecContext(ctx, `DELETE FROM idempotency WHERE created_at < ?`, time.Now().Add(-idempotencyTTL).Unix()); err != nil {
		db.Close()
		return nil, fmt.Errorf("api_server: prune store %s: %w", path, err)
	}
	return &store{db: db, path: path}, nil
}

func (st *store) close() error { return st.db.Close() }

func (st *store) putResponse(ctx context.Context, id, session string, body []byte, at time.Time) error {
	_, err := st.db.ExecContext(ctx, `INSERT OR REPLACE INTO responses(id, session_id, body, created_at) VALUES(?,?,?,?)`, id, session, string(body), at.Unix())
	return err
}

// response returns a stored response's session and body; ok false when
// there is none.
func (st *store) response(ctx context.Context, id string) (session string, body []byte, ok bool, err error) {
	var b string
	err = st.db.QueryRowContext(ctx, `SELECT session_id, body FROM responses WHERE id=?`, id).Scan(&session, &b)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, false, nil
	}
	if err != nil {
		return "", nil, false, err
	}
	return session, []byte(b), true, nil
}

// runRecord is one row of runs.
type runRecord struct {
	ID           string
	SessionID    string
	Status       string
	Output       string
	Error        string
	InputTokens  int
	OutputTokens int
	CreatedAt    int64
	CompletedAt  int64
}

func (st *store) insertRun(ctx context.Context, r runRecord, idemKey, bodyHash string) error {
	tx, err := st.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO runs(id, session_id, status, created_at) VALUES(?,?,?,?)`, r.ID, r.SessionID, r.Status, r.CreatedAt); err != nil {
		return err
	}
	if idemKey != "" {
		if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO idempotency(key, body_hash, run_id, created_at) VALUES(?,?,?,?)`, idemKey, bodyHash, r.ID, r.CreatedAt); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func (st *store) finishRun(ctx context.Context, r runRecord) error {
	_, err := st.db.ExecContext(ctx, `UPDATE runs SET status=?, output=?, error=?, input_tokens=?, output_tokens=?, completed_at=? WHERE id=?`,
		r.Status, r.Output, r.Error, r.InputTokens, r.OutputTokens, r.CompletedAt, r.ID)
	return err
}

func (st *store) run(ctx context.Context, id string) (runRecord, bool, error) {
	var r runRecord
	err := st.db.QueryRowContext(ctx, `SELECT id, session_id, status, output, error, input_tokens, output_tokens, created_at, completed_at FROM runs WHERE id=?`, id).
		Scan(&r.ID, &r.SessionID, &r.Status, &r.Output, &r.Error, &r.InputTokens, &r.OutputTokens, &r.CreatedAt, &r.CompletedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	return r, err == nil, err
}

// idempotent returns the run an Idempotency-Key names if it was made
// after since.
func (st *store) idempotent(ctx context.Context, key string, since time.Time) (bodyHash, runID string, ok bool, err error) {
	err = st.db.QueryRowContext(ctx, `SELECT body_hash, run_id FROM idempotency WHERE key=? AND created_at>=?`, key, since.Unix()).Scan(&bodyHash, &runID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", false, nil
	}
	return bodyHash, runID, err == nil, err
}
