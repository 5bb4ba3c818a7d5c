package apiserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/hermes-go/hermes/internal/gateway/platform"
)

// responsesRequest is what the server reads of a Responses API request.
type responsesRequest struct {
	Model              string          `json:"model"`
	Input              json.RawMessage `json:"input"`
	Instructions       string          `json:"instructions"`
	PreviousResponseID string          `json:"previous_response_id"`
	Store              *bool           `json:"store"`
	Stream             bool            `json:"stream"`
}

// inputText is the turn's text from a Responses input: a string, or the
// last user message of an array of input items.
func inputText(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", errors.New("input is required")
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if strings.TrimSpace(s) == "" {
			return "", errors.New("input has no text")
		}
		return s, nil
	}
	var items []struct {
		Type    string          `json:"type"`
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	}
	if err := json.Unmarshal(raw, &items); err != nil {
		return "", errors.New("input must be a string or an array of input items")
	}
	for i := len(items) - 1; i >= 0; i-- {
		it := items[i]
		if it.Role != "user" || (it.Type != "" && it.Type != "message") {
			continue
		}
		text, err := contentText(it.Content)
		if err != nil {
			return "", fmt.Errorf("input[%d].content: %v", i, err)
		}
		if strings.TrimSpace(text) == "" {
			return "", fmt.Errorf("input[%d] has no text", i)
		}
		return text, nil
	}
	return "", errors.New("input has no user message")
}

func (s *Server) responses(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var req responsesRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_request", "invalid JSON body: "+err.Error())
		return
	}
	text, err := inputText(req.Input)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_request", err.Error())
		return
	}
	session, err := sessionFromHeader(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_session_id", err.Error())
		return
	}
	if req.PreviousResponseID != "" {
		prev, _, found, err := s.st.response(r.Context(), req.PreviousResponseID)
		if err != nil {
			s.storeError(w, err)
			return
		}
		if !found {
			writeError(w, http.StatusNotFound, "invalid_request_error", "previous_response_not_found", "previous_response_id "+req.PreviousResponseID+" is not stored here")
			return
		}
		session = prev
	}
	if session == "" {
		session = newID("resp-")
	}
	model := req.Model
	if model == "" {
		model = s.model
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.timeout)
	defer cancel()
	turn := platform.TurnRequest{SessionKey: sessionKeyPrefix + session, Text: text, System: req.Instructions, Source: Name}
	m := respMeta{id: newID("resp_"), msgID: newID("msg_"), model: model, created: s.now().Unix(), prev: req.PreviousResponseID, instructions: req.Instructions}
	store := req.Store == nil || *req.Store
	w.Header().Set(sessionHeader, session)
	if req.Stream {
		s.streamResponse(ctx, w, turn, m, store)
		return
	}
	res, err := s.agent.Turn(ctx, turn)
	if err != nil {
		s.turnError(w, err)
		return
	}
	b, err := json.Marshal(m.object("completed", res.Text, res))
	if err != nil {
		s.storeError(w, err)
		return
	}
	if store {
		if err := s.st.putResponse(r.Context(), m.id, session, b, s.now()); err != nil {
			s.storeError(w, err)
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

// respMeta is what every form of one response repeats.
type respMeta struct {
	id, msgID, model, prev, instructions string
	created                              int64
}

// object is the Responses API response object.
func (m respMeta) object(status, text string, res platform.TurnResult) map[string]any {
	output := []map[string]any{}
	if status != "in_progress" {
		output = append(output, m.message(status, text))
	}
	o := map[string]any{
		"id": m.id, "object": "response", "created_at": m.created, "status": status, "model": m.model,
		"output": output,
		"usage": map[string]int{
			"input_tokens": res.InputTokens, "output_tokens": res.OutputTokens,
			"total_tokens": res.InputTokens + res.OutputTokens,
		},
		"parallel_tool_calls": false, "tool_choice": "auto", "tools": []any{},
	}
	if m.prev != "" {
		o["previous_response_id"] = m.prev
	}
	if m.instructions != "" {
		o["instructions"] = m.instructions
	}
	return o
}

func (m respMeta) message(status, text string) map[string]any {
	content := []map[string]any{}
	if status != "in_progress" {
		content = append(content, outputText(text))
	}
	return map[string]any{"type": "message", "id": m.msgID, "status": status, "role": "assistant", "content": content}
}

func outputText(text string) map[string]any {
	return map[string]any{"type": "output_text", "text": text, "annotations": []any{}}
}

func (s *Server) getResponse(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	_, body, found, err := s.st.response(r.Context(), id)
	if err != nil {
		s.storeError(w, err)
		return
	}
	if !found {
		writeError(w, http.StatusNotFound, "invalid_request_error", "not_found", "no stored response "+id)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

func (s *Server) storeError(w http.ResponseWriter, err error) {
	s.logf("api_server: store: %v", err)
	writeError(w, http.StatusInternalServerError, "server_error", "store_error", "the API server's store failed: "+err.Error())
}
