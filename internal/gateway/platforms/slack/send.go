package slack

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/hermes-go/hermes/internal/gateway/platform"
)

// actionPrefix marks the action ids of hermes's buttons.
const actionPrefix = "hermes_"

// Send posts o with chat.postMessage: in the thread o.ThreadID, with
// o.Buttons as Block Kit buttons (the text stays the message's fallback
// text, for notifications and clients without blocks). A 429 is retried
// after its Retry-After; other failures are returned for the core's
// ledger to retry.
func (a *Adapter) Send(ctx context.Context, o platform.Outbound) (platform.Sent, error) {
	if o.ChatID == "" {
		return platform.Sent{}, errors.New("slack: no channel to send to")
	}
	if strings.TrimSpace(o.Text) == "" {
		return platform.Sent{}, errors.New("slack: message text is empty")
	}
	if n := utf8.RuneCountInString(o.Text); n > MaxLen {
		return platform.Sent{}, fmt.Errorf("slack: message text is %d characters, over the limit of %d: split it first", n, MaxLen)
	}
	opts := []slack.MsgOption{slack.MsgOptionText(o.Text, false)}
	if o.ThreadID != "" {
		opts = append(opts, slack.MsgOptionTS(o.ThreadID))
	}
	if len(o.Buttons) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(blocks(o.Text, o.Buttons)...))
	}
	var ts string
	err := a.retry(ctx, func() error {
		var err error
		_, ts, err = a.api.PostMessageContext(ctx, o.ChatID, opts...)
		return err
	})
	if err != nil {
		return platform.Sent{}, a.scrub(fmt.Errorf("slack: chat.postMessage: %w", err))
	}
	return platform.Sent{ID: ts}, nil
}

// Edit replaces the text of a message the bot sent (and drops its
// buttons) with chat.update.
func (a *Adapter) Edit(ctx context.Context, chatID, messageID, text string) error {
	if utf8.RuneCountInString(text) > MaxLen {
		text = string([]rune(text)[:MaxLen-1]) + "…"
	}
	err := a.retry(ctx, func() error {
		_, _, _, err := a.api.UpdateMessageContext(ctx, chatID, messageID, slack.MsgOptionText(text, false), slack.MsgOptionBlocks())
		return err
	})
	if err != nil {
		return a.scrub(fmt.Errorf("slack: chat.update: %w", err))
	}
	return nil
}

// blocks renders text and rows of buttons as Block Kit: a section with
// the text (cut at Block Kit's 3,000 characters; the full text stays the
// fallback) and one actions block per row.
func blocks(text string, rows [][]platform.Button) []slack.Block {
	if utf8.RuneCountInString(text) > sectionMax {
		text = string([]rune(text)[:sectionMax-1]) + "…"
	}
	out := []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, true), nil, nil)}
	n := 0
	for r, row := range rows {
		var els []slack.BlockElement
		for _, b := range row {
			btn := slack.NewButtonBlockElement(actionPrefix+strconv.Itoa(n), b.Data, slack.NewTextBlockObject(slack.PlainTextType, b.Text, false, false))
			els = append(els, btn)
			n++
		}
		if len(els) > 0 {
			out = append(out, slack.NewActionBlock("hermes_row_"+strconv.Itoa(r), els...))
		}
	}
	return out
}

// retry runs call, waiting out 429 answers up to sendAttempts times.
func (a *Adapter) retry(ctx context.Context, call func() error) error {
	var err error
	for i := 0; i < sendAttempts; i++ {
		if err = call(); err == nil {
			return nil
		}
		var rl *slack.RateLimitedError
		if !errors.As(err, &rl) {
			return err
		}
		d := rl.RetryAfter
		if d <= 0 {
			d = time.Second
		}
		a.logf("slack: rate limited, retrying after %s", d)
		if werr := a.wait(ctx, d); werr != nil {
			return err
		}
	}
	return err
}

var (
	_ platform.Adapter     = (*Adapter)(nil)
	_ platform.Editor      = (*Adapter)(nil)
	_ platform.HomeChannel = (*Adapter)(nil)
)
