package chat

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/hermes-go/hermes/internal/agent"
	"github.com/hermes-go/hermes/internal/llmtest"
	"github.com/hermes-go/hermes/internal/redact"
)

// leakKey is an API key the model repeats; its body must never be shown.
const leakKey = "sk-proj-" + "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAB7cDE0f"

func leakServer(t *testing.T, times int) *llmtest.Server {
	t.Helper()
	return llmtest.New(t, llmtest.Script{Steps: []llmtest.Step{
		// ChunkSize 5 splits the key across many deltas.
		{Times: times, Response: llmtest.Response{Text: "Your key is " + leakKey + " so keep it safe.\nDone.", ChunkSize: 5}},
	}})
}

func checkMasked(t *testing.T, what, got string) {
	t.Helper()
	if strings.Contains(got, leakKey[8:]) || strings.Contains(got, leakKey[12:30]) {
		t.Errorf("%s shows the key:\n%s", what, got)
	}
	if !strings.Contains(got, "so keep it safe.") || !strings.Contains(got, "Done.") {
		t.Errorf("%s lost the answer around the key:\n%s", what, got)
	}
}

func TestREPLMasksStreamedSecret(t *testing.T) {
	t.Parallel()
	o := testOptions(t, leakServer(t, 1))
	out := &syncBuffer{}
	o.Stdout = out
	o.Stdin = strings.NewReader("what is my key?\n")
	if err := REPL(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	checkMasked(t, "the REPL", out.String())
}

func TestOnceMasksSecret(t *testing.T) {
	t.Parallel()
	srv := leakServer(t, 3)
	for _, format := range []string{FormatText, FormatJSON, FormatStreamJSON} {
		o := testOptions(t, srv)
		var out, errOut bytes.Buffer
		o.Stdout, o.Stderr = &out, &errOut
		if err := Once(context.Background(), o, "what is my key?", format); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		checkMasked(t, format+" stdout", out.String())
		checkMasked(t, format+" stdout and stderr", out.String()+errOut.String())
		if format != FormatStreamJSON {
			continue
		}
		// The text events joined: a key split across deltas must not
		// reappear when a consumer concatenates them.
		var text strings.Builder
		sc := bufio.NewScanner(&out)
		for sc.Scan() {
			var ev StreamEvent
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
				t.Fatalf("stream-json line %q: %v", sc.Text(), err)
			}
			if ev.Type == "text" {
				text.WriteString(ev.Text)
			}
		}
		checkMasked(t, "the stream-json text events", text.String())
	}
}

func TestRendererMasksSplitSecret(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	r := newRenderer(&b, &b, redact.Default(), ProgressAll, false)
	text := "key: " + leakKey + " so keep it safe.\nDone."
	for i := 0; i < len(text); i += 3 {
		r.on(agent.Event{Kind: agent.EventText, Text: text[i:min(i+3, len(text))]})
	}
	r.endTurn()
	checkMasked(t, "the renderer", b.String())
}

// toolLeakServer: the model runs a terminal command whose arguments carry
// the key, so the tool progress line would show it, then answers.
func toolLeakServer(t *testing.T) *llmtest.Server {
	t.Helper()
	return llmtest.New(t, llmtest.Script{Steps: []llmtest.Step{
		{Match: llmtest.Match{ToolResult: true}, Times: -1, Response: llmtest.Response{Text: "The command so keep it safe.\nDone."}},
		{Times: -1, Response: llmtest.Response{ToolCalls: []llmtest.ToolCall{
			{ID: "c1", Name: "terminal", Arguments: `{"command": "echo OPENAI_API_KEY=` + leakKey + `"}`},
			{ID: "c2", Name: "terminal", Arguments: `{"command": "echo ` + leakKey + `"}`},
		}}},
	}})
}

// TestToolProgressMasksSecret: the tool progress lines (⚙ terminal
// command=...) and tool events never show a key, in the REPL and in every
// -q format, on stdout and stderr.
func TestToolProgressMasksSecret(t *testing.T) {
	t.Parallel()
	t.Run("repl", func(t *testing.T) {
		t.Parallel()
		o := testOptions(t, toolLeakServer(t))
		o.Config.Display.ToolProgress = ProgressAll
		out := &syncBuffer{}
		o.Stdout = out
		o.Stdin = strings.NewReader("run the command\n")
		if err := REPL(context.Background(), o); err != nil {
			t.Fatal(err)
		}
		checkMasked(t, "the REPL", out.String())
		if !strings.Contains(out.String(), "⚙ terminal") {
			t.Errorf("the REPL shows no tool progress line:\n%s", out.String())
		}
	})
	for _, format := range []string{FormatText, FormatJSON, FormatStreamJSON} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			o := testOptions(t, toolLeakServer(t))
			o.Config.Display.ToolProgress = ProgressAll
			var out, errOut bytes.Buffer
			o.Stdout, o.Stderr = &out, &errOut
			if err := Once(context.Background(), o, "run the command", format); err != nil {
				t.Fatalf("%s: %v", format, err)
			}
			all := out.String() + errOut.String()
			checkMasked(t, format+" stdout and stderr", all)
			if !strings.Contains(all, "terminal") || !strings.Contains(all, "OPENAI_API_KEY") {
				t.Errorf("%s: the tool call is not shown at all:\n%s", format, all)
			}
		})
	}
}
