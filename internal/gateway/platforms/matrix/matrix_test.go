package matrix

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/gateway/platform"
	"github.com/hermes-go/hermes/internal/gateway/platforms/matrix/dendritetest"
)

// TestPairingThenAnswer: an unknown user's DM gets a pairing code; once
// the owner approves it, the user's message is answered.
func TestPairingThenAnswer(t *testing.T) {
	srv := dendritetest.Start(t)
	bot := srv.Register(t, "hermes")
	alice := srv.Register(t, "alice")
	g := startGateway(t, matrixConfig(srv, bot, false), map[string]string{"MATRIX_ACCESS_TOKEN": bot.Token}, t.TempDir())

	a := newPerson(t, srv.Client(t, alice))
	a.run(t)
	room := a.room(t, bot.ID, false)
	a.say(t, room, "hello")
	code := pairingCode(t, a.waitBody(t, bot.ID, room, "pairing code is"))
	if _, err := g.pairing.Approve(Name, code); err != nil {
		t.Fatalf("approve %s: %v", code, err)
	}
	a.say(t, room, "what is 2+2")
	a.waitBody(t, bot.ID, room, "answer: what is 2+2")

	g.agent.mu.Lock()
	defer g.agent.mu.Unlock()
	want := "agent:main:matrix:dm:" + room.String()
	if len(g.agent.sessions) != 1 || g.agent.sessions[0] != want {
		t.Fatalf("sessions %q, want [%q]", g.agent.sessions, want)
	}
	if strings.Contains(strings.Join(a.from(bot.ID, room), "\n"), bot.Token) {
		t.Fatal("the access token reached the chat")
	}
}

// TestGroupSessionsPerParticipant: in a room of three, each participant
// has a session of their own, and the sync token is saved.
func TestGroupSessionsPerParticipant(t *testing.T) {
	srv := dendritetest.Start(t)
	bot := srv.Register(t, "hermes")
	alice, bob := srv.Register(t, "alice"), srv.Register(t, "bob")
	env := map[string]string{"MATRIX_ACCESS_TOKEN": bot.Token, "MATRIX_ALLOWED_USERS": alice.ID.String() + "," + bob.ID.String()}
	dir := t.TempDir()
	g := startGateway(t, matrixConfig(srv, bot, false), env, dir)
	a, b := newPerson(t, srv.Client(t, alice)), newPerson(t, srv.Client(t, bob))
	a.run(t)
	ctx := context.Background()
	resp, err := a.cli.CreateRoom(ctx, &mautrix.ReqCreateRoom{Invite: []id.UserID{bot.ID, bob.ID}, Preset: "private_chat"})
	if err != nil {
		t.Fatal(err)
	}
	room := resp.RoomID
	if _, err := b.cli.JoinRoomByID(ctx, room); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the bot to join", func() bool {
		m, err := a.cli.JoinedMembers(ctx, room)
		return err == nil && len(m.Joined) == 3
	})
	a.say(t, room, "from alice")
	a.waitBody(t, bot.ID, room, "answer: from alice")
	b.say(t, room, "from bob")
	a.waitBody(t, bot.ID, room, "answer: from bob")
	g.agent.mu.Lock()
	got := strings.Join(g.agent.sessions, " ")
	g.agent.mu.Unlock()
	for _, u := range []id.UserID{alice.ID, bob.ID} {
		if !strings.Contains(got, "agent:main:matrix:group:"+room.String()+":"+u.String()) {
			t.Errorf("no session of %s in %s", u, got)
		}
	}
	waitFor(t, "sync.json", func() bool {
		tok, err := loadSyncToken(filepath.Join(dir, "platforms", "matrix"))
		return err == nil && tok != ""
	})
	if fi, err := os.Stat(filepath.Join(dir, "platforms", "matrix", syncFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("sync.json: %v %v", fi, err)
	}
}

