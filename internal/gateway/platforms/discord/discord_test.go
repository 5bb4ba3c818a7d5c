package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/hermes-go/hermes/internal/clock"
	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/gateway/platform"
	"github.com/hermes-go/hermes/internal/gateway/platforms/discord/discordfake"
)

// fakeCore is a platform.Handler that records what the adapter gives it.
type fakeCore struct {
	mu       sync.Mutex
	changed  chan struct{}
	inbound  []platform.Message
	calls    int
	failNext int
	pressed  []platform.Callback
	ups      int
	lastErr  error
}

func newCore() *fakeCore { return &fakeCore{changed: make(chan struct{})} }

func (c *fakeCore) notify() { close(c.changed); c.changed = make(chan struct{}) }

func (c *fakeCore) Inbound(_ context.Context, m platform.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	defer c.notify()
	c.calls++
	if c.failNext > 0 {
		c.failNext--
		return errors.New("journal: database is locked")
	}
	for _, got := range c.inbound { // the ledger's dedup by key
		if got.Key() == m.Key() {
			return nil
		}
	}
	c.inbound = append(c.inbound, m)
	return nil
}

func (c *fakeCore) Pressed(_ context.Context, cb platform.Callback) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	defer c.notify()
	c.pressed = append(c.pressed, cb)
	return nil
}

func (c *fakeCore) Connected(_ string, up bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	defer c.notify()
	if up {
		c.ups++
	}
	c.lastErr = err
}

func (c *fakeCore) wait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		ok, ch := cond(), c.changed
		c.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			c.mu.Lock()
			defer c.mu.Unlock()
			t.Fatalf("timed out waiting for %s; inbound=%+v pressed=%+v ups=%d err=%v", what, c.inbound, c.pressed, c.ups, c.lastErr)
		}
	}
}

func (c *fakeCore) texts() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, m := range c.inbound {
		out = append(out, m.Text)
	}
	return out
}

type logs struct {
	mu    sync.Mutex
	lines []string
}

func (l *logs) logf(f string, a ...any) {
	l.mu.Lock()
	l.lines = append(l.lines, fmt.Sprintf(f, a...))
	l.mu.Unlock()
}

func (l *logs) all() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

func deps(base, token, stateDir string, mutate func(*config.Discord), lg *logs) platform.Deps {
	cfg := config.Default()
	cfg.Platforms.Discord.Enabled = true
	cfg.Platforms.Discord.BaseURL = base
	cfg.Platforms.Discord.RequireMention = false
	if mutate != nil {
		mutate(&cfg.Platforms.Discord)
	}
	env := map[string]string{"DISCORD_BOT_TOKEN": token}
	return platform.Deps{Config: cfg, StateDir: stateDir, Logf: lg.logf,
		Env: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
}

type run struct {
	a      *Adapter
	core   *fakeCore
	lg     *logs
	cancel context.CancelFunc
	done   chan error
}

// startOn runs an adapter against fake with state in dir until stop.
func startOn(t *testing.T, fake *discordfake.Server, dir string, mutate func(*config.Discord)) *run {
	t.Helper()
	lg := &logs{}
	ad, err := New(deps(fake.URL, discordfake.Token, dir, mutate, lg))
	if err != nil {
		t.Fatal(err)
	}
	r := &run{a: ad.(*Adapter), core: newCore(), lg: lg, done: make(chan error, 1)}
	r.a.wait = func(ctx context.Context, d time.Duration) error {
		return clock.Real{}.Sleep(ctx, min(d, 50*time.Millisecond))
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- r.a.Run(ctx, r.core) }()
	t.Cleanup(func() { r.stop(t) })
	r.core.wait(t, "connected", func() bool { return r.core.ups > 0 })
	return r
}

func (r *run) stop(t *testing.T) {
	t.Helper()
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.cancel = nil
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("Run did not return after cancel")
	}
	if s := r.lg.all(); strings.Contains(s, discordfake.Token) {
		t.Errorf("the token reached the log:\n%s", s)
	}
}

func start(t *testing.T, mutate func(*config.Discord)) (*run, *discordfake.Server) {
	t.Helper()
	fake := discordfake.New()
	t.Cleanup(fake.Close)
	return startOn(t, fake, t.TempDir(), mutate), fake
}

