package migrate

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/gateway/pairing"
	"github.com/hermes-go/hermes/internal/home"
)

var testNow = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// copyTree copies a fixture home into a temporary folder.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		to := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o700)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(to, data, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// snapshot is every file under dir with its mode and digest.
func snapshot(t *testing.T, dir string, skip func(rel string) bool) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if skip != nil && skip(rel) {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		v := fi.Mode().String()
		if d.Type().IsRegular() {
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(data)
			v += " " + hex.EncodeToString(sum[:])
		}
		out[rel] = v
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameSnapshot(t *testing.T, what string, a, b map[string]string) {
	t.Helper()
	for k, v := range a {
		if b[k] != v {
			t.Errorf("%s: %s changed: %q -> %q", what, k, v, b[k])
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			t.Errorf("%s: %s appeared", what, k)
		}
	}
}

func newHome(t *testing.T) *home.Home {
	t.Helper()
	root := t.TempDir()
	h := &home.Home{Root: root, Dir: root, Profile: home.DefaultProfile}
	if err := h.Ensure(); err != nil {
		t.Fatal(err)
	}
	return h
}

// pySchema is the part of the Python agent's state.db schema
// (hermes_state_common.py SCHEMA_SQL, version 30) that migrate reads,
// with enough of the other columns to look like the real thing.
const pySchema = `
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE sessions (
    id TEXT PRIMARY KEY, source TEXT NOT NULL, created_source TEXT, user_id TEXT, session_key TEXT,
    chat_id TEXT, chat_type TEXT, thread_id TEXT, display_name TEXT, model TEXT, model_config TEXT,
    system_prompt TEXT, parent_session_id TEXT, started_at REAL NOT NULL, ended_at REAL, end_reason TEXT,
    message_count INTEGER DEFAULT 0, tool_call_count INTEGER DEFAULT 0, input_tokens INTEGER DEFAULT 0,
    output_tokens INTEGER DEFAULT 0, cwd TEXT, title TEXT, title_source TEXT, archived INTEGER NOT NULL DEFAULT 0,
    FOREIGN KEY (parent_session_id) REFERENCES sessions(id));
CREATE TABLE messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL REFERENCES sessions(id), role TEXT NOT NULL,
    content TEXT, tool_call_id TEXT, tool_calls TEXT, tool_name TEXT, timestamp REAL NOT NULL, token_count INTEGER,
    finish_reason TEXT, reasoning TEXT, active INTEGER NOT NULL DEFAULT 1, compacted INTEGER NOT NULL DEFAULT 0);
CREATE INDEX idx_messages_session ON messages(session_id, timestamp);
INSERT INTO schema_version VALUES (30);
`

// buildPyState writes a Python-agent state.db in WAL mode and leaves a
// connection open with the last rows only in the -wal file, as a running
// Python gateway would; the caller closes it.
func buildPyState(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=wal_autocheckpoint(0)")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(pySchema)
	t0 := float64(time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC).Unix())
	exec(`INSERT INTO sessions (id, source, model, started_at, ended_at, end_reason, input_tokens, output_tokens, title)
		VALUES ('20261120_100000_abc123', 'cli', 'anthropic/claude-opus-4.6', ?, ?, 'new_session', 1200, 300, 'Deploy plan')`, t0, t0+600)
	exec(`INSERT INTO sessions (id, source, user_id, chat_id, started_at, parent_session_id, title)
		VALUES ('20261121_080000_def456', 'telegram', '111', '111', ?, '20261120_100000_abc123', 'Morning')`, t0+86400)
	msgs := []struct {
		sid, role, content, callID, calls string
		active                            int
	}{
		{"20261120_100000_abc123", "system", "You are Hermes.", "", "", 1},
		{"20261120_100000_abc123", "user", "Plan the deploy of the billing service.", "", "", 1},
		{"20261120_100000_abc123", "assistant", "", "", `[{"id":"call_9","type":"function","function":{"name":"terminal","arguments":"{\"command\":\"git log -1\"}"}}]`, 1},
		{"20261120_100000_abc123", "tool", "commit 1a2b3c", "call_9", "", 1},
		{"20261120_100000_abc123", "user", "an old turn that was compacted", "", "", 0},
		{"20261120_100000_abc123", "assistant", "Deploy to staging first, then production.", "", "", 1},
		{"20261121_080000_def456", "user", "Good morning", "", "", 1},
		{"20261121_080000_def456", "assistant", "Good morning, Ada.", "", "", 1},
	}
	for i, m := range msgs {
		exec(`INSERT INTO messages (session_id, role, content, tool_call_id, tool_calls, timestamp, active) VALUES (?,?,?,?,?,?,?)`,
			m.sid, m.role, m.content, nullIf(m.callID), nullIf(m.calls), t0+float64(i), m.active)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func nullIf(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// run migrates src into h.
func run(t *testing.T, h *home.Home, src, from string, dry, force bool) *Report {
	t.Helper()
	r, err := Run(context.Background(), Options{From: from, Source: src, Home: h, DryRun: dry, Force: force,
		Pairing: pairing.Open(h.Path(home.PairingDir)), Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func find(r *Report, kind, name string) (Item, bool) {
	for _, it := range r.Items {
		if it.Kind == kind && it.Name == name {
			return it, true
		}
	}
	return Item{}, false
}

func want(t *testing.T, r *Report, kind, name string, st Status) Item {
	t.Helper()
	it, ok := find(r, kind, name)
	if !ok {
		t.Fatalf("no %s item %q in the report:\n%s", kind, name, dump(r))
	}
	if it.Status != st {
		t.Errorf("%s %q: status %s (%s), want %s", kind, name, it.Status, it.Reason, st)
	}
	return it
}

func dump(r *Report) string {
	var sb strings.Builder
	r.WriteText(&sb)
	return sb.String()
}
