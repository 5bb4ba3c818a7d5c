package telegram

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/mymmrac/telego"
	ta "github.com/mymmrac/telego/telegoapi"

	"github.com/hermes-go/hermes/internal/gateway/platform"
	"github.com/hermes-go/hermes/internal/redact"
)

// Send delivers o with sendMessage: a reply when o.ReplyTo is set (sent
// anyway if that message is gone), in the forum topic o.ThreadID, with
// o.Buttons as an inline keyboard. A 429 is retried after its
// retry_after; other failures are returned for the core's ledger to retry
// (Telegram has no idempotency key, so o.Key is not sent).
//
// MaxLen counts characters; Telegram counts UTF-16 code units, in which a
// character outside the Basic Multilingual Plane (most emoji) counts two.
// A text within MaxLen characters but over 4096 units is sent as several
// messages (the reply on the first, the buttons on the last, whose id is
// returned).
func (a *Adapter) Send(ctx context.Context, o platform.Outbound) (platform.Sent, error) {
	chat, err := chatID(o.ChatID)
	if err != nil {
		return platform.Sent{}, err
	}
	if strings.TrimSpace(o.Text) == "" {
		return platform.Sent{}, errors.New("telegram: message text is empty")
	}
	if n := utf8.RuneCountInString(o.Text); n > MaxLen {
		return platform.Sent{}, fmt.Errorf("telegram: message text is %d characters, over the limit of %d: split it first", n, MaxLen)
	}
	thread, err := optionalID("thread", o.ThreadID)
	if err != nil {
		return platform.Sent{}, err
	}
	replyTo, err := optionalID("reply-to message", o.ReplyTo)
	if err != nil {
		return platform.Sent{}, err
	}
	var kb *telego.InlineKeyboardMarkup
	if len(o.Buttons) > 0 {
		if kb, err = keyboard(o.Buttons); err != nil {
			return platform.Sent{}, err
		}
	}
	parts := splitUTF16(o.Text, MaxLen)
	var msg *telego.Message
	for i, part := range parts {
		p := &telego.SendMessageParams{ChatID: chat, Text: part, MessageThreadID: thread}
		if i == 0 && replyTo != 0 {
			p.ReplyParameters = &telego.ReplyParameters{MessageID: replyTo, AllowSendingWithoutReply: true}
		}
		if i == len(parts)-1 && kb != nil {
			p.ReplyMarkup = kb
		}
		err = a.retry(ctx, func() error {
			var err error
			msg, err = a.bot.SendMessage(ctx, p)
			return err
		})
		if to := migratedTo(err); to != 0 {
			// the group became a supergroup: Telegram names the new chat
			a.logf("telegram: chat %s became supergroup %d; sending there", o.ChatID, to)
			p.ChatID = telego.ChatID{ID: to}
			err = a.retry(ctx, func() error {
				var err error
				msg, err = a.bot.SendMessage(ctx, p)
				return err
			})
		}
		if err != nil {
			return platform.Sent{}, fmt.Errorf("telegram: sending to chat %s: %w", o.ChatID, err)
		}
	}
	return platform.Sent{ID: strconv.Itoa(msg.MessageID)}, nil
}

// splitUTF16 cuts text into parts of at most limit UTF-16 code units,
// after a newline or a space where one is in the second half of a part.
func splitUTF16(text string, limit int) []string {
	var parts []string
	for len(utf16.Encode([]rune(text))) > limit {
		cut, units, soft := 0, 0, 0
		for i, r := range text {
			units += utf16.RuneLen(r)
			if units > limit {
				break
			}
			cut = i + utf8.RuneLen(r)
			if (r == '\n' || r == ' ') && units > limit/2 {
				soft = cut
			}
		}
		if soft > 0 {
			cut = soft
		}
		if cut == 0 { // a limit below one character: never loop
			_, cut = utf8.DecodeRuneInString(text)
		}
		parts = append(parts, text[:cut])
		text = text[cut:]
	}
	return append(parts, text)
}

// Typing shows "typing…" in the chat (and topic) for about five seconds.
func (a *Adapter) Typing(ctx context.Context, chatIDs, threadID string) error {
	chat, err := chatID(chatIDs)
	if err != nil {
		return err
	}
	p := &telego.SendChatActionParams{ChatID: chat, Action: telego.ChatActionTyping}
	if p.MessageThreadID, err = optionalID("thread", threadID); err != nil {
		return err
	}
	if err := a.retry(ctx, func() error { return a.bot.SendChatAction(ctx, p) }); err != nil {
		return fmt.Errorf("telegram: typing in chat %s: %w", chatIDs, err)
	}
	return nil
}

// Edit replaces the text of a message the bot sent. Telegram's "message is
// not modified" (the same text again) counts as done.
func (a *Adapter) Edit(ctx context.Context, chatIDs, messageID, text string) error {
	chat, err := chatID(chatIDs)
	if err != nil {
		return err
	}
	if err := checkText(text); err != nil {
		return err
	}
	id, err := strconv.Atoi(messageID)
	if err != nil || id <= 0 {
		return fmt.Errorf("telegram: message id %q is not a Telegram message id", messageID)
	}
	p := &telego.EditMessageTextParams{ChatID: chat, MessageID: id, Text: text}
	err = a.retry(ctx, func() error {
		_, err := a.bot.EditMessageText(ctx, p)
		return err
	})
	var api *ta.Error
	if errors.As(err, &api) && strings.Contains(api.Description, "message is not modified") {
		return nil
	}
	if err != nil {
		return fmt.Errorf("telegram: editing message %s in chat %s: %w", messageID, chatIDs, err)
	}
	return nil
}

