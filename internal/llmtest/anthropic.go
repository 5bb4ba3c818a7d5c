package llmtest

import (
	"fmt"
	"net/http"
	"strings"
)

// thinkingSignature stands in for the signature of a thinking block.
const thinkingSignature = "bGxtdGVzdC1zaWduYXR1cmU="

func (x *exchange) anthropicID() string { return fmt.Sprintf("msg_llmtest%06d", x.id) }

func (x *exchange) anthropicUsage(output int) obj {
	return obj{{"input_tokens", x.usage().Input}, {"cache_creation_input_tokens", 0},
		{"cache_read_input_tokens", 0}, {"output_tokens", output}, {"service_tier", "standard"}}
}

// anthropicMessage is a message object with the given content and stop.
func (x *exchange) anthropicMessage(content []obj, stop any, output int) obj {
	return obj{{"id", x.anthropicID()}, {"type", "message"}, {"role", "assistant"}, {"model", x.req.Model},
		{"content", content}, {"stop_reason", stop}, {"stop_sequence", nil}, {"usage", x.anthropicUsage(output)}}
}

// anthropicComplete is a non-streaming message body: thinking, text, then
// the tool_use blocks, whose input is the arguments as a compact object, as
// the API writes it.
func (x *exchange) anthropicComplete() []byte {
	content := []obj{}
	if r := x.resp.Reasoning; r != "" {
		content = append(content, obj{{"type", "thinking"}, {"thinking", r}, {"signature", thinkingSignature}})
	}
	if t := x.resp.Text; t != "" {
		content = append(content, obj{{"type", "text"}, {"text", t}})
	}
	for _, tc := range x.toolCalls() {
		content = append(content, obj{{"type", "tool_use"}, {"id", tc.ID}, {"name", tc.Name}, {"input", rawJSON(tc.Arguments)}})
	}
	return marshal(x.anthropicMessage(content, x.resp.finish(apiAnthropic), x.usage().Output))
}

// anthropicStream streams message_start, ping, each content block (start,
// deltas, stop), message_delta and message_stop.
func (x *exchange) anthropicStream() {
	events := []event{
		dataEvent("message_start", obj{{"type", "message_start"}, {"message", x.anthropicMessage([]obj{}, nil, 1)}}, false),
		dataEvent("ping", obj{{"type", "ping"}}, false),
	}
	index := 0
	block := func(start obj, deltaType, field string, pieces []string, extra ...obj) {
		events = append(events, dataEvent("content_block_start",
			obj{{"type", "content_block_start"}, {"index", index}, {"content_block", start}}, false))
		for _, p := range pieces {
			events = append(events, x.anthropicDelta(index, obj{{"type", deltaType}, {field, p}}, true))
		}
		for _, d := range extra {
			events = append(events, x.anthropicDelta(index, d, false))
		}
		events = append(events, dataEvent("content_block_stop", obj{{"type", "content_block_stop"}, {"index", index}}, false))
		index++
	}
	n := x.resp.chunkSize()
	if r := x.resp.Reasoning; r != "" {
		block(obj{{"type", "thinking"}, {"thinking", ""}, {"signature", ""}}, "thinking_delta", "thinking", chunks(r, n),
			obj{{"type", "signature_delta"}, {"signature", thinkingSignature}})
	}
	if t := x.resp.Text; t != "" {
		block(obj{{"type", "text"}, {"text", ""}}, "text_delta", "text", chunks(t, n))
	}
	for _, tc := range x.toolCalls() {
		pieces := chunks(tc.Arguments, n)
		if len(pieces) == 0 {
			pieces = []string{""} // as the API does for a call without arguments
		}
		block(obj{{"type", "tool_use"}, {"id", tc.ID}, {"name", tc.Name}, {"input", obj{}}},
			"input_json_delta", "partial_json", pieces)
	}
	events = append(events,
		dataEvent("message_delta", obj{{"type", "message_delta"},
			{"delta", obj{{"stop_reason", x.resp.finish(apiAnthropic)}, {"stop_sequence", nil}}},
			{"usage", obj{{"output_tokens", x.usage().Output}}}}, false),
		dataEvent("message_stop", obj{{"type", "message_stop"}}, false))
	malformed := event{name: "content_block_delta", data: []byte(`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"trunc`)}
	x.play(events, malformed)
}

func (x *exchange) anthropicDelta(index int, delta obj, content bool) event {
	return dataEvent("content_block_delta", obj{{"type", "content_block_delta"}, {"index", index}, {"delta", delta}}, content)
}

// modelsCreated is the creation time given to every listed model.
const modelsCreated = 1735689600 // 2025-01-01T00:00:00Z

// serveModels answers GET /v1/models and /v1/models/{id} in the format of
// the request's API.
func (x *exchange) serveModels() {
	models := x.srv.models()
	id, one := strings.CutPrefix(x.req.Path, "/v1/models/")
	var list []any
	for _, m := range models {
		if !one || m == id {
			list = append(list, x.modelObject(m))
		}
	}
	switch {
	case one && len(list) == 0:
		x.writeError(http.StatusNotFound, fmt.Sprintf("model: %s", id))
	case one:
		x.writeBody(200, "application/json", marshal(list[0]))
	case x.req.API == apiAnthropic:
		x.writeBody(200, "application/json", marshal(obj{{"data", list}, {"has_more", false},
			{"first_id", models[0]}, {"last_id", models[len(models)-1]}}))
	default:
		x.writeBody(200, "application/json", marshal(obj{{"object", "list"}, {"data", list}}))
	}
}

func (x *exchange) modelObject(id string) obj {
	if x.req.API == apiAnthropic {
		return obj{{"type", "model"}, {"id", id}, {"display_name", id}, {"created_at", "2025-01-01T00:00:00Z"}}
	}
	return obj{{"id", id}, {"object", "model"}, {"created", modelsCreated}, {"owned_by", "llmtest"}}
}
