package runtime

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hermes-go/hermes/internal/llm"
)

// titleLimit is the longest title kept, in characters.
const titleLimit = 60

// titleFrom names a session after its first user message: the first line,
// whitespace folded, cut at a word boundary.
func titleFrom(text string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(text), "\n")
	line = strings.Join(strings.Fields(line), " ")
	if utf8.RuneCountInString(line) <= titleLimit {
		return line
	}
	r := []rune(line)[:titleLimit]
	cut := string(r)
	if i := strings.LastIndexByte(cut, ' '); i > titleLimit/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,.;:") + "…"
}

// autoTitle names a session that has none when its first user message is
// stored (sessions.auto_title): at once after the message, and, when
// auxiliary.title names a model, with that model's better title in the
// background (a failure keeps the first one).
func (r recorder) autoTitle(ctx context.Context, id string, msgs []llm.Message) {
	if !r.rt.o.Config.Sessions.AutoTitle {
		return
	}
	var first string
	for _, m := range msgs {
		if m.Role == llm.RoleUser && strings.TrimSpace(m.Content) != "" {
			first = m.Content
			break
		}
	}
	if first == "" {
		return
	}
	s, err := r.rt.Store.Session(ctx, id)
	if err != nil || s.Title != "" {
		return
	}
	if err := r.rt.Store.SetTitle(ctx, id, titleFrom(first)); err != nil {
		return
	}
	if r.rt.o.Config.Auxiliary.Title.Provider == "" || r.rt.o.Aux == nil {
		return
	}
	r.rt.goBackground(func(ctx context.Context) { r.modelTitle(ctx, id, first) })
}

// modelTitle asks the title model for a short name of the conversation.
// ctx ends when the runtime closes.
func (r recorder) modelTitle(ctx context.Context, id, first string) {
	router, err := r.rt.o.Aux("title")
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	zero := 0.0
	resp, err := router.Chat(ctx, llm.Request{
		System:      "Name this conversation in at most six words. Answer with the name only, no quotes, no punctuation at the end.",
		Messages:    []llm.Message{{Role: llm.RoleUser, Content: first}},
		MaxTokens:   24,
		Temperature: &zero,
	}, nil)
	if err != nil {
		return
	}
	if t := titleFrom(strings.Trim(resp.Text, "\"' \n")); t != "" {
		_ = r.rt.Store.SetTitle(ctx, id, t)
	}
}