const (
	dmChan  = "2000000000000000001"
	gChan   = "2000000000000000002"
	guild   = "3000000000000000001"
	user1   = "4000000000000000001"
	user2   = "4000000000000000002"
	otherBt = "4000000000000000009"
)

func TestNewErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, token, base, want string
	}{
		{"no token", "", "", "DISCORD_BOT_TOKEN is not set"},
		{"bad base", "x", "ftp://example", "platforms.discord.base_url"},
		{"no host", "x", "http://", "platforms.discord.base_url"},
	}
	for _, tt := range tests {
		_, err := New(deps(tt.base, tt.token, "", nil, &logs{}))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want %q", tt.name, err, tt.want)
		}
	}
	if _, err := New(platform.Deps{Config: config.Default()}); !errors.Is(err, platform.ErrDisabled) {
		t.Errorf("disabled: %v", err)
	}
}

// TestDMs: a DM reaches the core as a DM addressed to the bot; bots,
// webhooks and the bot's own messages do not; the intents ask for
// message content.
func TestDMs(t *testing.T) {
	t.Parallel()
	r, fake := start(t, nil)
	if got := fake.Stats().Intents; got&int(discordgo.IntentsMessageContent) == 0 || got&int(discordgo.IntentsDirectMessages) == 0 {
		t.Fatalf("intents %d lack message content or DMs", got)
	}
	for _, skip := range []discordfake.Message{
		{ChannelID: dmChan, AuthorID: otherBt, Bot: true, Content: "from a bot"},
		{ChannelID: dmChan, AuthorID: discordfake.BotID, Bot: true, Content: "my own"},
		{ChannelID: dmChan, AuthorID: user2, WebhookID: "5", Content: "a webhook"},
		{ChannelID: dmChan, AuthorID: user1, Content: "   "},
	} {
		fake.SendMessage(skip)
	}
	id := fake.SendMessage(discordfake.Message{ChannelID: dmChan, AuthorID: user1, Username: "ann", Content: "hello"})
	r.core.wait(t, "the DM", func() bool { return len(r.core.inbound) == 1 })
	m := r.core.inbound[0]
	want := platform.Message{Platform: Name, ID: id, ChatID: dmChan, ChatType: platform.DM, UserID: user1, UserName: "ann", Text: "hello", Mentioned: true}
	m.At = time.Time{}
	if m != want {
		t.Fatalf("message = %+v\nwant      %+v", m, want)
	}
	if r.core.inbound[0].At.IsZero() {
		t.Error("no time")
	}
}

// TestMentions: with require_mention, an unaddressed server message is
// dropped, a mention (<@ID> or <@!ID>) is stripped and passed on.
func TestMentions(t *testing.T) {
	t.Parallel()
	r, fake := start(t, func(d *config.Discord) { d.RequireMention = true })
	fake.SendMessage(discordfake.Message{ChannelID: gChan, GuildID: guild, AuthorID: user1, Content: "just chatting"})
	fake.SendMessage(discordfake.Message{ChannelID: gChan, GuildID: guild, AuthorID: user1, Content: "<@" + discordfake.BotID + "> what time is it?", Mentions: []string{discordfake.BotID}})
	fake.SendMessage(discordfake.Message{ChannelID: gChan, GuildID: guild, AuthorID: user2, Content: "and you <@!" + discordfake.BotID + ">"})
	fake.SendMessage(discordfake.Message{ChannelID: gChan, GuildID: guild, AuthorID: user2, Content: "<@" + user1 + "> not the bot", Mentions: []string{user1}})
	r.core.wait(t, "the mentions", func() bool { return len(r.core.inbound) == 2 })
	time.Sleep(200 * time.Millisecond)
	got := r.core.texts()
	if strings.Join(got, "|") != "what time is it?|and you" {
		t.Fatalf("texts = %q", got)
	}
	for _, m := range r.core.inbound {
		if m.ChatType != platform.Group || !m.Mentioned || m.ChatID != gChan {
			t.Fatalf("message = %+v", m)
		}
	}
}

