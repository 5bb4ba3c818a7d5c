package apiserver

import (
	"context"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/responses"
)

func TestResponsesStreaming(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	ctx := context.Background()
	r1, err := f.client.Responses.New(ctx, responses.ResponseNewParams{Model: "hermes", Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("first")}})
	if err != nil {
		t.Fatal(err)
	}
	stream := f.client.Responses.NewStreaming(ctx, responses.ResponseNewParams{
		Model: "hermes", Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("use tools")}, PreviousResponseID: openai.String(r1.ID),
	})
	var deltas strings.Builder
	var types []string
	var completed responses.Response
	tools := 0
	for stream.Next() {
		ev := stream.Current()
		types = append(types, ev.Type)
		switch ev.Type {
		case "response.output_text.delta":
			deltas.WriteString(ev.Delta)
		case "response.completed":
			completed = ev.Response
		case "hermes.tool.progress":
			tools++
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if types[0] != "response.created" || types[len(types)-1] != "response.completed" || tools != 4 {
		t.Fatalf("event types %v", types)
	}
	if !strings.HasPrefix(deltas.String(), "turn 2 of ") || completed.OutputText() != deltas.String() || completed.PreviousResponseID != r1.ID {
		t.Fatalf("deltas %q, completed %s", deltas.String(), completed.RawJSON())
	}
	// The streamed response was stored and continues the same session.
	r3, err := f.client.Responses.New(ctx, responses.ResponseNewParams{Model: "hermes", Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("third")}, PreviousResponseID: openai.String(completed.ID)})
	if err != nil || !strings.HasPrefix(r3.OutputText(), "turn 3 of ") {
		t.Fatalf("after stream: %v %q", err, r3.OutputText())
	}
	fail := f.client.Responses.NewStreaming(ctx, responses.ResponseNewParams{Model: "hermes", Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("fail")}})
	last := ""
	for fail.Next() {
		last = fail.Current().Type
	}
	if last != "response.failed" || fail.Err() != nil {
		t.Fatalf("failed stream ended with %q, err %v", last, fail.Err())
	}
}