// retry runs call, waiting out 429 answers (retry_after seconds) up to
// sendAttempts times; the error it returns is scrubbed of the token.
func (a *Adapter) retry(ctx context.Context, call func() error) error {
	var err error
	for i := 0; i < sendAttempts; i++ {
		err = call()
		if err == nil {
			return nil
		}
		err = a.scrub(err)
		ra := retryAfter(err)
		if ra <= 0 {
			return err
		}
		a.logf("telegram: rate limited, retrying after %ds", ra)
		if werr := a.wait(ctx, time.Duration(ra)*a.retryUnit); werr != nil {
			return err
		}
	}
	return err
}

// checkText refuses what Telegram would refuse in an edit: empty text, or
// more than 4096 UTF-16 code units.
func checkText(text string) error {
	if strings.TrimSpace(text) == "" {
		return errors.New("telegram: message text is empty")
	}
	if n := len(utf16.Encode([]rune(text))); n > MaxLen {
		return fmt.Errorf("telegram: message text is %d UTF-16 code units, over Telegram's limit of %d: split it first", n, MaxLen)
	}
	return nil
}

// chatID parses a numeric chat id or a channel's @username.
func chatID(s string) (telego.ChatID, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "@") && len(s) > 1 {
		return telego.ChatID{Username: s}, nil
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id == 0 {
		return telego.ChatID{}, fmt.Errorf("telegram: chat %q is not a Telegram chat id (a number such as -1001234567890, or @channelname)", s)
	}
	return telego.ChatID{ID: id}, nil
}

func optionalID(what, s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	id, err := strconv.Atoi(s)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("telegram: %s id %q is not a Telegram id", what, s)
	}
	return id, nil
}

// keyboard builds an inline keyboard; callback data is at most 64 bytes.
func keyboard(rows [][]platform.Button) (*telego.InlineKeyboardMarkup, error) {
	kb := &telego.InlineKeyboardMarkup{InlineKeyboard: make([][]telego.InlineKeyboardButton, 0, len(rows))}
	for _, row := range rows {
		r := make([]telego.InlineKeyboardButton, 0, len(row))
		for _, b := range row {
			if b.Text == "" || b.Data == "" || len(b.Data) > 64 {
				return nil, fmt.Errorf("telegram: button %q: text and data are required and data is at most 64 bytes (has %d)", b.Text, len(b.Data))
			}
			r = append(r, telego.InlineKeyboardButton{Text: b.Text, CallbackData: b.Data})
		}
		if len(r) > 0 {
			kb.InlineKeyboard = append(kb.InlineKeyboard, r)
		}
	}
	return kb, nil
}

// apiError is a library error with the token removed. It keeps the Bot
// API's error (code, description, retry_after) and context cancellation
// for errors.As / errors.Is, but not the transport error, whose URL holds
// the token.
type apiError struct {
	msg  string
	api  *ta.Error
	ctxE error
}

func (e *apiError) Error() string { return e.msg }

func (e *apiError) Unwrap() []error {
	var out []error
	if e.api != nil {
		out = append(out, e.api)
	}
	if e.ctxE != nil {
		out = append(out, e.ctxE)
	}
	return out
}

// scrub returns err with the token and any other secret masked.
func (a *Adapter) scrub(err error) error {
	if err == nil {
		return nil
	}
	var already *apiError
	if errors.As(err, &already) {
		return err
	}
	e := &apiError{msg: a.scrubText(err.Error())}
	var api *ta.Error
	if errors.As(err, &api) {
		c := *api
		c.Description = a.scrubText(c.Description)
		e.api = &c
	}
	switch {
	case errors.Is(err, context.Canceled):
		e.ctxE = context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		e.ctxE = context.DeadlineExceeded
	}
	return e
}

func (a *Adapter) scrubText(s string) string {
	if a.token != "" {
		s = strings.ReplaceAll(s, a.token, "***")
	}
	return redact.Default().String(s)
}

// retryAfter is the retry_after of a 429 answer, or 0.
func retryAfter(err error) int {
	var api *ta.Error
	if errors.As(err, &api) && api.ErrorCode == 429 {
		if api.Parameters != nil && api.Parameters.RetryAfter > 0 {
			return api.Parameters.RetryAfter
		}
		return 1
	}
	return 0
}

// migratedTo is the migrate_to_chat_id of an answer, or 0.
func migratedTo(err error) int64 {
	var api *ta.Error
	if errors.As(err, &api) && api.Parameters != nil {
		return api.Parameters.MigrateToChatID
	}
	return 0
}

// fatal reports an answer no retry will change: the token was refused.
func fatal(err error) bool {
	var api *ta.Error
	if !errors.As(err, &api) {
		return false
	}
	return api.ErrorCode == 401 || api.ErrorCode == 404
}

// botLogger passes the library's error lines to the gateway log, scrubbed;
// its debug lines (request URLs with the token) are dropped.
type botLogger struct{ a *Adapter }

func (l botLogger) Debugf(string, ...any) {}

func (l botLogger) Errorf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if strings.Contains(msg, "getUpdates") && strings.Contains(msg, "context canceled") {
		return
	}
	l.a.logf("telegram: library: %s", l.a.scrubText(msg))
}
