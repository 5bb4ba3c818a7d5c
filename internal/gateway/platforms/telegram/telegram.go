// Package telegram is the gateway's Telegram adapter: long polling of the
// Bot API through github.com/mymmrac/telego, replies with inline keyboards
// for approvals, typing indicators and edits.
//
// # Why telego, and why our own polling loop
//
// The gateway may acknowledge an update to Telegram only after the core
// journaled it (platform.Handler.Inbound returned nil). Telegram
// acknowledges by offset: an update is confirmed, and forgotten, as soon as
// a getUpdates call carries an offset above its update_id. Both maintained
// libraries ship a poller that moves the offset past an update as soon as
// it is fetched, before the application has seen it (telego's
// UpdatesViaLongPolling and go-telegram/bot's Start both do), so a crash
// between fetching and journaling would lose the message. go-telegram/bot
// keeps its getUpdates call private; telego exports Bot.GetUpdates, so this
// package calls it with its own offset: the offset moves past an update
// only once Inbound returned nil for it, and an update whose Inbound failed
// is fetched again after a backoff.
//
// # Where the offset lives
//
// Nowhere on our side: Telegram keeps unconfirmed updates for 24 hours and
// a getUpdates call without an offset starts at the earliest unconfirmed
// one, so a restarted adapter resumes exactly after the last confirmed
// update. When Run ends it confirms what it journaled with one last
// getUpdates call (timeout 0). An update journaled but not yet confirmed
// when the process dies is delivered again; the core's ledger recognises it
// by Message.Key.
//
// # Secrets
//
// Every request URL holds the bot token ({base_url}/bot{token}/METHOD).
// Errors and log lines from the library pass through scrub, which replaces
// the token and runs internal/redact, before they leave this package.
package telegram

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"

	"github.com/mymmrac/telego"
	ta "github.com/mymmrac/telego/telegoapi"

	"github.com/hermes-go/hermes/internal/clock"
	"github.com/hermes-go/hermes/internal/gateway/platform"
)

// Name is the adapter's platform name.
const Name = "telegram"

// MaxLen is the longest text Send accepts, in characters. Telegram's own
// limit is 4096 UTF-16 code units; Send splits the rare text within MaxLen
// characters that is longer in UTF-16 (many emoji).
const MaxLen = 4096

const (
	defaultBaseURL = "https://api.telegram.org"
	pollTimeout    = 30 // seconds, getUpdates long poll
	sendAttempts   = 5  // tries of a request answered 429
)

func init() { platform.RegisterAdapter(Name, New) }

// Adapter is the Telegram adapter. It is safe for concurrent use: Run
// polls while Send, Typing and Edit are called from other goroutines.
type Adapter struct {
	bot   *telego.Bot
	token string
	home  string
	logf  func(string, ...any)

	pollTimeout int           // seconds
	retryUnit   time.Duration // the unit of retry_after (a second)
	// wait sleeps d or until ctx ends; tests replace it.
	wait func(ctx context.Context, d time.Duration) error

	mu   sync.Mutex
	me   telego.User
	link platform.Link // the connection as last reported to the core
}

// New is the adapter factory: platform.ErrDisabled unless
// platforms.telegram.enabled, an error naming .env without
// TELEGRAM_BOT_TOKEN.
func New(d platform.Deps) (platform.Adapter, error) {
	if d.Config == nil || !d.Config.Platforms.Telegram.Enabled {
		return nil, platform.ErrDisabled
	}
	tc := d.Config.Platforms.Telegram
	var token string
	if d.Env != nil {
		token, _ = d.Env("TELEGRAM_BOT_TOKEN")
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return nil, errors.New("telegram: platforms.telegram.enabled is true but TELEGRAM_BOT_TOKEN is not set: add TELEGRAM_BOT_TOKEN=<token from @BotFather> to the home's .env")
	}
	base := strings.TrimRight(tc.BaseURL, "/")
	if base == "" {
		base = defaultBaseURL
	}
	logf := d.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	a := &Adapter{
		token:       token,
		home:        tc.HomeChannel,
		logf:        logf,
		pollTimeout: pollTimeout,
		retryUnit:   time.Second,
		wait:        clock.Real{}.Sleep,
	}
	client := &http.Client{Timeout: time.Duration(pollTimeout+15) * time.Second}
	bot, err := telego.NewBot(token,
		telego.WithAPIServer(base),
		telego.WithHTTPClient(client),
		telego.WithLogger(botLogger{a}),
	)
	if err != nil {
		if errors.Is(err, telego.ErrInvalidToken) {
			return nil, errors.New("telegram: TELEGRAM_BOT_TOKEN in .env is not a bot token (expected digits:35 characters, as @BotFather gives it)")
		}
		return nil, fmt.Errorf("telegram: %s", a.scrubText(err.Error()))
	}
	a.bot = bot
	return a, nil
}

// Name returns "telegram".
func (a *Adapter) Name() string { return Name }

// MaxLen returns 4096.
func (a *Adapter) MaxLen() int { return MaxLen }

// Home returns platforms.telegram.home_channel.
func (a *Adapter) Home() string { return a.home }

