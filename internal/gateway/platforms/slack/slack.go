// Package slack is the gateway's Slack adapter, on
// github.com/slack-go/slack: Socket Mode (a WebSocket the app opens, no
// public URL) or the Events API (Slack POSTs to a listener of ours),
// replies in threads, Block Kit buttons for approvals, edits.
//
// # Acknowledgement after the journal
//
// Slack redelivers an event until it is acknowledged: in Socket Mode by
// an envelope ack over the WebSocket, with the Events API by an HTTP 2xx.
// The adapter acknowledges only after the core journaled the message
// (platform.Handler.Inbound returned nil); an event whose Inbound failed
// is left unacknowledged (Socket Mode) or answered 503 (Events API), and
// Slack sends it again. A redelivery of a journaled event (Slack retries
// when an ack is lost) is recognised by the ledger: the message id is the
// message's ts, unique in its channel.
//
// # What Slack cannot do
//
// chat.postMessage takes no idempotency key, so a reply resent after a
// crash is labelled by the core as a possible duplicate. A bot cannot
// show "typing…" through the Web API, so the adapter is no Typer.
//
// # Secrets
//
// SLACK_BOT_TOKEN (xoxb-), SLACK_APP_TOKEN (xapp-, Socket Mode) and
// SLACK_SIGNING_SECRET (Events API) come from .env. They travel in
// headers, never in URLs; library errors and log lines pass through scrub.
package slack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/hermes-go/hermes/internal/clock"
	"github.com/hermes-go/hermes/internal/gateway/platform"
	"github.com/hermes-go/hermes/internal/redact"
)

// Name is the adapter's platform name.
const Name = "slack"

// MaxLen is the longest text Send accepts. Slack truncates a message over
// 40,000 characters and advises 4,000 for readability; the core splits
// longer replies.
const MaxLen = 4000

// sectionMax is Block Kit's limit on a section's text.
const sectionMax = 3000

const (
	defaultBaseURL = "https://slack.com"
	sendAttempts   = 5 // tries of a request answered 429
	// Modes of platforms.slack.mode.
	ModeSocket = "socket"
	ModeEvents = "events"
)

func init() { platform.RegisterAdapter(Name, New) }

// Adapter is the Slack adapter, safe for concurrent use.
type Adapter struct {
	api            *slack.Client
	mode           string
	listen         string // Events API listener
	signingSecret  string
	secrets        []string // tokens to scrub from errors
	home           string
	requireMention bool
	logf           func(string, ...any)
	wait           func(ctx context.Context, d time.Duration) error

	mu     sync.Mutex
	botID  string        // the bot's user id (U...), from auth.test
	link   platform.Link // the connection as last reported to the core
	listnr string        // the Events API listener's bound address, once up
}