// TestInboundRetriedInPlace: a failed Inbound is retried, and the
// messages after it wait their turn.
func TestInboundRetriedInPlace(t *testing.T) {
	t.Parallel()
	r, fake := start(t, nil)
	r.core.mu.Lock()
	r.core.failNext = 3
	r.core.mu.Unlock()
	fake.SendMessage(discordfake.Message{ChannelID: dmChan, AuthorID: user1, Content: "one"})
	fake.SendMessage(discordfake.Message{ChannelID: dmChan, AuthorID: user1, Content: "two"})
	r.core.wait(t, "both", func() bool { return len(r.core.inbound) == 2 })
	if got := strings.Join(r.core.texts(), ","); got != "one,two" {
		t.Fatalf("order %q", got)
	}
	r.core.mu.Lock()
	calls := r.core.calls
	r.core.mu.Unlock()
	if calls != 5 {
		t.Fatalf("%d Inbound calls, want 3 failures + 2", calls)
	}
}

// TestCatchUp: messages written while the gateway was down are read
// from the channel's history when the next session is READY, once;
// after a dropped connection (RESUMED) too.
func TestCatchUp(t *testing.T) {
	t.Parallel()
	fake := discordfake.New()
	t.Cleanup(fake.Close)
	dir := t.TempDir()
	r := startOn(t, fake, dir, nil)
	fake.SendMessage(discordfake.Message{ChannelID: dmChan, AuthorID: user1, Content: "before"})
	r.core.wait(t, "the first", func() bool { return len(r.core.inbound) == 1 })
	r.stop(t)
	data, err := os.ReadFile(filepath.Join(dir, channelsFile))
	if err != nil || !strings.Contains(string(data), dmChan) {
		t.Fatalf("state %s: %v", data, err)
	}

	fake.AddHistory(discordfake.Message{ChannelID: dmChan, AuthorID: user1, Content: "while down 1"})
	fake.AddHistory(discordfake.Message{ChannelID: dmChan, AuthorID: discordfake.BotID, Bot: true, Content: "a bot line"})
	fake.AddHistory(discordfake.Message{ChannelID: dmChan, AuthorID: user1, Content: "while down 2"})
	r2 := startOn(t, fake, dir, nil)
	r2.core.wait(t, "the catch-up", func() bool { return len(r2.core.inbound) == 2 })
	if got := strings.Join(r2.core.texts(), ","); got != "while down 1,while down 2" {
		t.Fatalf("caught up %q", got)
	}
	if m := r2.core.inbound[0]; m.ChatType != platform.DM || m.UserID != user1 {
		t.Fatalf("caught-up message = %+v", m)
	}

	// A drop: discordgo resumes; what was written in between is caught up.
	fake.Drop()
	fake.AddHistory(discordfake.Message{ChannelID: dmChan, AuthorID: user1, Content: "during the drop"})
	if err := fake.Wait("a resume", 30*time.Second, func() bool { return fake.Stats().Resumes >= 1 }); err != nil {
		t.Fatal(err)
	}
	r2.core.wait(t, "the message of the drop", func() bool { return len(r2.core.inbound) == 3 })
	fake.SendMessage(discordfake.Message{ChannelID: dmChan, AuthorID: user1, Content: "live again"})
	r2.core.wait(t, "live", func() bool { return len(r2.core.inbound) == 4 })
	r2.core.mu.Lock()
	calls := r2.core.calls
	r2.core.mu.Unlock()
	if calls != 4 {
		t.Fatalf("%d Inbound calls for 4 messages: something was handed over twice", calls)
	}
}

