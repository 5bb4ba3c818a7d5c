// Package discord is the gateway's Discord adapter, on
// github.com/bwmarrin/discordgo v0.28.1: the bot connects to Discord's
// gateway WebSocket (no public URL), answers in DMs, servers and threads,
// shows approvals as message buttons, types and edits.
//
// # Nothing lost
//
// Discord's gateway has no acknowledgements, and a new session does not
// replay the events of the old one. So the adapter keeps, per channel, the
// id (a snowflake, growing with time) of the last message it handed to
// the core, in channels.json under Deps.StateDir. Events are handled one
// at a time in the order Discord sent them; an Inbound that fails is
// retried in place with a backoff, holding back the later events, until it
// succeeds or the gateway stops. On every READY and RESUMED the adapter
// catches up: for each channel in that file it reads the channel's
// history after the recorded id (GET /channels/{id}/messages?after=)
// through the same path, oldest first. A message handed over twice (read
// in the catch-up and then delivered live, or journaled just before a
// crash) is recognised by the core's ledger by Message.Key.
//
// # Base URL
//
// discordgo's endpoints are package variables; the adapter never changes
// them. platforms.discord.base_url instead sets an http.RoundTripper that
// sends requests for https://discord.com/ to that scheme and host, keeping
// the path; the gateway's WebSocket URL comes from GET /api/v9/gateway.
//
// # Secrets
//
// DISCORD_BOT_TOKEN comes from .env and travels in the Authorization
// header only. discordgo's log lines and every error pass through scrub,
// which removes the token and runs internal/redact.
package discord

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/hermes-go/hermes/internal/clock"
	"github.com/hermes-go/hermes/internal/gateway/platform"
	"github.com/hermes-go/hermes/internal/redact"
)

// Name is the adapter's platform name.
const Name = "discord"

// MaxLen is the longest text Send accepts: Discord's limit on a message's
// content, in characters.
const MaxLen = 2000

const defaultBaseURL = "https://discord.com"

// intents are the gateway events the bot asks for. MessageContent is a
// privileged intent: it must be switched on in the developer portal.
const intents = discordgo.IntentsGuildMessages | discordgo.IntentsDirectMessages | discordgo.IntentsMessageContent

func init() {
	platform.RegisterAdapter(Name, New)
	discordgo.Logger = libLog
}

// logSink is where discordgo's log lines go: the running adapter's
// scrubbing logger, or nowhere.
var logSink atomic.Pointer[func(string)]

// libLog is discordgo's package logger: lines go through the current
// adapter's scrub, never to stderr.
func libLog(level, _ int, format string, args ...any) {
	if p := logSink.Load(); p != nil {
		(*p)(fmt.Sprintf(format, args...))
	}
}

// Adapter is the Discord adapter, safe for concurrent use.
type Adapter struct {
	token          string
	api            *discordgo.Session // REST only: Send, Edit, Typing, interaction answers
	client         *http.Client
	home           string
	requireMention bool
	stateDir       string
	logf           func(string, ...any)
	wait           func(ctx context.Context, d time.Duration) error

	mu    sync.Mutex
	botID string        // the bot's user id, from GET /users/@me
	link  platform.Link // the connection as last reported to the core
	chans *channels

	presses sync.WaitGroup
}

// New is the adapter factory: platform.ErrDisabled unless
// platforms.discord.enabled; an error naming .env when the token is
// missing and one naming the key when base_url is not a URL.
func New(d platform.Deps) (platform.Adapter, error) {
	if d.Config == nil || !d.Config.Platforms.Discord.Enabled {
		return nil, platform.ErrDisabled
	}
	dc := d.Config.Platforms.Discord
	var token string
	if d.Env != nil {
		token, _ = d.Env("DISCORD_BOT_TOKEN")
	}
	token = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(token), "Bot "))
	if token == "" {
		return nil, errors.New("discord: platforms.discord.enabled is true but DISCORD_BOT_TOKEN is not set: add DISCORD_BOT_TOKEN=... (Bot > Reset Token in the developer portal) to the home's .env")
	}
	base, err := baseURL(dc.BaseURL)
	if err != nil {
		return nil, err
	}
	logf := d.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	a := &Adapter{
		token: token, home: dc.HomeChannel, requireMention: dc.RequireMention,
		stateDir: d.StateDir, logf: logf, wait: clock.Real{}.Sleep,
		client: &http.Client{Timeout: 30 * time.Second, Transport: rewriter{base: base, next: http.DefaultTransport}},
	}
	a.api = a.session()
	return a, nil
}

