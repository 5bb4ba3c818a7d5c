package store

import (
	"context"
	"strconv"
	"strings"
	"testing"
)

func TestMatchQuery(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"docker compose", `"docker" "compose"`},
		{`"exact phrase" here`, `"exact phrase" "here"`},
		{`before"inside"after`, `"before" "inside" "after"`},
		{`unclosed "quote runs on`, `"unclosed" "quote runs on"`},
		{`AND OR NOT`, `"AND" "OR" "NOT"`},
		{`foo* -bar col:baz (x)`, `"foo*" "-bar" "col:baz" "(x)"`},
		{`" * - : ( ) ""`, ``},
		{"", ""},
		{"tabs\tand\u3000ideographic space", `"tabs" "and" "ideographic" "space"`},
		{"naïve café 東京", `"naïve" "café" "東京"`},
	}
	for _, tt := range tests {
		if got := MatchQuery(tt.in); got != tt.want {
			t.Errorf("MatchQuery(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func searchFixture(t testing.TB) (*Store, Session, Session) {
	s := openTemp(t)
	a := newSession(t, s, Session{Title: "docker work"})
	b := newSession(t, s, Session{Source: "telegram"})
	appendMsgs(t, s, a.ID,
		user("How do I restart the docker container named web?"),
		assistant("Run docker restart web; the container keeps its volumes."),
		user("AND what about OR NOT operators: (a) -b c* NEAR(x y)?"))
	appendMsgs(t, s, b.ID,
		user("The tests are running slowly on the build server"),
		assistant("Running them in parallel helps: go test -p 4 ./..."))
	return s, a, b
}

func TestSearch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, a, b := searchFixture(t)
	tests := []struct {
		query string
		opts  SearchOptions
		want  []string // session id and seq, best first where it matters
	}{
		{"docker container", SearchOptions{}, []string{a.ID + "#1", a.ID + "#2"}},
		{"run tests", SearchOptions{}, []string{b.ID + "#1", b.ID + "#2"}}, // porter: running -> run
		{`"restart the docker"`, SearchOptions{}, []string{a.ID + "#1"}},
		{`"docker the restart"`, SearchOptions{}, nil},
		{"docker", SearchOptions{Role: "assistant"}, []string{a.ID + "#2"}},
		{"running", SearchOptions{SessionID: a.ID}, []string{a.ID + "#2"}},
		{"parallel", SearchOptions{SessionID: a.ID}, nil},
		{"docker", SearchOptions{Limit: 1}, []string{"?"}},
		{"nothing-matches-this", SearchOptions{}, nil},
	}
	for _, tt := range tests {
		hits, err := s.Search(ctx, tt.query, tt.opts)
		if err != nil {
			t.Errorf("Search(%q): %v", tt.query, err)
			continue
		}
		if len(hits) != len(tt.want) {
			t.Errorf("Search(%q, %+v): %d hits %+v, want %v", tt.query, tt.opts, len(hits), hits, tt.want)
			continue
		}
		for i, h := range hits {
			if tt.want[i] != "?" && !containsHit(hits, tt.want[i]) {
				t.Errorf("Search(%q): hit %d %s#%d, want %v", tt.query, i, h.SessionID, h.Seq, tt.want)
			}
		}
	}
	hits, _ := s.Search(ctx, "restart", SearchOptions{})
	if len(hits) != 2 || !strings.Contains(hits[0].Snippet, MatchStart+"restart"+MatchEnd) || hits[0].Title != "docker work" || hits[0].Source != "cli" {
		t.Errorf("snippet and session fields: %+v", hits)
	}
}

func containsHit(hits []Hit, want string) bool {
	for _, h := range hits {
		if h.SessionID+"#"+itoa(h.Seq) == want {
			return true
		}
	}
	return false
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestSearchHostile runs queries full of FTS5 syntax: none may be an
// error, and the words in them still find what they name.
func TestSearchHostile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, a, _ := searchFixture(t)
	tests := []struct {
		query string
		hits  int
	}{
		{`"`, 0}, {`""`, 0}, {`"""`, 0}, {`*`, 0}, {`-`, 0}, {`:`, 0}, {`(`, 0}, {`)`, 0}, {`()`, 0},
		{`AND`, 1}, {`OR NOT`, 1}, {`AND OR NOT`, 1}, {`NOT docker`, 0}, {`docker OR tests`, 0},
		{`docker*`, 2}, {`-docker`, 2}, {`content:docker`, 0}, {`(docker)`, 2}, {`docker:`, 2},
		{`NEAR(docker restart)`, 0}, {`NEAR( docker restart )`, 0}, {`docker NEAR`, 0}, {`"docker`, 2}, {`docker"`, 2}, {`^docker`, 2}, {`{docker}`, 2},
		{`docker AND`, 0}, {"\x00docker\x00", 2}, {`c*`, 1}, {`'docker'`, 2}, {`docker -- restart`, 2},
		{`volumes:docker`, 0}, {`web; volumes`, 1},
	}
	for _, tt := range tests {
		hits, err := s.Search(ctx, tt.query, SearchOptions{})
		if err != nil {
			t.Errorf("Search(%q): %v", tt.query, err)
			continue
		}
		n := 0
		for _, h := range hits {
			if h.SessionID == a.ID {
				n++
			}
		}
		if n != tt.hits {
			t.Errorf("Search(%q) [%s]: %d hits, want %d", tt.query, MatchQuery(tt.query), n, tt.hits)
		}
	}
}

// TestFTSInSync checks the triggers: inserts are indexed, updates move
// the index, deletes remove it, and FTS5's own integrity check agrees.
func TestFTSInSync(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, a, b := searchFixture(t)
	count := func(q string) int {
		t.Helper()
		hits, err := s.Search(ctx, q, SearchOptions{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		return len(hits)
	}
	integrity := func(when string) {
		t.Helper()
		if _, err := s.db.Exec(`INSERT INTO messages_fts(messages_fts, rank) VALUES ('integrity-check', 1)`); err != nil {
			t.Errorf("%s: index out of sync: %v", when, err)
		}
	}
	integrity("after insert")
	if count("docker") != 2 {
		t.Fatalf("after insert: %d docker hits", count("docker"))
	}
	if _, err := s.db.Exec(`UPDATE messages SET content = 'kubernetes pods' WHERE session_id = ? AND seq = 1`, a.ID); err != nil {
		t.Fatal(err)
	}
	integrity("after update")
	if count("docker") != 1 || count("kubernetes") != 1 {
		t.Errorf("after update: docker %d, kubernetes %d", count("docker"), count("kubernetes"))
	}
	must(t, s.Delete(ctx, a.ID))
	integrity("after delete")
	if count("docker") != 0 || count("kubernetes") != 0 || count("parallel") != 1 {
		t.Errorf("after delete: docker %d, kubernetes %d, parallel %d", count("docker"), count("kubernetes"), count("parallel"))
	}
	var rows int
	s.db.QueryRow(`SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'docker'`).Scan(&rows)
	if rows != 0 {
		t.Errorf("%d index rows left for a deleted session", rows)
	}
	_ = b
}

func FuzzSearch(f *testing.F) {
	for _, seed := range []string{`docker`, `"a b`, `AND OR NOT`, `*`, `-x`, `a:b`, `(x)`, `NEAR(a b, 2)`, "\x00", `""""`, "é\u0301"} {
		f.Add(seed)
	}
	s, _, _ := searchFixture(f)
	f.Fuzz(func(t *testing.T, q string) {
		if _, err := s.Search(context.Background(), q, SearchOptions{}); err != nil {
			t.Errorf("Search(%q) [%s]: %v", q, MatchQuery(q), err)
		}
	})
}