// New is the adapter factory: platform.ErrDisabled unless
// platforms.slack.enabled; errors naming .env when a token is missing.
func New(d platform.Deps) (platform.Adapter, error) {
	if d.Config == nil || !d.Config.Platforms.Slack.Enabled {
		return nil, platform.ErrDisabled
	}
	sc := d.Config.Platforms.Slack
	env := func(k string) string {
		if d.Env == nil {
			return ""
		}
		v, _ := d.Env(k)
		return strings.TrimSpace(v)
	}
	bot, app, signing := env("SLACK_BOT_TOKEN"), env("SLACK_APP_TOKEN"), env("SLACK_SIGNING_SECRET")
	if bot == "" {
		return nil, errors.New("slack: platforms.slack.enabled is true but SLACK_BOT_TOKEN is not set: add SLACK_BOT_TOKEN=xoxb-... (OAuth & Permissions in the app's settings) to the home's .env")
	}
	if !strings.HasPrefix(bot, "xoxb-") {
		return nil, errors.New("slack: SLACK_BOT_TOKEN in .env is not a bot token (it starts with xoxb-)")
	}
	mode := sc.Mode
	if mode == "" {
		mode = ModeSocket
	}
	switch mode {
	case ModeSocket:
		if app == "" {
			return nil, errors.New("slack: platforms.slack.mode is socket but SLACK_APP_TOKEN is not set: add SLACK_APP_TOKEN=xapp-... (Basic Information > App-Level Tokens, scope connections:write) to .env, or use mode: events")
		}
		if !strings.HasPrefix(app, "xapp-") {
			return nil, errors.New("slack: SLACK_APP_TOKEN in .env is not an app-level token (it starts with xapp-)")
		}
	case ModeEvents:
		if signing == "" {
			return nil, errors.New("slack: platforms.slack.mode is events but SLACK_SIGNING_SECRET is not set: add it (Basic Information > Signing Secret) to .env")
		}
	default:
		return nil, fmt.Errorf("slack: platforms.slack.mode is %q: use socket or events", sc.Mode)
	}
	base := strings.TrimRight(sc.BaseURL, "/")
	if base == "" {
		base = defaultBaseURL
	}
	logf := d.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	a := &Adapter{
		mode: mode, listen: sc.EventsListen, signingSecret: signing,
		secrets: nonEmpty(bot, app, signing), home: sc.HomeChannel,
		requireMention: sc.RequireMention, logf: logf, wait: clock.Real{}.Sleep,
	}
	opts := []slack.Option{
		slack.OptionAPIURL(base + "/api/"),
		slack.OptionHTTPClient(&http.Client{Timeout: 30 * time.Second}),
	}
	if app != "" {
		opts = append(opts, slack.OptionAppLevelToken(app))
	}
	a.api = slack.New(bot, opts...)
	return a, nil
}

// Name returns "slack".
func (a *Adapter) Name() string { return Name }

// MaxLen returns 4000.
func (a *Adapter) MaxLen() int { return MaxLen }

// Home returns platforms.slack.home_channel.
func (a *Adapter) Home() string { return a.home }

// Run connects in the configured mode and feeds events to h until ctx
// ends. It returns an error when Slack refuses a token.
func (a *Adapter) Run(ctx context.Context, h platform.Handler) error {
	a.link.Reset() // a restarted Run reports its connection afresh
	if err := a.authTest(ctx, h); err != nil || ctx.Err() != nil {
		return err
	}
	if a.mode == ModeEvents {
		return a.runEvents(ctx, h)
	}
	return a.runSocket(ctx, h)
}

// authTest learns the bot's user id, retrying network errors.
func (a *Adapter) authTest(ctx context.Context, h platform.Handler) error {
	for failures := 1; ; failures++ {
		res, err := a.api.AuthTestContext(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err == nil {
			a.mu.Lock()
			a.botID = res.UserID
			a.mu.Unlock()
			a.logf("slack: authenticated as %s in %s", res.User, res.Team)
			return nil
		}
		err = a.scrub(err)
		if fatal(err) {
			a.down(h, err)
			return err
		}
		a.down(h, err)
		d := platform.RetryBackoff.After(failures)
		a.logf("slack: %s; retrying in %s", err, d)
		if a.wait(ctx, d) != nil {
			return nil
		}
	}
}

// fatal reports an error no retry cures: a refused token.
func fatal(err error) bool {
	s := err.Error()
	for _, f := range []string{"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "not_allowed_token_type"} {
		if strings.Contains(s, f) {
			return true
		}
	}
	return false
}

func (a *Adapter) up(h platform.Handler) { a.link.Up(h, Name) }

func (a *Adapter) down(h platform.Handler, err error) { a.link.Down(h, Name, err) }

func (a *Adapter) bot() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.botID
}