// TestSendTarget: a delivery to matrix:!room:server goes to that room,
// the room id's colon notwithstanding, and a resend with the same key is
// deduplicated by the homeserver.
func TestSendTarget(t *testing.T) {
	srv := dendritetest.Start(t)
	bot := srv.Register(t, "hermes")
	alice := srv.Register(t, "alice")
	state := t.TempDir()
	ad, err := New(platform.Deps{Config: matrixConfig(srv, bot, false), Env: envOf(map[string]string{"MATRIX_ACCESS_TOKEN": bot.Token}), StateDir: state})
	if err != nil {
		t.Fatal(err)
	}
	a := newPerson(t, srv.Client(t, alice))
	ctx := context.Background()
	resp, err := a.cli.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "public_chat"})
	if err != nil {
		t.Fatal(err)
	}
	botCli := srv.Client(t, bot)
	if _, err := botCli.JoinRoomByID(ctx, resp.RoomID); err != nil {
		t.Fatal(err)
	}
	chat, thread, err := ad.(platform.TargetParser).ParseTarget(resp.RoomID.String())
	if err != nil || chat != resp.RoomID.String() || thread != "" {
		t.Fatalf("ParseTarget(%s) = %q %q %v", resp.RoomID, chat, thread, err)
	}
	o := platform.Outbound{ChatID: chat, Text: "cron said **hi**", Key: "out:abc:0"}
	s1, err := ad.Send(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	o.Text = "(resent) " + o.Text
	s2, err := ad.Send(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if s1.ID != s2.ID {
		t.Fatalf("a resend with the same key made a second event: %s, %s", s1.ID, s2.ID)
	}
	msgs, err := a.cli.Messages(ctx, resp.RoomID, "", "", mautrix.DirectionBackward, nil, 50)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range msgs.Chunk {
		if e.Type == event.EventMessage && e.Sender == bot.ID {
			n++
			_ = e.Content.ParseRaw(e.Type)
			c := e.Content.AsMessage()
			if c.Body != "cron said **hi**" || !strings.Contains(c.FormattedBody, "<strong>hi</strong>") {
				t.Errorf("body %q formatted %q", c.Body, c.FormattedBody)
			}
		}
	}
	if n != 1 {
		t.Fatalf("%d messages from the bot, want 1", n)
	}
}

func TestNewErrors(t *testing.T) {
	t.Parallel()
	base := func() *config.Config {
		c := &config.Config{}
		c.Platforms.Matrix.Enabled = true
		c.Platforms.Matrix.Homeserver = "http://127.0.0.1:1"
		c.Platforms.Matrix.UserID = "@bot:localhost"
		return c
	}
	tok := map[string]string{"MATRIX_ACCESS_TOKEN": "syt_secret_token"}
	cases := []struct {
		name string
		cfg  func(*config.Config)
		env  map[string]string
		want string
	}{
		{"disabled", func(c *config.Config) { c.Platforms.Matrix.Enabled = false }, tok, "not enabled"},
		{"no credentials", func(*config.Config) {}, nil, "MATRIX_ACCESS_TOKEN nor MATRIX_PASSWORD"},
		{"bad homeserver", func(c *config.Config) { c.Platforms.Matrix.Homeserver = "matrix.org" }, tok, "not an http(s) URL"},
		{"bad user", func(c *config.Config) { c.Platforms.Matrix.UserID = "bot" }, tok, "not a Matrix user id"},
	}
	if !cryptoBuilt {
		cases = append(cases, struct {
			name string
			cfg  func(*config.Config)
			env  map[string]string
			want string
		}{"encryption without goolm", func(c *config.Config) { c.Platforms.Matrix.Encryption = true }, tok, "-tags goolm"})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := base()
			tc.cfg(c)
			_, err := New(platform.Deps{Config: c, Env: envOf(tc.env), StateDir: t.TempDir()})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
		})
	}
}

func TestParseTarget(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in, chat, thread string
		bad              bool
	}{
		{in: "!abc:example.org", chat: "!abc:example.org"},
		{in: "!abc:127.0.0.1:8008", chat: "!abc:127.0.0.1:8008"},
		{in: "!abc:example.org:$ev1", chat: "!abc:example.org", thread: "$ev1"},
		{in: "!abc:example.org:8448:$ev:example.org", chat: "!abc:example.org:8448", thread: "$ev:example.org"},
		{in: "#room:example.org", chat: "#room:example.org"},
		{in: "abc", bad: true},
		{in: "!abc", bad: true},
		{in: "!abc:", bad: true},
		{in: "!abc:server:$", bad: true},
		{in: "", bad: true},
	}
	for _, tc := range cases {
		chat, thread, err := parseTarget(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("parseTarget(%q) = %q %q, want an error", tc.in, chat, thread)
			}
			continue
		}
		if err != nil || chat != tc.chat || thread != tc.thread {
			t.Errorf("parseTarget(%q) = %q %q %v, want %q %q", tc.in, chat, thread, err, tc.chat, tc.thread)
		}
	}
}