// baseURL checks platforms.discord.base_url; "" is discord.com.
func baseURL(s string) (*url.URL, error) {
	if s == "" {
		s = defaultBaseURL
	}
	u, err := url.Parse(strings.TrimRight(s, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("discord: platforms.discord.base_url is %q: use an http(s) URL such as %s", s, defaultBaseURL)
	}
	return u, nil
}

// session makes a discordgo session that talks through a.client.
func (a *Adapter) session() *discordgo.Session {
	s, _ := discordgo.New("Bot " + a.token) // New fails only for tokens with login e-mails, never "Bot ..."
	s.Client = a.client
	s.Identify.Intents = intents
	s.SyncEvents = true
	s.ShouldReconnectOnError = true
	s.StateEnabled = false
	s.LogLevel = discordgo.LogWarning
	s.MaxRestRetries = 3
	return s
}

// rewriter sends requests for discord.com to base (tests, proxies).
type rewriter struct {
	base *url.URL
	next http.RoundTripper
}

func (r rewriter) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host == "discord.com" && (r.base.Host != "discord.com" || r.base.Scheme != "https") {
		req = req.Clone(req.Context())
		req.URL.Scheme = r.base.Scheme
		req.URL.Host = r.base.Host
		req.Host = r.base.Host
	}
	return r.next.RoundTrip(req)
}

// Name returns "discord".
func (a *Adapter) Name() string { return Name }

// MaxLen returns 2000.
func (a *Adapter) MaxLen() int { return MaxLen }

// Home returns platforms.discord.home_channel.
func (a *Adapter) Home() string { return a.home }

// Run connects to the gateway and feeds messages to h until ctx ends. It
// returns an error when Discord refuses the token.
func (a *Adapter) Run(ctx context.Context, h platform.Handler) error {
	a.link.Reset() // a restarted Run reports its connection afresh
	sink := func(s string) {
		s = a.scrubText(strings.TrimSpace(s))
		a.logf("discord: %s", s)
		if err := closeHint(s); err != nil {
			a.down(h, err)
		}
	}
	logSink.Store(&sink)
	defer logSink.CompareAndSwap(&sink, nil)

	chans, err := loadChannels(a.stateDir)
	if err != nil {
		a.down(h, err)
		return err
	}
	a.mu.Lock()
	a.chans = chans
	a.mu.Unlock()
	if err := a.whoAmI(ctx, h); err != nil || ctx.Err() != nil {
		return err
	}
	q := newQueue()
	s := a.session()
	s.AddHandler(func(s *discordgo.Session, _ *discordgo.Connect) {
		if ctx.Err() != nil {
			// discordgo's own reconnect loop connected after Run ended:
			// close it (asynchronously: Open holds the session's lock).
			go s.Close()
			return
		}
		a.up(h)
	})
	s.AddHandler(func(_ *discordgo.Session, _ *discordgo.Disconnect) {
		if ctx.Err() == nil {
			a.down(h, errors.New("discord: gateway connection lost; reconnecting"))
		}
	})
	s.AddHandler(func(_ *discordgo.Session, r *discordgo.Ready) {
		if r.User != nil && r.User.ID != "" {
			a.mu.Lock()
			a.botID = r.User.ID
			a.mu.Unlock()
		}
		a.up(h)
		q.push(item{catchUp: true})
	})
	s.AddHandler(func(_ *discordgo.Session, _ *discordgo.Resumed) {
		a.up(h)
		q.push(item{catchUp: true})
	})
	s.AddHandler(func(_ *discordgo.Session, m *discordgo.MessageCreate) {
		if m.Message != nil {
			q.push(item{msg: m.Message, dm: m.GuildID == ""})
		}
	})
	s.AddHandler(func(_ *discordgo.Session, i *discordgo.InteractionCreate) { a.interaction(ctx, h, i.Interaction) })

	if err := a.open(ctx, h, s); err != nil || ctx.Err() != nil {
		return err
	}
	a.work(ctx, h, q)
	s.Close()
	a.presses.Wait()
	return nil
}

