package llm

import (
	"sort"
	"strings"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/openai/openai-go/v3"
)

// streamAcc reassembles a streamed response from its deltas and passes
// each delta on as an Event. A stream that ends without a finish reason
// (cut) or with nothing in it (empty) is an error, never a short answer.
type streamAcc struct {
	text, reasoning strings.Builder
	calls           map[int]*ToolCall
	finish          Finish
	usage           Usage
	model           string
	events          int
	blockTool       map[int]int // anthropic: content block index -> tool call index
}

func newStreamAcc() *streamAcc {
	return &streamAcc{calls: map[int]*ToolCall{}, blockTool: map[int]int{}}
}

func (a *streamAcc) addText(s string, on Handler) {
	if s == "" {
		return
	}
	a.events++
	a.text.WriteString(s)
	on(Event{Kind: EventText, Text: s})
}

func (a *streamAcc) addReasoning(s string, on Handler) {
	if s == "" {
		return
	}
	a.events++
	a.reasoning.WriteString(s)
	on(Event{Kind: EventReasoning, Text: s})
}

// addTool records a piece of tool call i: id and name on its first piece.
func (a *streamAcc) addTool(i int, id, name, args string, on Handler) {
	tc, ok := a.calls[i]
	if !ok {
		tc = &ToolCall{}
		a.calls[i] = tc
	}
	if id != "" {
		tc.ID = id
	}
	if name != "" {
		tc.Name += name
	}
	tc.Arguments += args
	a.events++
	on(Event{Kind: EventToolCall, ToolIndex: i, ToolID: id, ToolName: name, Args: args})
}

func (a *streamAcc) openAIChunk(ch openai.ChatCompletionChunk, on Handler) {
	if ch.Model != "" {
		a.model = ch.Model
	}
	if ch.Usage.TotalTokens > 0 || ch.Usage.PromptTokens > 0 {
		a.usage = Usage{InputTokens: int(ch.Usage.PromptTokens), OutputTokens: int(ch.Usage.CompletionTokens), CacheReadTokens: int(ch.Usage.PromptTokensDetails.CachedTokens)}
	}
	for _, c := range ch.Choices {
		if c.Index != 0 {
			continue
		}
		a.addText(c.Delta.Content, on)
		if r, ok := c.Delta.JSON.ExtraFields["reasoning_content"]; ok {
			a.addReasoning(unquoteJSON(r.Raw()), on)
		}
		for _, tc := range c.Delta.ToolCalls {
			a.addTool(int(tc.Index), tc.ID, tc.Function.Name, tc.Function.Arguments, on)
		}
		if c.FinishReason != "" {
			a.finish = openAIFinish(c.FinishReason)
		}
	}
}

func (a *streamAcc) anthropicEvent(ev anthropic.MessageStreamEventUnion, on Handler) {
	switch e := ev.AsAny().(type) {
	case anthropic.MessageStartEvent:
		a.model = string(e.Message.Model)
		a.usage.InputTokens = int(e.Message.Usage.InputTokens)
		a.usage.CacheReadTokens = int(e.Message.Usage.CacheReadInputTokens)
		a.usage.CacheWriteTokens = int(e.Message.Usage.CacheCreationInputTokens)
	case anthropic.ContentBlockStartEvent:
		if tu, ok := e.ContentBlock.AsAny().(anthropic.ToolUseBlock); ok {
			i := len(a.blockTool)
			a.blockTool[int(e.Index)] = i
			a.addTool(i, tu.ID, tu.Name, "", on)
		}
	case anthropic.ContentBlockDeltaEvent:
		switch d := e.Delta.AsAny().(type) {
		case anthropic.TextDelta:
			a.addText(d.Text, on)
		case anthropic.ThinkingDelta:
			a.addReasoning(d.Thinking, on)
		case anthropic.InputJSONDelta:
			if i, ok := a.blockTool[int(e.Index)]; ok {
				a.addTool(i, "", "", d.PartialJSON, on)
			}
		}
	case anthropic.MessageDeltaEvent:
		a.finish = anthropicFinish(string(e.Delta.StopReason))
		a.usage.OutputTokens = int(e.Usage.OutputTokens)
	}
}

// result checks the stream was whole and returns the response.
func (a *streamAcc) result(e Endpoint) (*Response, error) {
	if a.finish == "" {
		msg := "the stream ended before the response was complete"
		if a.events == 0 {
			msg = "the stream was empty"
		}
		return nil, &Error{Endpoint: e.Label(), Kind: KindInvalidResponse, Message: msg}
	}
	out := &Response{Text: a.text.String(), Reasoning: a.reasoning.String(), Finish: a.finish, Usage: a.usage, Model: a.model}
	idx := make([]int, 0, len(a.calls))
	for i := range a.calls {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	for _, i := range idx {
		tc := *a.calls[i]
		if tc.Arguments == "" {
			tc.Arguments = "{}"
		}
		out.ToolCalls = append(out.ToolCalls, tc)
	}
	return out, nil
}

func unquoteJSON(raw string) string {
	if len(raw) >= 2 && raw[0] == '"' {
		var s string
		if err := jsonUnmarshalString(raw, &s); err == nil {
			return s
		}
	}
	return ""
}
