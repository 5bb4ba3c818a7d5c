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
`, // 2: the cron run ledger. A run is inserted (claimed) before it
	// starts; UNIQUE (job_id, slot) makes a scheduled slot claimable once,
	// by one process, however many schedulers race for it.
	`
CREATE TABLE cron_runs (
	id             TEXT PRIMARY KEY,
	job_id         TEXT NOT NULL,
	job_name       TEXT NOT NULL DEFAULT '',
	slot           INTEGER NOT NULL,
	trigger        TEXT NOT NULL,
	status         TEXT NOT NULL,
	owner          TEXT NOT NULL,
	claimed_at     INTEGER NOT NULL,
	started_at     INTEGER,
	ended_at       INTEGER,
	error          TEXT NOT NULL DEFAULT '',
	output_path    TEXT NOT NULL DEFAULT '',
	session_id     TEXT NOT NULL DEFAULT '',
	delivered_at   INTEGER,
	delivery_error TEXT NOT NULL DEFAULT '',
	UNIQUE (job_id, slot)
);
CREATE INDEX cron_runs_active ON cron_runs(status) WHERE status IN ('claimed', 'running');
CREATE INDEX cron_runs_job ON cron_runs(job_id, claimed_at);

CREATE TABLE cron_incidents (
	id          TEXT PRIMARY KEY,
	job_id      TEXT NOT NULL,
	job_name    TEXT NOT NULL DEFAULT '',
	signature   TEXT NOT NULL,
	error       TEXT NOT NULL DEFAULT '',
	opened_at   INTEGER NOT NULL,
	last_at     INTEGER NOT NULL,
	count       INTEGER NOT NULL DEFAULT 1,
	acked_at    INTEGER,
	resolved_at INTEGER
);
CREATE INDEX cron_incidents_open ON cron_incidents(job_id) WHERE resolved_at IS NULL;
`, // 3: the gateway ledger. An inbound message is journaled (received)
	// before the platform is told it arrived, keyed by platform, chat and
	// message id, so a message fetched twice is journaled once; it becomes
	// processing while its turn runs and answered or failed after. An
	// outbound delivery is keyed by its idempotency key and records its
	// attempts until sent or failed.
	`
CREATE TABLE gateway_inbound (
	key         TEXT PRIMARY KEY,
	platform    TEXT NOT NULL,
	chat_id     TEXT NOT NULL,
	thread_id   TEXT NOT NULL DEFAULT '',
	chat_type   TEXT NOT NULL DEFAULT '',
	msg_id      TEXT NOT NULL,
	user_id     TEXT NOT NULL DEFAULT '',
	user_name   TEXT NOT NULL DEFAULT '',
	text        TEXT NOT NULL DEFAULT '',
	mentioned   INTEGER NOT NULL DEFAULT 0,
	sent_at     INTEGER NOT NULL DEFAULT 0,
	status      TEXT NOT NULL,
	attempts    INTEGER NOT NULL DEFAULT 0,
	received_at INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL,
	error       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX gateway_inbound_open ON gateway_inbound(received_at) WHERE status IN ('received', 'processing');

CREATE TABLE gateway_outbound (
	key         TEXT PRIMARY KEY,
	platform    TEXT NOT NULL,
	chat_id     TEXT NOT NULL,
	thread_id   TEXT NOT NULL DEFAULT '',
	reply_to    TEXT NOT NULL DEFAULT '',
	inbound_key TEXT NOT NULL DEFAULT '',
	text        TEXT NOT NULL DEFAULT '',
	status      TEXT NOT NULL,
	attempts    INTEGER NOT NULL DEFAULT 0,
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL,
	sent_id     TEXT NOT NULL DEFAULT '',
	error       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX gateway_outbound_inbound ON gateway_outbound(inbound_key) WHERE inbound_key <> '';
`,
}