// whoAmI learns the bot's user id with GET /users/@me, which also checks
// the token: a 401 ends Run, other failures are retried.
func (a *Adapter) whoAmI(ctx context.Context, h platform.Handler) error {
	for failures := 1; ; failures++ {
		u, err := a.api.User("@me", discordgo.WithContext(ctx))
		if ctx.Err() != nil {
			return nil
		}
		if err == nil {
			a.mu.Lock()
			a.botID = u.ID
			a.mu.Unlock()
			a.logf("discord: authenticated as %s (%s)", u.Username, u.ID)
			return nil
		}
		if err := a.fatal(err); err != nil {
			a.down(h, err)
			return err
		}
		err = a.scrub(fmt.Errorf("discord: GET /users/@me: %w", err))
		a.down(h, err)
		d := platform.RetryBackoff.After(failures)
		a.logf("%s; retrying in %s", err, d)
		if a.wait(ctx, d) != nil {
			return nil
		}
	}
}

// open opens the gateway WebSocket, retrying until it works; discordgo
// reconnects (and resumes) by itself from then on.
func (a *Adapter) open(ctx context.Context, h platform.Handler, s *discordgo.Session) error {
	for failures := 1; ; failures++ {
		err := s.Open()
		if err == nil {
			return nil
		}
		if err := a.fatal(err); err != nil {
			a.down(h, err)
			return err
		}
		err = a.scrub(fmt.Errorf("discord: connecting to the gateway: %w", err))
		if hint := closeHint(err.Error()); hint != nil {
			err = hint
		}
		a.down(h, err)
		d := platform.RetryBackoff.After(failures)
		a.logf("%s; retrying in %s", err, d)
		if a.wait(ctx, d) != nil {
			return nil
		}
	}
}

// closeHint explains the gateway close codes a user can fix, from
// discordgo's log line about them; nil for other lines.
func closeHint(line string) error {
	switch {
	case strings.Contains(line, "close 4014"):
		return errors.New("discord: Discord refused the intents (4014): switch on Message Content Intent under Bot > Privileged Gateway Intents in the developer portal")
	case strings.Contains(line, "close 4004"):
		return errors.New("discord: Discord refused DISCORD_BOT_TOKEN on the gateway (4004): reset the bot's token and put the new one in .env")
	}
	return nil
}

// fatal turns a refused token into Run's error; nil for other errors.
func (a *Adapter) fatal(err error) error {
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode == http.StatusUnauthorized {
		return errors.New("discord: DISCORD_BOT_TOKEN was refused (401 Unauthorized): reset the bot's token in the developer portal and put the new one in .env")
	}
	return nil
}

func (a *Adapter) up(h platform.Handler) { a.link.Up(h, Name) }

func (a *Adapter) down(h platform.Handler, err error) { a.link.Down(h, Name, err) }

func (a *Adapter) bot() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.botID
}

// scrub removes the token from an error and redacts it.
func (a *Adapter) scrub(err error) error {
	if err == nil {
		return nil
	}
	return errors.New(a.scrubText(err.Error()))
}

func (a *Adapter) scrubText(s string) string {
	if a.token != "" {
		s = strings.ReplaceAll(s, a.token, "[REDACTED]")
	}
	return redact.Default().String(s)
}