func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"!a:b", "!a:b:$c", "#a:b:1:$c:d", ":$", "!:$"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		chat, thread, err := parseTarget(s)
		if err != nil {
			return
		}
		if !strings.HasPrefix(chat, "!") && !strings.HasPrefix(chat, "#") {
			t.Fatalf("chat %q", chat)
		}
		if thread != "" && (!strings.HasPrefix(thread, "$") || chat+":"+thread != s) {
			t.Fatalf("%q split into %q %q", s, chat, thread)
		}
		if thread == "" && chat != s {
			t.Fatalf("%q became %q", s, chat)
		}
	})
}

func TestPick(t *testing.T) {
	t.Parallel()
	cs := []choice{{"Approve", "appr:once"}, {"Approve all", "appr:session"}, {"Deny", "appr:deny"}}
	cases := map[string]string{"1️⃣": "appr:once", "1\u20e3": "appr:once", "2": "appr:session", " deny ": "appr:deny",
		"approve ALL": "appr:session", "3️⃣": "appr:deny", "4": "", "👍": "", "": ""}
	for in, want := range cases {
		c, ok := pick(cs, in)
		if (want == "") == ok || c.data != want {
			t.Errorf("pick(%q) = %q %v, want %q", in, c.data, ok, want)
		}
	}
	if got := choicesText(cs); !strings.Contains(got, "1️⃣ Approve · 2️⃣ Approve all · 3️⃣ Deny") {
		t.Errorf("choicesText = %q", got)
	}
}

func TestTxnID(t *testing.T) {
	t.Parallel()
	a, b := txnID("reply:matrix:!r:s:$e:0"), txnID("reply:matrix:!r:s:$e:1")
	if a == b || a != txnID("reply:matrix:!r:s:$e:0") || !strings.HasPrefix(a, "hermes.") || txnID("") != "" {
		t.Fatalf("txnID: %q %q", a, b)
	}
}

// recorder is a platform.Handler that fails Inbound failNext times, then
// records.
type recorder struct {
	mu       sync.Mutex
	calls    int
	failNext int
	got      []platform.Message
	pressed  []platform.Callback
	up       bool
}

func (r *recorder) Inbound(_ context.Context, m platform.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.failNext > 0 {
		r.failNext--
		return errors.New("journal: database is locked")
	}
	r.got = append(r.got, m)
	return nil
}

func (r *recorder) Pressed(_ context.Context, c platform.Callback) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pressed = append(r.pressed, c)
	return nil
}

func (r *recorder) presses() []platform.Callback {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]platform.Callback(nil), r.pressed...)
}

func (r *recorder) Connected(_ string, up bool, _ error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.up = up
}

func (r *recorder) messages() []platform.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]platform.Message(nil), r.got...)
}

