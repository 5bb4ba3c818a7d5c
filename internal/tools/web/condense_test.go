package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/tools"
)

func TestExtractCondensesLongPages(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("The deploy runs on Fridays. ", CondenseOver/20)
	mux := http.NewServeMux()
	mux.HandleFunc("/long", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, long)
	})
	mux.HandleFunc("/short", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, "short page")
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	tool := Extract{allowLoopback: true, timeout: 5 * time.Second}
	ok := func(_ context.Context, instruction, text string) (string, error) {
		if !strings.Contains(instruction, "Condense") || text != long {
			return "", fmt.Errorf("unexpected request: %q, %d characters", instruction, len(text))
		}
		return "Deploys: Fridays.", nil
	}
	fail := func(context.Context, string, string) (string, error) { return "", errors.New("model down") }
	tests := []struct {
		name     string
		path     string
		fn       tools.Summarise
		want     []string
		not      []string
		wantLong bool
	}{
		{"no model", "/long", nil, nil, []string{"condensed"}, true},
		{"condensed", "/long", ok, []string{"[condensed by the auxiliary.web_extract model from", "Deploys: Fridays."}, nil, false},
		{"short page untouched", "/short", ok, []string{"short page"}, []string{"condensed"}, false},
		{"model fails", "/long", fail, []string{"could not condense the page (model down)"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := &tools.Env{Values: &tools.Values{}}
			Configure(env, tt.fn)
			got := call(t, env, tool, obj{"url": srv.URL + tt.path})
			if got.IsError {
				t.Fatalf("error: %s", got.Content)
			}
			for _, w := range tt.want {
				if !strings.Contains(got.Content, w) {
					t.Errorf("result lacks %q:\n%.300s", w, got.Content)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(got.Content, n) {
					t.Errorf("result has %q", n)
				}
			}
			if hasLong := strings.Contains(got.Content, long[:CondenseOver]); hasLong != tt.wantLong {
				t.Errorf("whole page in the result: %v, want %v", hasLong, tt.wantLong)
			}
		})
	}
}
