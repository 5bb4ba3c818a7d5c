package store

// migrations are the schema changes in order; schema_version holds how
// many have been applied. Append only: never edit a released entry.
var migrations = []string{
	// 1: sessions, messages and the full-text index.
	`
CREATE TABLE sessions (
	id            TEXT PRIMARY KEY,
	source        TEXT NOT NULL,
	key           TEXT NOT NULL DEFAULT '',
	title         TEXT NOT NULL DEFAULT '',
	model         TEXT NOT NULL DEFAULT '',
	provider      TEXT NOT NULL DEFAULT '',
	parent_id     TEXT REFERENCES sessions(id) ON DELETE SET NULL,
	input_tokens  INTEGER NOT NULL DEFAULT 0,
	output_tokens INTEGER NOT NULL DEFAULT 0,
	cost_usd      REAL NOT NULL DEFAULT 0,
	started_at    INTEGER NOT NULL,
	ended_at      INTEGER,
	message_count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sessions_started ON sessions(started_at);
CREATE INDEX sessions_source_started ON sessions(source, started_at);
CREATE INDEX sessions_parent ON sessions(parent_id);
CREATE INDEX sessions_key ON sessions(source, key) WHERE key <> '';

CREATE TABLE messages (
	id           INTEGER PRIMARY KEY,
	session_id   TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
	seq          INTEGER NOT NULL,
	role         TEXT NOT NULL,
	content      TEXT NOT NULL DEFAULT '',
	tool_calls   TEXT,
	tool_call_id TEXT NOT NULL DEFAULT '',
	is_error     INTEGER NOT NULL DEFAULT 0,
	created_at   INTEGER NOT NULL,
	tokens       INTEGER NOT NULL DEFAULT 0,
	UNIQUE (session_id, seq)
);

CREATE VIRTUAL TABLE messages_fts USING fts5(
	content,
	content = 'messages',
	content_rowid = 'id',
	tokenize = 'porter unicode61'
);

CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
	INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
	INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
	INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
	INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content);
END;
`,
}