// TestSyncTokenFollowsTheJournal: a message whose Inbound fails is synced
// again (the saved token stays before it) until it is journaled; and a
// process that died after journaling but before saving the token gets
// the same event again (the core's ledger then skips it by its key).
func TestSyncTokenFollowsTheJournal(t *testing.T) {
	srv := dendritetest.Start(t)
	bot, alice := srv.Register(t, "hermes"), srv.Register(t, "alice")
	state := t.TempDir()
	ad, err := New(platform.Deps{Config: matrixConfig(srv, bot, false), Env: envOf(map[string]string{"MATRIX_ACCESS_TOKEN": bot.Token}), StateDir: state})
	if err != nil {
		t.Fatal(err)
	}
	run := func(h *recorder) func() {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- ad.Run(ctx, h) }()
		waitFor(t, "connected", func() bool { h.mu.Lock(); defer h.mu.Unlock(); return h.up })
		return func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		}
	}
	h1 := &recorder{failNext: 2}
	stop := run(h1)
	a := newPerson(t, srv.Client(t, alice))
	room := a.room(t, bot.ID, false)
	var before string
	waitFor(t, "a saved token", func() bool { before, _ = loadSyncToken(state); return before != "" })
	ev := a.say(t, room, "one")
	waitFor(t, "the message journaled", func() bool { return len(h1.messages()) == 1 })
	m := h1.messages()[0]
	if m.ID != ev.String() || m.Text != "one" || m.ChatType != platform.DM || m.UserID != alice.ID.String() {
		t.Fatalf("message %+v", m)
	}
	h1.mu.Lock()
	calls := h1.calls
	h1.mu.Unlock()
	if calls != 3 {
		t.Fatalf("Inbound called %d times, want 3 (two failures, then journaled)", calls)
	}
	waitFor(t, "the token to pass the message", func() bool { tok, _ := loadSyncToken(state); return tok != before })
	stop()

	// As if killed after journaling and before saving the token.
	if err := saveSyncToken(state, before); err != nil {
		t.Fatal(err)
	}
	h2 := &recorder{}
	stop = run(h2)
	defer stop()
	waitFor(t, "the event again", func() bool { return len(h2.messages()) >= 1 })
	if got := h2.messages()[0]; got.Key() != m.Key() {
		t.Fatalf("redelivered %s, want %s", got.Key(), m.Key())
	}
}

// TestApprovalByReactionAndReply: a message sent with buttons lists them
// numbered; a reaction with a keycap and a reply with a number both come
// back as presses with the button's data, and a reply that names no
// choice is an ordinary message.
func TestApprovalByReactionAndReply(t *testing.T) {
	srv := dendritetest.Start(t)
	bot, alice := srv.Register(t, "hermes"), srv.Register(t, "alice")
	ad, err := New(platform.Deps{Config: matrixConfig(srv, bot, false), Env: envOf(map[string]string{"MATRIX_ACCESS_TOKEN": bot.Token}), StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	h := &recorder{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ad.Run(ctx, h) }()
	defer func() { cancel(); <-done }()
	waitFor(t, "connected", func() bool { h.mu.Lock(); defer h.mu.Unlock(); return h.up })
	a := newPerson(t, srv.Client(t, alice))
	a.run(t)
	room := a.room(t, bot.ID, false)
	buttons := [][]platform.Button{{{Text: "Approve", Data: "appr:once"}, {Text: "Approve all", Data: "appr:session"}, {Text: "Deny", Data: "appr:deny"}}}
	sent, err := ad.Send(ctx, platform.Outbound{ChatID: room.String(), Text: "Approval needed: rm -rf build", Buttons: buttons, Key: "approval:x"})
	if err != nil {
		t.Fatal(err)
	}
	body := a.waitBody(t, bot.ID, room, "Approval needed")
	if !strings.Contains(body, "1️⃣ Approve · 2️⃣ Approve all · 3️⃣ Deny") {
		t.Fatalf("prompt %q", body)
	}
	if _, err := a.cli.SendReaction(ctx, room, id.EventID(sent.ID), "1️⃣"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the reaction", func() bool { return len(h.presses()) == 1 })
	if p := h.presses()[0]; p.Data != "appr:once" || p.UserID != alice.ID.String() || p.ChatID != room.String() {
		t.Fatalf("press %+v", p)
	}
	reply := func(text string) {
		c := event.MessageEventContent{MsgType: event.MsgText, Body: text}
		c.RelatesTo = (&event.RelatesTo{}).SetReplyTo(id.EventID(sent.ID))
		if _, err := a.cli.SendMessageEvent(ctx, room, event.EventMessage, &c); err != nil {
			t.Fatal(err)
		}
	}
	reply("3")
	waitFor(t, "the reply", func() bool { return len(h.presses()) == 2 })
	if p := h.presses()[1]; p.Data != "appr:deny" {
		t.Fatalf("press %+v", p)
	}
	reply("why is this needed?")
	waitFor(t, "the question as a message", func() bool { return len(h.messages()) == 1 })
	if m := h.messages()[0]; m.Text != "why is this needed?" {
		t.Fatalf("message %+v", m)
	}
}
