package web

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hermes-go/hermes/internal/tools"
)

// searchAPIs is one 127.0.0.1 server speaking the three documented
// response formats, checking each request the way the real API would.
func searchAPIs(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /res/v1/web/search", func(w http.ResponseWriter, r *http.Request) {
		switch r.Header.Get("X-Subscription-Token") {
		case "brave-key":
		case "limited":
			http.Error(w, `{"error":"rate"}`, http.StatusTooManyRequests)
			return
		case "garbage":
			fmt.Fprint(w, "<html>not json</html>")
			return
		default:
			http.Error(w, `{"type":"ErrorResponse"}`, http.StatusUnauthorized)
			return
		}
		if r.URL.Query().Get("count") != "2" || r.Header.Get("Accept") != "application/json" {
			http.Error(w, "bad request "+r.URL.RawQuery, http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, `{"type":"search","query":{"original":%q},"web":{"type":"search","results":[
			{"title":"Go <strong>brave</strong>","url":"https://go.dev/","description":"The Go\nprogramming language","age":"1 day"},
			{"title":"Second","url":"https://example.com/2","description":""}]}}`, r.URL.Query().Get("q"))
	})
	mux.HandleFunc("POST /search", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tvly-key" {
			http.Error(w, `{"detail":{"error":"Unauthorized"}}`, http.StatusUnauthorized)
			return
		}
		var req struct {
			Query      string `json:"query"`
			MaxResults int    `json:"max_results"`
		}
		body, _ := io.ReadAll(r.Body)
		if json.Unmarshal(body, &req) != nil || req.Query != "golang" || req.MaxResults != 5 {
			http.Error(w, "bad body "+string(body), http.StatusBadRequest)
			return
		}
		fmt.Fprint(w, `{"query":"golang","answer":null,"images":[],"results":[
			{"title":"Tavily hit","url":"https://go.dev/doc","content":"Documentation","score":0.9,"raw_content":null}],"response_time":0.5}`)
	})
	mux.HandleFunc("GET /searx/search", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("format") != "json" {
			http.Error(w, "Forbidden", http.StatusForbidden)
			return
		}
		var results []string
		for i := 1; i <= 8; i++ {
			results = append(results, fmt.Sprintf(`{"url":"https://r%d.example/","title":"Result %d","content":"snippet %d","engine":"duckduckgo","score":1}`, i, i, i))
		}
		fmt.Fprintf(w, `{"query":%q,"number_of_results":8,"results":[%s],"answers":[],"suggestions":[]}`, r.URL.Query().Get("q"), strings.Join(results, ","))
	})
	mux.HandleFunc("GET /nojson/search", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "Forbidden", http.StatusForbidden)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func fakeEnv(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestSearch(t *testing.T) {
	t.Parallel()
	srv := searchAPIs(t)
	tests := []struct {
		name    string
		vars    map[string]string
		args    obj
		want    string
		isError bool
	}{
		{"brave", map[string]string{EnvBrave: "brave-key", EnvTavily: "tvly-key"}, obj{"query": "golang", "limit": 2},
			"1. Go brave\n   https://go.dev/\n   The Go programming language\n2. Second\n   https://example.com/2\n", false},
		{"tavily", map[string]string{EnvTavily: "tvly-key", EnvSearXNG: srv.URL + "/searx"}, obj{"query": "golang"},
			"1. Tavily hit\n   https://go.dev/doc\n   Documentation\n", false},
		{"searxng capped to limit", map[string]string{EnvSearXNG: srv.URL + "/searx/"}, obj{"query": "golang", "limit": 2},
			"1. Result 1\n   https://r1.example/\n   snippet 1\n2. Result 2\n   https://r2.example/\n   snippet 2\n", false},
		{"searxng default limit", map[string]string{EnvSearXNG: srv.URL + "/searx"}, obj{"query": "golang"}, "5. Result 5\n", false},
		{"searxng without json", map[string]string{EnvSearXNG: srv.URL + "/nojson"}, obj{"query": "x"}, "SearXNG: the API answered 403 Forbidden; enable the json format", true},
		{"searxng bad url", map[string]string{EnvSearXNG: "localhost:8888"}, obj{"query": "x"}, "is not an http(s) URL", true},
		{"bad key", map[string]string{EnvBrave: "wrong"}, obj{"query": "x", "limit": 2}, "Brave Search: the API answered 401 Unauthorized; check BRAVE_API_KEY", true},
		{"rate limited", map[string]string{EnvBrave: "limited"}, obj{"query": "x"}, "rate limited (429 Too Many Requests)", true},
		{"not json", map[string]string{EnvBrave: "garbage"}, obj{"query": "x"}, "the answer is not the expected JSON", true},
		{"none configured", nil, obj{"query": "x"}, "no search backend is configured; set BRAVE_API_KEY, TAVILY_API_KEY or SEARXNG_URL", true},
		{"no query", map[string]string{EnvBrave: "brave-key"}, obj{"query": "  "}, "query is missing", true},
		{"limit too big", map[string]string{EnvBrave: "brave-key"}, obj{"query": "x", "limit": 50}, "limit 50 is out of range", true},
		{"bad arguments", map[string]string{EnvBrave: "brave-key"}, obj{"query": 5}, "bad arguments", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tool := Search{getenv: fakeEnv(tt.vars), braveURL: srv.URL, tavilyURL: srv.URL}
			m := call(t, &tools.Env{Home: t.TempDir()}, tool, tt.args)
			if m.IsError != tt.isError || !strings.Contains(m.Content, tt.want) {
				t.Errorf("got (error %v):\n%s\nwant:\n%s", m.IsError, m.Content, tt.want)
			}
			if !tt.isError && strings.HasPrefix(tt.want, "1.") && m.Content != tt.want {
				t.Errorf("got:\n%q\nwant exactly:\n%q", m.Content, tt.want)
			}
		})
	}
}

// TestSearchKeyFromHomeEnv: with nothing in the process environment the
// key comes from the home's .env.
func TestSearchKeyFromHomeEnv(t *testing.T) {
	t.Parallel()
	srv := searchAPIs(t)
	home := t.TempDir()
	if err := os.WriteFile(filepath.Join(home, ".env"), []byte("# keys\nTAVILY_API_KEY=tvly-key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tool := Search{getenv: fakeEnv(nil), tavilyURL: srv.URL}
	m := call(t, &tools.Env{Home: home}, tool, obj{"query": "golang"})
	if m.IsError || !strings.Contains(m.Content, "Tavily hit") {
		t.Fatalf("%+v", m)
	}
	// the process environment wins over .env
	tool.getenv = fakeEnv(map[string]string{EnvTavily: "wrong"})
	if m := call(t, &tools.Env{Home: home}, tool, obj{"query": "golang"}); !m.IsError || !strings.Contains(m.Content, "check TAVILY_API_KEY") {
		t.Fatalf("%+v", m)
	}
}
