// Package store owns state.db, the session database: sessions (who, where,
// which model, tokens, cost, lineage), their messages in order, and the
// FTS5 full-text index over message text that session search reads.
//
// The database is SQLite (modernc.org/sqlite, pure Go) in WAL mode with a
// busy timeout and foreign keys on, so several goroutines and several
// processes (the chat CLI, the gateway, cron) can use one file at once:
// readers never block, and writers take the write lock up front
// (BEGIN IMMEDIATE) and wait for each other instead of failing.
//
// The schema is versioned: schema_version holds the number of migrations
// applied, each migration runs in its own transaction, and a database
// written by a newer hermes is refused rather than guessed at.
//
// Nothing secret reaches the file: every text written (message content,
// tool call arguments, titles) goes through the Redactor given to Open
// first. The full-text index is an external-content FTS5 table kept in
// sync with messages by triggers, so it only ever holds redacted text too.
package store