// inner handles one Events API event: messages go to h.Inbound (its error
// is returned, so the event stays unacknowledged); everything else is
// dropped.
func (a *Adapter) inner(ctx context.Context, h platform.Handler, ev slackevents.EventsAPIEvent) error {
	if ev.Type != slackevents.CallbackEvent {
		return nil
	}
	var m platform.Message
	var ok bool
	switch e := ev.InnerEvent.Data.(type) {
	case *slackevents.MessageEvent:
		m, ok = a.fromMessage(e)
	case *slackevents.AppMentionEvent:
		m, ok = a.fromMention(e)
	}
	if !ok {
		return nil
	}
	return h.Inbound(ctx, m)
}

// fromMessage maps a message event; false for what the agent must not
// see: its own and other bots' messages, edits, deletions, joins.
func (a *Adapter) fromMessage(e *slackevents.MessageEvent) (platform.Message, bool) {
	switch e.SubType {
	case "", "thread_broadcast", "file_share":
	default:
		return platform.Message{}, false
	}
	if e.BotID != "" || e.User == "" || e.User == a.bot() {
		return platform.Message{}, false
	}
	ct := chatType(e.ChannelType)
	text, mentioned := a.addressed(e.Text)
	return a.message(e.Channel, e.TimeStamp, e.ThreadTimeStamp, e.User, text, ct, mentioned)
}

// fromMention maps an app_mention event; it carries the same ts as the
// message event of the same post, so the ledger keeps one of them.
func (a *Adapter) fromMention(e *slackevents.AppMentionEvent) (platform.Message, bool) {
	if e.BotID != "" || e.User == "" || e.User == a.bot() {
		return platform.Message{}, false
	}
	text, _ := a.addressed(e.Text)
	return a.message(e.Channel, e.TimeStamp, e.ThreadTimeStamp, e.User, text, platform.Channel, true)
}

func (a *Adapter) message(channel, ts, threadTS, user, text string, ct platform.ChatType, mentioned bool) (platform.Message, bool) {
	if channel == "" || ts == "" || strings.TrimSpace(text) == "" {
		return platform.Message{}, false
	}
	if ct != platform.DM && a.requireMention && !mentioned {
		return platform.Message{}, false
	}
	if threadTS == ts { // the thread's root itself
		threadTS = ""
	}
	if ct != platform.DM && threadTS != "" {
		ct = platform.Thread
	}
	return platform.Message{
		Platform: Name, ID: ts, ChatID: channel, ThreadID: threadTS, ChatType: ct,
		UserID: user, UserName: user, Text: text, Mentioned: mentioned || ct == platform.DM, At: tsTime(ts),
	}, true
}

// chatType maps Slack's channel_type.
func chatType(t string) platform.ChatType {
	switch t {
	case "im":
		return platform.DM
	case "mpim", "group":
		return platform.Group
	default:
		return platform.Channel
	}
}

var mentionRE = regexp.MustCompile(`<@([UW][A-Z0-9]+)(?:\|[^>]*)?>`)

// addressed strips mentions of the bot from text and reports whether
// there was one.
func (a *Adapter) addressed(text string) (string, bool) {
	me := a.bot()
	found := false
	out := mentionRE.ReplaceAllStringFunc(text, func(s string) string {
		if me != "" && mentionRE.FindStringSubmatch(s)[1] == me {
			found = true
			return ""
		}
		return s
	})
	return strings.TrimSpace(out), found
}

// tsTime converts a Slack ts ("1700000000.000100") to a time.
func tsTime(ts string) time.Time {
	sec, frac, _ := strings.Cut(ts, ".")
	var s, us int64
	fmt.Sscan(sec, &s)
	if frac != "" {
		fmt.Sscan(frac, &us)
	}
	return time.Unix(s, us*1000).UTC()
}

// scrub removes tokens from an error and redacts it.
func (a *Adapter) scrub(err error) error {
	if err == nil {
		return nil
	}
	return errors.New(a.scrubText(err.Error()))
}

func (a *Adapter) scrubText(s string) string {
	for _, t := range a.secrets {
		s = strings.ReplaceAll(s, t, "[REDACTED]")
	}
	return redact.Default().String(s)
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
