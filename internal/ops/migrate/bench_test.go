package migrate

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/home"
)

// BenchmarkMigrateSessions imports a Python state.db of 200 sessions of
// 50 messages each into an empty home.
func BenchmarkMigrateSessions(b *testing.B) {
	src := b.TempDir()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(src, home.StateDB))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.Exec(pySchema); err != nil {
		b.Fatal(err)
	}
	tx, _ := db.Begin()
	t0 := float64(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Unix())
	for s := 0; s < 200; s++ {
		id := fmt.Sprintf("sess-%04d", s)
		tx.Exec(`INSERT INTO sessions (id, source, started_at) VALUES (?, 'cli', ?)`, id, t0+float64(s*3600))
		for m := 0; m < 50; m++ {
			role := []string{"user", "assistant"}[m%2]
			tx.Exec(`INSERT INTO messages (session_id, role, content, timestamp) VALUES (?,?,?,?)`,
				id, role, fmt.Sprintf("message %d of session %d: some ordinary text of a conversation turn", m, s), t0+float64(s*3600+m))
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	db.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		root := b.TempDir()
		h := &home.Home{Root: root, Dir: root, Profile: home.DefaultProfile}
		h.Ensure()
		r, err := Run(context.Background(), Options{From: FromHermes, Source: src, Home: h})
		if err != nil || r.Counts.Imported != 200 {
			b.Fatalf("%v %+v", err, r.Counts)
		}
	}
}