// Run polls getUpdates until ctx ends, feeding messages to h.Inbound and
// button presses to h.Pressed. It returns nil when ctx ends and an error
// when Telegram refuses the token.
func (a *Adapter) Run(ctx context.Context, h platform.Handler) error {
	a.link.Reset() // a restarted Run reports its connection afresh
	if err := a.connect(ctx, h); err != nil {
		return err
	}
	offset, sent := 0, 0 // next offset to send; the offset of the last successful call
	defer func() { a.confirm(offset, sent) }()
	var failures, stuck int // failed polls in a row; failed Inbound calls in a row
	for {
		if ctx.Err() != nil {
			return nil
		}
		ups, err := a.bot.GetUpdates(ctx, &telego.GetUpdatesParams{
			Offset:         offset,
			Timeout:        a.pollTimeout,
			AllowedUpdates: []string{"message", "channel_post", "callback_query"},
		})
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			err = a.scrub(err)
			if fatal(err) {
				a.down(h, err)
				return err
			}
			if webhookActive(err) && a.dropWebhook(ctx) {
				continue
			}
			failures++
			if werr := a.pause(ctx, h, err, failures); werr != nil {
				return nil
			}
			continue
		}
		sent = offset
		failures = 0
		a.up(h)
		for _, u := range ups {
			if u.UpdateID < offset {
				continue
			}
			if err := a.handle(ctx, h, u); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				stuck++
				d := platform.RetryBackoff.After(stuck)
				a.logf("telegram: update %d not journaled, fetching it again in %s: %s", u.UpdateID, d, a.scrubText(err.Error()))
				if a.wait(ctx, d) != nil {
					return nil
				}
				break
			}
			stuck = 0
			offset = u.UpdateID + 1
		}
	}
}

