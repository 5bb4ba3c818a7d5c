package apiserver

import (
	"strings"
	"testing"
)

// FuzzDecodeChat: any body either decodes to a turn with text from a
// user message, or is refused with an error; it never panics.
func FuzzDecodeChat(f *testing.F) {
	for _, s := range []string{
		`{"messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"m","stream":true,"messages":[{"role":"system","content":"s"},{"role":"user","content":[{"type":"text","text":"a"}]}]}`,
		`{"messages":[{"role":"user","content":null}]}`,
		`{"messages":[{"role":"assistant","content":"x"}]}`,
		`{"messages":[{"role":"user","content":[{"type":"image_url"}]}]}`,
		`[]`, `null`, `{"messages":{}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		turn, err := decodeChat(body)
		if err != nil {
			if turn != (chatTurn{}) {
				t.Fatalf("error %v with a turn %+v", err, turn)
			}
			return
		}
		if strings.TrimSpace(turn.Text) == "" {
			t.Fatalf("accepted %q with no text", body)
		}
		if !validID(derivedSession(turn.System, turn.FirstUser)) {
			t.Fatal("derived session id is not a valid session id")
		}
	})
}

// FuzzInputText: Responses and runs input never panics and never yields
// blank text without an error.
func FuzzInputText(f *testing.F) {
	for _, s := range []string{`"hi"`, `[{"role":"user","content":"a"}]`, `[{"type":"message","role":"user","content":[{"type":"input_text","text":"b"}]}]`, `3`, `[{"role":"assistant"}]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		text, err := inputText(raw)
		if err == nil && strings.TrimSpace(text) == "" {
			t.Fatalf("accepted %q with no text", raw)
		}
	})
}
