package web

import (
	"context"
	"fmt"
	"strings"

	"github.com/hermes-go/hermes/internal/tools"
)

// CondenseOver is the length of page text, in characters, above which a
// page is condensed by the auxiliary.web_extract model when one is set.
const CondenseOver = 8000

type condenseKey struct{}

// Configure gives a session's web_extract the auxiliary.web_extract model:
// pages longer than CondenseOver characters are condensed by it before the
// main model sees them. Without it pages come back whole (up to
// MaxTextChars).
func Configure(env *tools.Env, condense tools.Summarise) {
	if env != nil && env.Values != nil && condense != nil {
		env.Values.Set(condenseKey{}, condense)
	}
}

func condenser(env *tools.Env) tools.Summarise {
	if env == nil || env.Values == nil {
		return nil
	}
	x, _ := env.Values.Get(condenseKey{})
	fn, _ := x.(tools.Summarise)
	return fn
}

const condenseInstruction = "Condense this web page for an assistant that fetched it. Keep every fact, number, name, " +
	"date, command, code block and link that matters; drop navigation, ads and repetition. Answer in markdown, " +
	"without an introduction."

// condense replaces a long page's text with the side model's version. A
// failure keeps the page whole and says so.
func (p page) condense(ctx context.Context, fn tools.Summarise) string {
	if fn == nil || len(p.text) <= CondenseOver {
		return p.String()
	}
	short, err := fn(ctx, condenseInstruction, tools.Truncate(p.text, MaxTextChars))
	if err != nil || strings.TrimSpace(short) == "" {
		reason := "an empty answer"
		if err != nil {
			reason = err.Error()
		}
		return p.String() + fmt.Sprintf("\n[the auxiliary.web_extract model could not condense the page (%s); this is the whole text]", reason)
	}
	c := p
	c.text = fmt.Sprintf("[condensed by the auxiliary.web_extract model from %d characters]\n\n%s", len(p.text), strings.TrimSpace(short))
	return c.String()
}
