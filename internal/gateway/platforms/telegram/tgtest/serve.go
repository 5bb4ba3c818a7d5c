package tgtest

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

type params map[string]json.RawMessage

// serve routes /bot{token}/METHOD.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	token, method, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 || method == "" {
		reply(w, http.StatusNotFound, response{ErrorCode: 404, Description: "Not Found"})
		return
	}
	if token != s.token {
		reply(w, http.StatusUnauthorized, response{ErrorCode: 401, Description: "Unauthorized"})
		return
	}
	p, err := readParams(r)
	if err != nil {
		reply(w, http.StatusBadRequest, response{ErrorCode: 400, Description: "Bad Request: " + err.Error()})
		return
	}
	s.mu.Lock()
	s.calls[method]++
	s.params = append(s.params, Call{Method: method, Params: p})
	var fail *Failure
	if fs := s.failures[method]; len(fs) > 0 {
		fail = &fs[0]
		s.failures[method] = fs[1:]
	}
	s.notifyLocked()
	s.mu.Unlock()
	if fail != nil {
		s.fail(w, *fail)
		return
	}
	var res any
	switch method {
	case "getMe":
		res, err = s.Me(), nil
	case "getUpdates":
		s.getUpdates(w, r, p)
		return
	case "sendMessage":
		res, err = s.sendMessage(p)
	case "editMessageText":
		res, err = s.editMessageText(p)
	case "sendChatAction":
		res, err = s.sendChatAction(p)
	case "answerCallbackQuery":
		res, err = s.answerCallbackQuery(p)
	case "deleteWebhook":
		s.SetWebhook("")
		res, err = true, nil
	default:
		reply(w, http.StatusNotFound, response{ErrorCode: 404, Description: "Not Found: method not found"})
		return
	}
	if err != nil {
		reply(w, http.StatusBadRequest, response{ErrorCode: 400, Description: "Bad Request: " + err.Error()})
		return
	}
	reply(w, http.StatusOK, response{OK: true, Result: res})
}

func (s *Server) fail(w http.ResponseWriter, f Failure) {
	if f.Code == 0 {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
		f.Code = http.StatusBadGateway
	}
	desc := f.Description
	if desc == "" {
		desc = http.StatusText(f.Code)
	}
	resp := response{ErrorCode: f.Code, Description: desc}
	if f.RetryAfter > 0 || f.MigrateTo != 0 {
		resp.Parameters = &parameters{RetryAfter: f.RetryAfter, MigrateToChatID: f.MigrateTo}
	}
	reply(w, f.Code, resp)
}

func reply(w http.ResponseWriter, code int, r response) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(r)
}

// readParams reads a JSON body, a urlencoded or multipart form, or the
// query. Form values that are JSON (numbers, objects) are kept as JSON,
// others become JSON strings.
func readParams(r *http.Request) (params, error) {
	p := params{}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			return nil, err
		}
		if len(strings.TrimSpace(string(body))) > 0 {
			if err := json.Unmarshal(body, &p); err != nil {
				return nil, fmt.Errorf("can't parse JSON: %v", err)
			}
		}
		addValues(p, r.URL.Query())
		return p, nil
	case "multipart/form-data":
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			return nil, err
		}
		addValues(p, r.MultipartForm.Value)
	default:
		if err := r.ParseForm(); err != nil {
			return nil, err
		}
		addValues(p, r.Form)
	}
	addValues(p, r.URL.Query())
	return p, nil
}

func addValues(p params, v url.Values) {
	for k, vs := range v {
		if len(vs) == 0 || p[k] != nil {
			continue
		}
		raw := json.RawMessage(vs[0])
		if !json.Valid(raw) {
			raw, _ = json.Marshal(vs[0])
		}
		p[k] = raw
	}
}

func (p params) str(k string) string {
	raw, ok := p[k]
	if !ok {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

func (p params) num(k string) (int64, bool) {
	s := p.str(k)
	if s == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

func (p params) obj(k string, v any) error {
	raw, ok := p[k]
	if !ok {
		return nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		raw = json.RawMessage(s)
	}
	return json.Unmarshal(raw, v)
}

// getUpdates applies the offset, then answers at once when updates are
// pending or waits up to timeout seconds for one.
func (s *Server) getUpdates(w http.ResponseWriter, r *http.Request, p params) {
	timeout, _ := p.num("timeout")
	limit, ok := p.num("limit")
	if !ok || limit <= 0 || limit > 100 {
		limit = 100
	}
	me := make(chan struct{})
	s.mu.Lock()
	if s.webhook != "" {
		s.mu.Unlock()
		reply(w, http.StatusConflict, response{ErrorCode: 409,
			Description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"})
		return
	}
	if off, ok := p.num("offset"); ok && off != 0 {
		s.confirmLocked(int(off))
	}
	if s.poller != nil {
		close(s.poller)
	}
	s.poller = me
	s.notifyLocked()
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		if s.poller == me {
			s.poller = nil
		}
		s.mu.Unlock()
	}()
	timer := time.NewTimer(time.Duration(timeout) * time.Second)
	defer timer.Stop()
	for {
		s.mu.Lock()
		n := min(int(limit), len(s.updates))
		ups := append([]Update{}, s.updates[:n]...)
		ch := s.changed
		s.mu.Unlock()
		if n > 0 || timeout <= 0 {
			reply(w, http.StatusOK, response{OK: true, Result: ups})
			return
		}
		select {
		case <-ch:
		case <-me:
			reply(w, http.StatusConflict, response{ErrorCode: 409,
				Description: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"})
			return
		case <-timer.C:
			reply(w, http.StatusOK, response{OK: true, Result: []Update{}})
			return
		case <-r.Context().Done():
			return
		}
	}
}

// confirmLocked forgets updates below off; a negative off keeps the last
// -off updates, as Telegram does.
func (s *Server) confirmLocked(off int) {
	if off < 0 {
		keep := -off
		if keep < len(s.updates) {
			s.updates = s.updates[len(s.updates)-keep:]
		}
		if len(s.updates) > 0 {
			off = s.updates[0].UpdateID
		} else {
			off = s.nextUpd
		}
	}
	i := 0
	for i < len(s.updates) && s.updates[i].UpdateID < off {
		i++
	}
	s.updates = append([]Update(nil), s.updates[i:]...)
	if off > s.offset {
		s.offset = off
	}
}
