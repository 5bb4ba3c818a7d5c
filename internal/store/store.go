package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the database/sql driver "sqlite"

	"github.com/hermes-go/hermes/internal/redact"
)

// busyTimeout is how long a writer waits for another writer (in this or
// another process) before giving up with "database is locked".
const busyTimeout = 15 * time.Second

// maxIdleConns is how many SQLite connections stay open between uses.
const maxIdleConns = 8

// ErrNotFound is returned for a session id (or prefix) that matches nothing.
var ErrNotFound = errors.New("no such session")

// Store is an open state.db. It is safe for concurrent use by goroutines,
// and other processes may use the same file at the same time.
type Store struct {
	db   *sql.DB
	path string
	red  *redact.Redactor
	now  func() time.Time
}

// Open opens (creating if needed) the database at path and brings its
// schema up to date. Every text written goes through r first; a nil r
// means redact.Default(). A database from a newer hermes is refused.
func Open(path string, r *redact.Redactor) (*Store, error) {
	if strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("open session store %s: the path must not contain '?'; move the hermes home", path)
	}
	if r == nil {
		r = redact.Default()
	}
	// Conversations are private: the file (and the -wal and -shm files
	// SQLite creates with the same mode) is for the owner only.
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		f.Close()
	} else if !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("open session store: %w", err)
	}
	q := fmt.Sprintf("_pragma=busy_timeout(%d)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate",
		busyTimeout.Milliseconds())
	db, err := sql.Open("sqlite", path+"?"+q)
	if err != nil {
		return nil, fmt.Errorf("open session store %s: %w", path, err)
	}
	// Keep connections open: database/sql keeps 2 idle by default and
	// closes the rest after use, so a busy gateway opened and closed a
	// SQLite connection (file, pragmas, schema parse) for most turns.
	db.SetMaxIdleConns(maxIdleConns)
	s := &Store{db: db, path: path, red: r, now: time.Now}
	if err := s.migrate(context.Background()); err != nil {
		db.Close()
		return nil, fmt.Errorf("open session store %s: %w", path, err)
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Path is the database file.
func (s *Store) Path() string { return s.path }

// SchemaVersion is the number of migrations this build knows.
func SchemaVersion() int { return len(migrations) }

// migrate applies the migrations the file lacks, each in its own
// transaction, re-reading the version under the write lock so two
// processes opening a fresh file at once do not both apply one.
func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_version: %w", err)
	}
	for {
		done, err := s.migrateOne(ctx)
		if err != nil || done {
			return err
		}
	}
}

// migrateOne applies the next migration, or reports that none is left.
func (s *Store) migrateOne(ctx context.Context) (done bool, err error) {
	err = s.tx(ctx, func(tx *sql.Tx) error {
		var v int
		err := tx.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&v)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (0)`); err != nil {
				return err
			}
		case err != nil:
			return fmt.Errorf("read schema version: %w", err)
		}
		if v > len(migrations) {
			return fmt.Errorf("the database is at schema version %d but this hermes knows only up to %d: upgrade hermes, or move state.db aside to start a new one", v, len(migrations))
		}
		if v == len(migrations) {
			done = true
			return nil
		}
		if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
			return fmt.Errorf("migration %d: %w", v+1, err)
		}
		_, err = tx.ExecContext(ctx, `UPDATE schema_version SET version = ?`, v+1)
		return err
	})
	return done, err
}

// tx runs fn in a write transaction (BEGIN IMMEDIATE: the write lock is
// taken at the start, so a busy database is waited for, not failed on).
func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}