// connect asks getMe until it answers, for the bot's id and username.
func (a *Adapter) connect(ctx context.Context, h platform.Handler) error {
	for failures := 1; ; failures++ {
		me, err := a.bot.GetMe(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err == nil {
			a.mu.Lock()
			a.me = *me
			a.mu.Unlock()
			a.up(h)
			a.logf("telegram: connected as @%s", me.Username)
			return nil
		}
		err = a.scrub(err)
		if fatal(err) {
			a.down(h, err)
			return err
		}
		if a.pause(ctx, h, err, failures) != nil {
			return nil
		}
	}
}

// pause reports err and waits: retry_after on 429, else the backoff.
func (a *Adapter) pause(ctx context.Context, h platform.Handler, err error, failures int) error {
	if ra := retryAfter(err); ra > 0 {
		a.logf("telegram: rate limited, retrying after %ds", ra)
		return a.wait(ctx, time.Duration(ra)*a.retryUnit)
	}
	a.down(h, err)
	d := platform.RetryBackoff.After(failures)
	a.logf("telegram: %s; retrying in %s", err, d)
	return a.wait(ctx, d)
}

// webhookActive reports Telegram's 409 for getUpdates while a webhook is
// set.
func webhookActive(err error) bool {
	var api *ta.Error
	return errors.As(err, &api) && api.ErrorCode == 409 && strings.Contains(api.Description, "webhook")
}

// dropWebhook removes a webhook left on the bot (the gateway polls),
// keeping its pending updates; it reports whether that worked.
func (a *Adapter) dropWebhook(ctx context.Context) bool {
	err := a.bot.DeleteWebhook(ctx, &telego.DeleteWebhookParams{DropPendingUpdates: false})
	if err != nil {
		a.logf("telegram: a webhook is set on the bot and deleting it failed: %s", a.scrub(err))
		return false
	}
	a.logf("telegram: deleted the bot's webhook to poll with getUpdates (pending updates kept)")
	return true
}

// confirm acknowledges updates handled since the last getUpdates call, so
// a restart does not fetch them again.
func (a *Adapter) confirm(offset, sent int) {
	if offset <= sent {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := a.bot.GetUpdates(ctx, &telego.GetUpdatesParams{Offset: offset, Limit: 1, Timeout: 0,
		AllowedUpdates: []string{"message", "channel_post", "callback_query"}})
	if err != nil {
		a.logf("telegram: confirming updates below %d: %s (they come again and the ledger skips them)", offset, a.scrub(err))
	}
}

func (a *Adapter) up(h platform.Handler) { a.link.Up(h, Name) }

func (a *Adapter) down(h platform.Handler, err error) { a.link.Down(h, Name, err) }

// self is the bot as getMe described it.
func (a *Adapter) self() telego.User {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.me
}

// handle gives one update to the core. Only an Inbound error is returned:
// it keeps the offset below the update.
func (a *Adapter) handle(ctx context.Context, h platform.Handler, u telego.Update) error {
	switch {
	case u.Message != nil:
		m, ok := a.message(u.Message)
		if !ok {
			return nil
		}
		return h.Inbound(ctx, m)
	case u.ChannelPost != nil:
		m, ok := a.message(u.ChannelPost)
		if !ok {
			return nil
		}
		return h.Inbound(ctx, m)
	case u.CallbackQuery != nil:
		a.pressed(ctx, h, u.CallbackQuery)
	}
	return nil
}

// pressed hands a button press to the core, then answers the callback so
// the user's button stops spinning. A press the core could not handle is
// answered with a short notice and not fetched again: presses are not
// journaled, and a stuck press must not hold back later messages.
func (a *Adapter) pressed(ctx context.Context, h platform.Handler, q *telego.CallbackQuery) {
	c := platform.Callback{
		Platform: Name,
		ID:       q.ID,
		UserID:   strconv.FormatInt(q.From.ID, 10),
		Data:     q.Data,
	}
	if q.Message != nil {
		c.ChatID = strconv.FormatInt(q.Message.GetChat().ID, 10)
		if m := q.Message.Message(); m != nil && m.IsTopicMessage && m.MessageThreadID != 0 {
			c.ThreadID = strconv.Itoa(m.MessageThreadID)
		}
	}
	answer := &telego.AnswerCallbackQueryParams{CallbackQueryID: q.ID}
	if err := h.Pressed(ctx, c); err != nil {
		a.logf("telegram: button press in chat %s not handled: %s", c.ChatID, a.scrubText(err.Error()))
		answer.Text = "This button could not be handled; try again."
	}
	err := a.retry(ctx, func() error { return a.bot.AnswerCallbackQuery(ctx, answer) })
	if err != nil {
		a.logf("telegram: answering a button press: %s", err)
	}
}

// message maps a Telegram message; ok is false for messages without text
// (stickers, joins, service messages), which are acknowledged unseen.
func (a *Adapter) message(tm *telego.Message) (platform.Message, bool) {
	text := tm.Text
	entities := tm.Entities
	if text == "" {
		text, entities = tm.Caption, tm.CaptionEntities
	}
	if text == "" {
		return platform.Message{}, false
	}
	me := a.self()
	m := platform.Message{
		Platform: Name,
		ID:       strconv.Itoa(tm.MessageID),
		ChatID:   strconv.FormatInt(tm.Chat.ID, 10),
		ChatType: chatType(tm.Chat.Type),
		At:       time.Unix(tm.Date, 0).UTC(),
	}
	if tm.IsTopicMessage && tm.MessageThreadID != 0 {
		m.ThreadID = strconv.Itoa(tm.MessageThreadID)
	}
	switch {
	case tm.From != nil:
		m.UserID = strconv.FormatInt(tm.From.ID, 10)
		m.UserName = displayName(tm.From)
	case tm.SenderChat != nil:
		m.UserID = strconv.FormatInt(tm.SenderChat.ID, 10)
		m.UserName = tm.SenderChat.Title
	}
	m.Text, m.Mentioned = addressed(text, entities, me)
	if r := tm.ReplyToMessage; r != nil && r.From != nil && me.ID != 0 && r.From.ID == me.ID {
		m.Mentioned = true
	}
	return m, true
}

func chatType(t string) platform.ChatType {
	switch t {
	case "private":
		return platform.DM
	case "channel":
		return platform.Channel
	default: // group, supergroup
		return platform.Group
	}
}

func displayName(u *telego.User) string {
	name := strings.TrimSpace(u.FirstName + " " + u.LastName)
	if name == "" {
		name = u.Username
	}
	return name
}

// addressed reports whether text mentions the bot (an @username mention,
// a text mention of its user, a /command@username) and strips the
// "@username" of a leading command addressed to it, so "/new@bot" reaches
// the core as "/new".
func addressed(text string, entities []telego.MessageEntity, me telego.User) (string, bool) {
	if me.Username == "" && me.ID == 0 {
		return text, false
	}
	at := "@" + strings.ToLower(me.Username)
	u16 := utf16.Encode([]rune(text))
	slice := func(e telego.MessageEntity) string {
		if e.Offset < 0 || e.Length < 0 || e.Offset+e.Length > len(u16) {
			return ""
		}
		return string(utf16.Decode(u16[e.Offset : e.Offset+e.Length]))
	}
	mentioned := false
	for _, e := range entities {
		switch e.Type {
		case "mention":
			if me.Username != "" && strings.ToLower(slice(e)) == at {
				mentioned = true
			}
		case "text_mention":
			if e.User != nil && e.User.ID == me.ID {
				mentioned = true
			}
		case "bot_command":
			cmd := slice(e)
			if i := strings.IndexByte(cmd, '@'); i >= 0 && me.Username != "" && strings.ToLower(cmd[i:]) == at {
				mentioned = true
				if e.Offset == 0 {
					text = cmd[:i] + strings.TrimPrefix(text, cmd)
				}
			}
		}
	}
	if entities == nil && me.Username != "" && containsWord(strings.ToLower(text), at) {
		mentioned = true
	}
	return text, mentioned
}

// containsWord finds w in s neither preceded nor followed by a username
// character.
func containsWord(s, w string) bool {
	for i := strings.Index(s, w); i >= 0; {
		end := i + len(w)
		if (i == 0 || !usernameByte(s[i-1])) && (end == len(s) || !usernameByte(s[end])) {
			return true
		}
		j := strings.Index(s[end:], w)
		if j < 0 {
			return false
		}
		i = end + j
	}
	return false
}

func usernameByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z'
}