// TestSendButtonsPressEdit: buttons become action rows whose press
// reaches the core and is answered with a deferred update; edits drop
// the buttons; threads and replies; over-long text is refused.
func TestSendButtonsPressEdit(t *testing.T) {
	t.Parallel()
	r, fake := start(t, nil)
	ctx := context.Background()
	sent, err := r.a.Send(ctx, platform.Outbound{ChatID: gChan, Text: "Run `rm -rf build`?", ReplyTo: "1300000000000000000",
		Buttons: [][]platform.Button{{{Text: "Approve once", Data: "ap:1:once"}, {Text: "Deny", Data: "ap:1:deny"}}}})
	if err != nil {
		t.Fatal(err)
	}
	p := fake.Posted()[0]
	if p.Method != "send" || p.Channel != gChan || p.ID != sent.ID || p.ReplyTo != "1300000000000000000" || p.Content != "Run `rm -rf build`?" {
		t.Fatalf("posted %+v, sent %+v", p, sent)
	}
	var rows []struct {
		Type       int `json:"type"`
		Components []struct {
			Type     int    `json:"type"`
			Label    string `json:"label"`
			Style    int    `json:"style"`
			CustomID string `json:"custom_id"`
		} `json:"components"`
	}
	if err := json.Unmarshal([]byte(p.Components), &rows); err != nil || len(rows) != 1 || rows[0].Type != 1 || len(rows[0].Components) != 2 {
		t.Fatalf("components %s: %v", p.Components, err)
	}
	b0, b1 := rows[0].Components[0], rows[0].Components[1]
	if b0.Type != 2 || b0.CustomID != "ap:1:once" || b0.Style != 1 || b0.Label != "Approve once" || b1.CustomID != "ap:1:deny" || b1.Style != 4 {
		t.Fatalf("buttons %s", p.Components)
	}
	if !strings.Contains(p.Mentions, `"parse":[]`) {
		t.Fatalf("allowed_mentions %q would let the text ping", p.Mentions)
	}

	iid := fake.PressButton(gChan, guild, sent.ID, user1, "ap:1:once")
	r.core.wait(t, "the press", func() bool { return len(r.core.pressed) == 1 })
	if cb := r.core.pressed[0]; cb != (platform.Callback{Platform: Name, ID: iid, ChatID: gChan, UserID: user1, Data: "ap:1:once"}) {
		t.Fatalf("callback = %+v", cb)
	}
	if err := fake.Wait("the interaction callback", 10*time.Second, func() bool { return len(fake.Callbacks()) == 1 }); err != nil {
		t.Fatal(err)
	}
	if cb := fake.Callbacks()[0]; cb.ID != iid || cb.Type != 6 {
		t.Fatalf("interaction callback %+v, want type 6 for %s", cb, iid)
	}
	fake.PressButton(dmChan, "", sent.ID, user2, "ap:2:deny") // in a DM the user is not a member
	r.core.wait(t, "the DM press", func() bool { return len(r.core.pressed) == 2 })
	if cb := r.core.pressed[1]; cb.UserID != user2 || cb.ChatID != dmChan {
		t.Fatalf("DM callback = %+v", cb)
	}

	if err := r.a.Edit(ctx, gChan, sent.ID, "Approved once."); err != nil {
		t.Fatal(err)
	}
	if e := fake.Posted()[1]; e.Method != "edit" || e.ID != sent.ID || e.Content != "Approved once." || e.Components != "[]" {
		t.Fatalf("edit = %+v", e)
	}

	if _, err := r.a.Send(ctx, platform.Outbound{ChatID: gChan, ThreadID: dmChan, Text: "in the thread"}); err != nil {
		t.Fatal(err)
	}
	if p := fake.Posted()[2]; p.Channel != dmChan || p.Components != "" && p.Components != "[]" {
		t.Fatalf("thread send = %+v", p)
	}
	if err := r.a.Typing(ctx, gChan, ""); err != nil || len(fake.Typing()) != 1 || fake.Typing()[0] != gChan {
		t.Fatalf("typing: %v %v", err, fake.Typing())
	}

	for _, bad := range []platform.Outbound{
		{ChatID: gChan, Text: strings.Repeat("x", MaxLen+1)},
		{ChatID: gChan, Text: " "},
		{ChatID: "general", Text: "hi"},
		{ChatID: gChan, Text: "hi", Buttons: [][]platform.Button{{{Text: "x", Data: strings.Repeat("d", 101)}}}},
	} {
		if _, err := r.a.Send(ctx, bad); err == nil {
			t.Errorf("sent %.40q", bad.Text+bad.ChatID)
		}
	}
	if n := len(fake.Posted()); n != 3 {
		t.Fatalf("%d posts after the refused sends", n)
	}
	if _, err := r.a.Send(ctx, platform.Outbound{ChatID: gChan, Text: strings.Repeat("é", MaxLen)}); err != nil {
		t.Fatalf("2000 characters refused: %v", err)
	}
}

