package matrix

import (
	"context"
	"strconv"
	"strings"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/hermes-go/hermes/internal/gateway/platform"
)

// Matrix has no buttons. A message sent with buttons (an approval
// request) lists them numbered; a user answers with a reaction (the
// keycap of the number) or a reply to it (the number or the button's
// text). Both reach the core as a platform.Callback with the button's
// data, where authorization decides whether the user may answer.

// choice is one button of a prompt this process sent.
type choice struct {
	text, data string
}

// prompt is a message sent with buttons.
type prompt struct {
	thread  string
	choices []choice
}

// keycaps are the reaction keys of choices 1 to 9.
var keycaps = []string{"1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣", "6️⃣", "7️⃣", "8️⃣", "9️⃣"}

// flatten numbers the buttons of rows, at most nine.
func flatten(rows [][]platform.Button) []choice {
	var out []choice
	for _, row := range rows {
		for _, b := range row {
			if len(out) < len(keycaps) && b.Data != "" {
				out = append(out, choice{text: b.Text, data: b.Data})
			}
		}
	}
	return out
}

// choicesText is the line appended to a prompt.
func choicesText(cs []choice) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = keycaps[i] + " " + c.text
	}
	return "React with " + strings.Join(parts, " · ") + " (or reply with the number)."
}

// pick finds the choice a reaction key or a reply's text names: the
// keycap (with or without its variation selector), the number, or the
// button's text, case-insensitive.
func pick(cs []choice, answer string) (choice, bool) {
	answer = strings.TrimSpace(answer)
	bare := strings.ReplaceAll(answer, "\ufe0f", "")
	for i, c := range cs {
		n := strconv.Itoa(i + 1)
		if answer == keycaps[i] || bare == n+"\u20e3" || answer == n || strings.EqualFold(answer, c.text) {
			return c, true
		}
	}
	return choice{}, false
}

func (a *Adapter) remember(ev id.EventID, p prompt) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for k := range a.prompts { // a prompt lives as long as its approval: few at a time
		if len(a.prompts) < maxPrompts {
			break
		}
		delete(a.prompts, k)
	}
	a.prompts[ev] = p
}

// maxPrompts bounds the prompts remembered; the core answers only the
// approval waiting in a session, so an old prompt's answer does nothing.
const maxPrompts = 256

func (a *Adapter) promptOf(ev id.EventID) (prompt, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	p, ok := a.prompts[ev]
	return p, ok
}

// reaction answers a prompt from a reaction on it.
func (s *syncer) reaction(ctx context.Context, evt *event.Event) {
	r := evt.Content.AsReaction()
	if r == nil {
		return
	}
	target := r.RelatesTo.GetAnnotationID()
	p, ok := s.a.promptOf(target)
	if !ok {
		return
	}
	c, ok := pick(p.choices, r.RelatesTo.GetAnnotationKey())
	if !ok {
		return
	}
	s.press(ctx, evt, target, p, c)
}

// approvalReply answers a prompt from a reply to it; false when m is not
// such a reply and goes to the core as a message.
func (s *syncer) approvalReply(ctx context.Context, evt *event.Event, m platform.Message) bool {
	c := evt.Content.AsMessage()
	target := c.RelatesTo.GetNonFallbackReplyTo()
	if target == "" {
		return false
	}
	p, ok := s.a.promptOf(target)
	if !ok {
		return false
	}
	ch, ok := pick(p.choices, m.Text)
	if !ok {
		return false
	}
	s.press(ctx, evt, target, p, ch)
	return true
}

func (s *syncer) press(ctx context.Context, evt *event.Event, target id.EventID, p prompt, c choice) {
	cb := platform.Callback{Platform: Name, ID: evt.ID.String(), ChatID: evt.RoomID.String(), ThreadID: p.thread,
		UserID: evt.Sender.String(), Data: c.data}
	if err := s.h.Pressed(ctx, cb); err != nil {
		s.a.logf("matrix: the answer to %s in %s was not handled: %s", target, evt.RoomID, s.a.scrub(err.Error()))
	}
}
