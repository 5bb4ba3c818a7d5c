package apiserver

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

type runJSONResp struct {
	ID        string `json:"id"`
	RunID     string `json:"run_id"`
	Status    string `json:"status"`
	Output    string `json:"output"`
	SessionID string `json:"session_id"`
	Error     *struct {
		Message string `json:"message"`
	} `json:"error"`
}

func (f *fixture) startRun(t *testing.T, body map[string]any, key string) (runJSONResp, *http.Response, error) {
	t.Helper()
	var out runJSONResp
	var resp *http.Response
	opts := []option.RequestOption{option.WithResponseInto(&resp)}
	if key != "" {
		opts = append(opts, option.WithHeader("Idempotency-Key", key))
	}
	err := f.client.Post(context.Background(), "runs", body, &out, opts...)
	return out, resp, err
}

// poll reads a run until it is no longer running, or fails at the deadline.
func (f *fixture) poll(t *testing.T, id string) runJSONResp {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var out runJSONResp
		if err := f.client.Get(context.Background(), "runs/"+id, nil, &out); err != nil {
			t.Fatal(err)
		}
		if out.Status != "running" {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %s still running at the deadline", id)
		}
		time.Sleep(5 * time.Millisecond) // polling, not synchronisation
	}
}

func TestRunsIdempotency(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	body := map[string]any{"input": "do it", "session_id": "job-1"}
	r1, resp1, err := f.startRun(t, body, "key-1")
	if err != nil {
		t.Fatal(err)
	}
	if resp1.StatusCode != 202 || !strings.HasPrefix(r1.ID, "run_") || r1.RunID != r1.ID || r1.SessionID != "job-1" {
		t.Fatalf("start: %d %+v", resp1.StatusCode, r1)
	}
	// The same key and body, re-encoded with another key order: the same run.
	r2, resp2, err := f.startRun(t, map[string]any{"session_id": "job-1", "input": "do it"}, "key-1")
	if err != nil || r2.ID != r1.ID || resp2.StatusCode != 200 || resp2.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %v %+v", err, r2)
	}
	// The same key, another body: 409.
	_, _, err = f.startRun(t, map[string]any{"input": "something else"}, "key-1")
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 409 || apiErr.Code != "idempotency_key_conflict" {
		t.Fatalf("conflict: %v", err)
	}
	// Another key, or none: new runs.
	r3, _, err := f.startRun(t, body, "key-2")
	if err != nil || r3.ID == r1.ID {
		t.Fatalf("other key: %v %+v", err, r3)
	}
	done := f.poll(t, r1.ID)
	if done.Status != "completed" || done.Output != "turn 1 of agent:main:api_server:dm:job-1: do it" && done.Output != "turn 2 of agent:main:api_server:dm:job-1: do it" {
		t.Fatalf("done %+v", done)
	}
	if f.poll(t, r3.ID).Status != "completed" || f.agent.count() != 2 {
		t.Fatalf("turns %d, want 2 (one per distinct run)", f.agent.count())
	}
}

func TestRunsIdempotencyConcurrentAndExpiry(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	var wg sync.WaitGroup
	ids := make([]string, 8)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, _, err := f.startRun(t, map[string]any{"input": "same"}, "burst")
			if err != nil {
				t.Error(err)
			}
			ids[i] = r.ID
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("concurrent same key gave runs %v", ids)
		}
	}
	f.poll(t, ids[0]) // the run has read the clock before the test moves it
	// 25 hours later the key names nothing: a new run.
	f.srv.now = func() time.Time { return time.Now().Add(25 * time.Hour) }
	r, _, err := f.startRun(t, map[string]any{"input": "same"}, "burst")
	if err != nil || r.ID == ids[0] {
		t.Fatalf("after 24 h: %v %s", err, r.ID)
	}
}

func TestRunFailureAndUnknownRun(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	r, _, err := f.startRun(t, map[string]any{"input": "fail"}, "")
	if err != nil {
		t.Fatal(err)
	}
	got := f.poll(t, r.ID)
	if got.Status != "failed" || got.Error == nil || !strings.Contains(got.Error.Message, "the model is down") {
		t.Fatalf("failed run %+v", got)
	}
	var out runJSONResp
	err = f.client.Get(context.Background(), "runs/run_missing", nil, &out)
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 {
		t.Fatalf("unknown run: %v", err)
	}
	for _, body := range []map[string]any{{}, {"input": ""}, {"input": 3}, {"input": "x", "session_id": "a b"}} {
		if _, _, err := f.startRun(t, body, ""); !errors.As(err, &apiErr) || apiErr.StatusCode != 400 {
			t.Fatalf("body %v: %v", body, err)
		}
	}
}

func TestRunCutOffByCloseIsFailedAfterReopen(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	r, _, err := f.startRun(t, map[string]any{"input": "wait"}, "")
	if err != nil {
		t.Fatal(err)
	}
	// The run is waiting for release; a second store on the same file
	// (a restart) marks it failed.
	st, err := openStore(f.srv.st.path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	rec, ok, err := st.run(context.Background(), r.ID)
	if err != nil || !ok || rec.Status != "failed" || !strings.Contains(rec.Error, "interrupted") {
		t.Fatalf("after restart: %+v %v %v", rec, ok, err)
	}
}

func TestStorePrunesOldStateAndClosedRefusesRuns(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	ctx := context.Background()
	old := time.Now().Add(-31 * 24 * time.Hour)
	if err := f.srv.st.putResponse(ctx, "resp_old", "s", []byte(`{}`), old); err != nil {
		t.Fatal(err)
	}
	if err := f.srv.st.putResponse(ctx, "resp_new", "s", []byte(`{}`), time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := f.srv.st.insertRun(ctx, runRecord{ID: "run_old", SessionID: "s", Status: "completed", CreatedAt: old.Unix()}, "k-old", "h"); err != nil {
		t.Fatal(err)
	}
	st, err := openStore(f.srv.st.path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	if _, _, ok, _ := st.response(ctx, "resp_old"); ok {
		t.Fatal("a 31-day-old response was kept")
	}
	if _, _, ok, _ := st.response(ctx, "resp_new"); !ok {
		t.Fatal("a new response was dropped")
	}
	if _, ok, _ := st.run(ctx, "run_old"); ok {
		t.Fatal("a 31-day-old run was kept")
	}
	if _, _, ok, _ := st.idempotent(ctx, "k-old", time.Time{}); ok {
		t.Fatal("an expired idempotency key was kept")
	}
}

func TestStartRunAfterClose(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	f.srv.runMu.Lock()
	f.srv.closed = true
	f.srv.runMu.Unlock()
	_, _, err := f.startRun(t, map[string]any{"input": "late"}, "")
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 503 {
		t.Fatalf("run after close: %v", err)
	}
}
