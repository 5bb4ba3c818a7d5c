package chat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/hermes-go/hermes/internal/guard"
	"github.com/hermes-go/hermes/internal/redact"
)

// prompter asks the user at the REPL: dangerous-command approvals and
// clarify questions, read from the same input as the messages.
type prompter struct {
	src lineSource
	out io.Writer
	red *redact.Redactor
	// interrupted is called on Ctrl-C at a prompt: it stops the turn.
	interrupted func()
}

var _ guard.Approver = (*prompter)(nil)

// Approve shows the command, what it matched and why, and reads
// [o]nce / [s]ession / [a]lways / [d]eny. The end of input, a Ctrl-C or an
// unreadable answer given three times is a deny.
func (p *prompter) Approve(ctx context.Context, req guard.Request) (guard.Answer, error) {
	fmt.Fprint(p.out, p.red.String(approvalText(req)))
	for range 3 {
		l, err := p.src.ReadLine(ctx, "[o]nce / [s]ession / [a]lways / [d]eny (d REASON to say why): ")
		switch {
		case errors.Is(err, errCtrlC):
			p.interrupted()
			return guard.Answer{Choice: guard.ChoiceDeny, Reason: "the user pressed Ctrl-C"}, nil
		case err == io.EOF:
			return guard.Answer{Choice: guard.ChoiceDeny, Reason: "the input ended before an answer"}, nil
		case err != nil:
			return guard.Answer{}, err
		}
		if a, ok := ParseAnswer(l); ok {
			return a, nil
		}
		fmt.Fprintln(p.out, "answer o, s, a or d (optionally d followed by a reason)")
	}
	return guard.Answer{Choice: guard.ChoiceDeny, Reason: "no valid answer was given"}, nil
}

// approvalText is the prompt's body: the command, each match's
// description and key, and the reason.
func approvalText(req guard.Request) string {
	var b strings.Builder
	b.WriteString("\n⚠ This command needs your approval:\n    " + req.Command + "\n")
	for _, m := range req.Matches {
		fmt.Fprintf(&b, "  - %s [%s]\n", m.Description, m.Key)
	}
	if req.Reason != "" {
		b.WriteString("  reason: " + req.Reason + "\n")
	}
	return b.String()
}

// ParseAnswer reads an approval answer: o/once, s/session, a/always, or
// d/deny/n/no with an optional reason after a space or colon.
func ParseAnswer(line string) (guard.Answer, bool) {
	line = strings.TrimSpace(line)
	word, rest, _ := strings.Cut(line, " ")
	word = strings.TrimSuffix(strings.ToLower(word), ":")
	if w, r, ok := strings.Cut(word, ":"); ok {
		word, rest = w, r+" "+rest
	}
	rest = strings.TrimSpace(rest)
	switch word {
	case "o", "once", "y", "yes":
		return guard.Answer{Choice: guard.ChoiceOnce}, rest == ""
	case "s", "session":
		return guard.Answer{Choice: guard.ChoiceSession}, rest == ""
	case "a", "always":
		return guard.Answer{Choice: guard.ChoiceAlways}, rest == ""
	case "d", "deny", "n", "no":
		return guard.Answer{Choice: guard.ChoiceDeny, Reason: rest}, true
	}
	return guard.Answer{}, false
}

// Ask answers the clarify tool: the question, its numbered choices, and
// a line read back (a choice's number picks that choice).
func (p *prompter) Ask(ctx context.Context, question string, choices []string) (string, error) {
	var b strings.Builder
	b.WriteString("\n? " + question + "\n")
	for i, c := range choices {
		fmt.Fprintf(&b, "  %d. %s\n", i+1, c)
	}
	fmt.Fprint(p.out, p.red.String(b.String()))
	l, err := p.src.ReadLine(ctx, "answer: ")
	switch {
	case errors.Is(err, errCtrlC):
		p.interrupted()
		return "", errors.New("the user pressed Ctrl-C instead of answering")
	case err == io.EOF:
		return "", errors.New("the input ended before the user answered")
	case err != nil:
		return "", err
	}
	l = strings.TrimSpace(l)
	if n, err := strconv.Atoi(l); err == nil && n >= 1 && n <= len(choices) {
		return choices[n-1], nil
	}
	return l, nil
}
