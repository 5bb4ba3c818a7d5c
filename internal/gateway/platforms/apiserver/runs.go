package apiserver

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/hermes-go/hermes/internal/gateway/platform"
	"github.com/hermes-go/hermes/internal/redact"
)

// runRequest starts an asynchronous turn.
type runRequest struct {
	Input        json.RawMessage `json:"input"`
	Instructions string          `json:"instructions"`
	SessionID    string          `json:"session_id"`
}

// bodyHash is the hash of a JSON body in canonical form (keys sorted,
// no insignificant space), so a client's re-encoding is the same body.
func bodyHash(body []byte) (string, error) {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return "", err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:]), nil
}

// startRun answers POST /v1/runs: 202 with a new run, or, for an
// Idempotency-Key seen in the last 24 hours, 200 with that key's run when
// the body is the same and 409 when it differs.
func (s *Server) startRun(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var req runRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_request", "invalid JSON body: "+err.Error())
		return
	}
	text, err := inputText(req.Input)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_request", err.Error())
		return
	}
	session := req.SessionID
	if session == "" {
		if session, err = sessionFromHeader(r); err != nil {
			writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_session_id", err.Error())
			return
		}
	} else if !validID(session) {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_session_id", "session_id must be 1 to 128 characters of letters, digits, '-', '_', '.' or ':'")
		return
	}
	if session == "" {
		session = newID("run-")
	}
	key := strings.TrimSpace(r.Header.Get(idempotencyKey))
	if len(key) > 255 {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_idempotency_key", "Idempotency-Key is longer than 255 characters")
		return
	}
	hash, _ := bodyHash(body) // the body parsed above
	s.runMu.Lock()
	defer s.runMu.Unlock()
	if s.closed {
		writeError(w, http.StatusServiceUnavailable, "server_error", "shutting_down", "the API server is stopping; retry with the same Idempotency-Key")
		return
	}
	if key != "" {
		prevHash, runID, found, err := s.st.idempotent(r.Context(), key, s.now().Add(-idempotencyTTL))
		if err != nil {
			s.storeError(w, err)
			return
		}
		if found && prevHash != hash {
			writeError(w, http.StatusConflict, "invalid_request_error", "idempotency_key_conflict", "Idempotency-Key was used in the last 24 hours with a different body")
			return
		}
		if found {
			rec, ok, err := s.st.run(r.Context(), runID)
			if err != nil || !ok {
				s.storeError(w, errors.Join(err, errors.New("run "+runID+" of an idempotency key is missing")))
				return
			}
			w.Header().Set("Idempotent-Replayed", "true")
			writeJSON(w, http.StatusOK, runJSON(rec))
			return
		}
	}
	rec := runRecord{ID: newID("run_"), SessionID: session, Status: "running", CreatedAt: s.now().Unix()}
	if err := s.st.insertRun(r.Context(), rec, key, hash); err != nil {
		s.storeError(w, err)
		return
	}
	s.runs.Add(1)
	go s.execRun(rec, platform.TurnRequest{SessionKey: sessionKeyPrefix + session, Text: text, System: req.Instructions, Source: Name})
	w.Header().Set(sessionHeader, session)
	writeJSON(w, http.StatusAccepted, runJSON(rec))
}

// execRun runs the turn of a run and records its end.
func (s *Server) execRun(rec runRecord, req platform.TurnRequest) {
	defer s.runs.Done()
	ctx, cancel := context.WithTimeout(s.base, s.timeout)
	defer cancel()
	res, err := s.agent.Turn(ctx, req)
	rec.CompletedAt = s.now().Unix()
	if err != nil {
		rec.Status, rec.Error = "failed", redact.Default().String(err.Error())
		s.logf("api_server: run %s failed: %s", rec.ID, rec.Error)
	} else {
		rec.Status, rec.Output = "completed", res.Text
		rec.InputTokens, rec.OutputTokens = res.InputTokens, res.OutputTokens
	}
	if err := s.st.finishRun(context.Background(), rec); err != nil {
		s.logf("api_server: record run %s: %v", rec.ID, err)
	}
}

func (s *Server) getRun(w http.ResponseWriter, r *http.Request) {
	rec, found, err := s.st.run(r.Context(), r.PathValue("id"))
	if err != nil {
		s.storeError(w, err)
		return
	}
	if !found {
		writeError(w, http.StatusNotFound, "invalid_request_error", "not_found", "no run "+r.PathValue("id"))
		return
	}
	w.Header().Set(sessionHeader, rec.SessionID)
	writeJSON(w, http.StatusOK, runJSON(rec))
}

func runJSON(r runRecord) map[string]any {
	m := map[string]any{
		"id": r.ID, "run_id": r.ID, "object": "hermes.run", "status": r.Status,
		"session_id": r.SessionID, "created_at": r.CreatedAt,
	}
	if r.CompletedAt != 0 {
		m["completed_at"] = r.CompletedAt
		m["output"] = r.Output
		m["usage"] = map[string]int{"input_tokens": r.InputTokens, "output_tokens": r.OutputTokens, "total_tokens": r.InputTokens + r.OutputTokens}
	}
	if r.Error != "" {
		m["error"] = map[string]string{"message": r.Error}
	}
	return m
}
