// Package clarify owns the clarify tool: the model asks the user a
// question, optionally with choices, through tools.Env.Ask, and waits for
// the answer. Where nobody can answer (cron, one-shot runs) it tells the
// model to go on with its best judgement.
package clarify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hermes-go/hermes/internal/tools"
)

func init() { tools.Default.Register(Tool{}) }

// Limits of one question.
const (
	MaxChoices  = 10
	MaxQuestion = 2000 // characters
	MaxChoice   = 200  // characters of one choice
)

// Tool is the clarify tool.
type Tool struct{}

var _ tools.Tool = Tool{}

// Name returns "clarify".
func (Tool) Name() string { return "clarify" }

// Toolset returns "clarify".
func (Tool) Toolset() string { return "clarify" }

// Description tells the model when to ask.
func (Tool) Description() string {
	return "Ask the user a question and wait for the answer, when the request is ambiguous or a decision is theirs. " +
		"Give choices when the answer is one of a few options (the user may still answer freely). Ask one question at a time."
}

// Schema is the JSON Schema of the arguments.
func (Tool) Schema() json.RawMessage {
	return json.RawMessage(`{"type":"object","properties":{` +
		`"question":{"type":"string","description":"the question, complete and self-contained"},` +
		`"choices":{"type":"array","items":{"type":"string"},"maxItems":10,"description":"optional answers to offer"}` +
		`},"required":["question"],"additionalProperties":false}`)
}

type args struct {
	Question string   `json:"question"`
	Choices  []string `json:"choices"`
}

// Run puts the question to the user.
func (Tool) Run(ctx context.Context, env *tools.Env, raw json.RawMessage) (tools.Result, error) {
	var a args
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(&a); err != nil {
		return tools.Errorf("clarify: bad arguments (%s); send {\"question\": \"...\", \"choices\": [\"...\"]}",
			strings.Join(strings.Fields(err.Error()), " ")), nil
	}
	question, choices, err := validate(a)
	if err != nil {
		return tools.Errorf("clarify: %v", err), nil
	}
	if env == nil || env.Ask == nil {
		return tools.Errorf("nobody can answer questions in this session (it runs unattended); " +
			"proceed with your best judgement and state the assumption you made"), nil
	}
	answer, err := env.Ask(ctx, question, choices)
	if err != nil {
		if ctx.Err() != nil {
			return tools.Result{}, err
		}
		return tools.Errorf("the question could not be put to the user (%s); proceed with your best judgement and state the assumption you made",
			strings.Join(strings.Fields(err.Error()), " ")), nil
	}
	answer = strings.TrimSpace(answer)
	if answer == "" {
		return tools.Result{Content: "the user gave no answer; proceed with your best judgement and state the assumption you made"}, nil
	}
	return tools.Result{Content: "the user answered: " + answer}, nil
}

func validate(a args) (string, []string, error) {
	q := strings.TrimSpace(a.Question)
	switch {
	case q == "":
		return "", nil, fmt.Errorf("the question is empty; pass it in \"question\"")
	case len([]rune(q)) > MaxQuestion:
		return "", nil, fmt.Errorf("the question is over %d characters; ask something shorter", MaxQuestion)
	case len(a.Choices) > MaxChoices:
		return "", nil, fmt.Errorf("%d choices is over the limit of %d; offer fewer", len(a.Choices), MaxChoices)
	}
	var out []string
	for i, c := range a.Choices {
		c = strings.TrimSpace(c)
		switch {
		case c == "":
			return "", nil, fmt.Errorf("choice %d is empty", i+1)
		case len([]rune(c)) > MaxChoice:
			return "", nil, fmt.Errorf("choice %d is over %d characters; keep choices short", i+1, MaxChoice)
		}
		for _, prev := range out {
			if strings.EqualFold(prev, c) {
				return "", nil, fmt.Errorf("choice %q is offered twice", c)
			}
		}
		out = append(out, c)
	}
	return q, out, nil
}
