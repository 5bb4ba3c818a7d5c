package apiserver

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/hermes-go/hermes/internal/gateway/platform"
)

// streamResponse runs a Responses turn as the Responses API streams it:
// response.created, response.output_item.added, response.content_part.added,
// response.output_text.delta per text delta, then the matching .done
// events and response.completed (or response.failed); each event carries
// type and sequence_number. Tool progress goes out as
// "event: hermes.tool.progress" with the chat stream's fields plus type.
// The completed response is stored when store is true.
func (s *Server) streamResponse(ctx context.Context, w http.ResponseWriter, turn platform.TurnRequest, m respMeta, store bool) {
	q := newEventQueue()
	turn.Events = q.push
	type outcome struct {
		res platform.TurnResult
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := s.agent.Turn(ctx, turn)
		q.close()
		done <- outcome{res, err}
	}()
	out := newSSE(w)
	seq := 0
	emit := func(typ string, fields map[string]any) error {
		fields["type"], fields["sequence_number"] = typ, seq
		seq++
		return out.send(typ, fields)
	}
	none := platform.TurnResult{}
	_ = emit("response.created", map[string]any{"response": m.object("in_progress", "", none)})
	_ = emit("response.output_item.added", map[string]any{"output_index": 0, "item": m.message("in_progress", "")})
	_ = emit("response.content_part.added", map[string]any{"output_index": 0, "content_index": 0, "item_id": m.msgID, "part": outputText("")})
	_ = out.flush()
	var text strings.Builder
	tools := toolCalls{}
	broken := out.pump(ctx, q, func(ev platform.Event) error {
		switch ev.Kind {
		case "text":
			if ev.Text != "" {
				text.WriteString(ev.Text)
				return emit("response.output_text.delta", map[string]any{"output_index": 0, "content_index": 0, "item_id": m.msgID, "delta": ev.Text, "logprobs": []any{}})
			}
		case "tool", "tool_done":
			p := tools.progress(ev)
			p["type"] = "hermes.tool.progress"
			return out.send("hermes.tool.progress", p)
		}
		return nil
	})
	o := <-done
	if broken {
		return
	}
	if o.err != nil {
		s.logf("api_server: streamed response failed: %v", o.err)
		failed := m.object("failed", text.String(), none)
		msg, code := "agent turn failed", "agent_error"
		if errors.Is(o.err, context.DeadlineExceeded) {
			msg, code = "the agent did not finish in time", "timeout"
		}
		failed["error"] = map[string]string{"code": code, "message": msg}
		_ = emit("response.failed", map[string]any{"response": failed})
		_ = out.flush()
		return
	}
	final := text.String()
	if final == "" {
		final = o.res.Text
		if final != "" {
			_ = emit("response.output_text.delta", map[string]any{"output_index": 0, "content_index": 0, "item_id": m.msgID, "delta": final, "logprobs": []any{}})
		}
	}
	_ = emit("response.output_text.done", map[string]any{"output_index": 0, "content_index": 0, "item_id": m.msgID, "text": final, "logprobs": []any{}})
	_ = emit("response.content_part.done", map[string]any{"output_index": 0, "content_index": 0, "item_id": m.msgID, "part": outputText(final)})
	_ = emit("response.output_item.done", map[string]any{"output_index": 0, "item": m.message("completed", final)})
	completed := m.object("completed", final, o.res)
	if store {
		if b, err := json.Marshal(completed); err == nil {
			if err := s.st.putResponse(context.WithoutCancel(ctx), m.id, strings.TrimPrefix(turn.SessionKey, sessionKeyPrefix), b, s.now()); err != nil {
				s.logf("api_server: store response %s: %v", m.id, err)
			}
		}
	}
	_ = emit("response.completed", map[string]any{"response": completed})
	_ = out.flush()
}