// TestInvalidToken: a refused token ends Run with an error that does
// not contain the token, and nothing reaches the log with it.
func TestInvalidToken(t *testing.T) {
	t.Parallel()
	fake := discordfake.New()
	defer fake.Close()
	const wrong = "MTIzNDU2Nzg5MDEyMzQ1Njc4.Wrong0.wrongwrongwrongwrongwrongwrong"
	lg := &logs{}
	ad, err := New(deps(fake.URL, wrong, t.TempDir(), nil, lg))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	core := newCore()
	err = ad.Run(ctx, core)
	if err == nil || !strings.Contains(err.Error(), "401") || strings.Contains(err.Error(), "wrongwrong") {
		t.Fatalf("Run = %v", err)
	}
	if strings.Contains(lg.all(), "wrongwrong") {
		t.Fatalf("token in the log: %s", lg.all())
	}
	if _, err := ad.Send(ctx, platform.Outbound{ChatID: gChan, Text: "hi"}); err == nil || strings.Contains(err.Error(), "wrongwrong") {
		t.Fatalf("Send = %v", err)
	}
}

// TestBadState: a corrupt channels.json is an error naming the file.
func TestBadState(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, bad := range []string{"{", `[{"id":"x","last":"1"}]`} {
		os.WriteFile(filepath.Join(dir, channelsFile), []byte(bad), 0o600)
		if _, err := loadChannels(dir); err == nil || !strings.Contains(err.Error(), channelsFile) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func FuzzAddressed(f *testing.F) {
	const me = "1000000000000000001"
	for _, s := range []string{"<@" + me + "> hi", "hi <@!" + me + ">", "<@2> <@" + me + ">", "<@", "plain", "<@!<@" + me + ">" + me + ">"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, found := addressed(s, me)
		if strings.Contains(out, "<@"+me+">") || strings.Contains(out, "<@!"+me+">") {
			t.Fatalf("mention left in %q", out)
		}
		if !found && out != strings.TrimSpace(s) {
			t.Fatalf("text changed without a mention: %q -> %q", s, out)
		}
	})
}

// TestCatchUpPages: more than one page of history (100 a page) is read
// in full, oldest first.
func TestCatchUpPages(t *testing.T) {
	t.Parallel()
	fake := discordfake.New()
	t.Cleanup(fake.Close)
	dir := t.TempDir()
	r := startOn(t, fake, dir, nil)
	fake.SendMessage(discordfake.Message{ChannelID: gChan, GuildID: guild, AuthorID: user1, Content: "first"})
	r.core.wait(t, "the first", func() bool { return len(r.core.inbound) == 1 })
	r.stop(t)
	const n = 230
	for i := range n {
		fake.AddHistory(discordfake.Message{ChannelID: gChan, AuthorID: user2, Content: fmt.Sprintf("m%03d", i)})
	}
	r2 := startOn(t, fake, dir, nil)
	r2.core.wait(t, "the catch-up", func() bool { return len(r2.core.inbound) == n })
	for i, m := range r2.core.inbound {
		if want := fmt.Sprintf("m%03d", i); m.Text != want || m.ChatType != platform.Group {
			t.Fatalf("message %d = %+v, want %s", i, m, want)
		}
	}
	if reads := fake.HistoryReads(); len(reads) < 3 {
		t.Fatalf("history read in %d pages: %q", len(reads), reads)
	}
}

// TestDisallowedIntents: a gateway that closes with 4014 shows as down
// with the fix; once the intent is allowed the adapter connects.
func TestDisallowedIntents(t *testing.T) {
	t.Parallel()
	fake := discordfake.New()
	defer fake.Close()
	fake.RefuseIntents(true)
	lg := &logs{}
	ad, err := New(deps(fake.URL, discordfake.Token, t.TempDir(), nil, lg))
	if err != nil {
		t.Fatal(err)
	}
	a := ad.(*Adapter)
	a.wait = func(ctx context.Context, d time.Duration) error {
		return clock.Real{}.Sleep(ctx, min(d, 50*time.Millisecond))
	}
	core := newCore()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, core) }()
	core.wait(t, "the 4014 error", func() bool {
		return core.lastErr != nil && strings.Contains(core.lastErr.Error(), "Message Content Intent")
	})
	fake.RefuseIntents(false)
	core.wait(t, "connected", func() bool { return core.ups > 0 })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}
