package matrix

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/gateway"
	"github.com/hermes-go/hermes/internal/gateway/pairing"
	"github.com/hermes-go/hermes/internal/gateway/platform"
	"github.com/hermes-go/hermes/internal/gateway/platforms/matrix/dendritetest"
	"github.com/hermes-go/hermes/internal/store"
)

// echoAgent answers every turn with "answer: TEXT" and records the
// session keys it saw.
type echoAgent struct {
	mu       sync.Mutex
	sessions []string
}

func (e *echoAgent) Turn(_ context.Context, r platform.TurnRequest) (platform.TurnResult, error) {
	e.mu.Lock()
	e.sessions = append(e.sessions, r.SessionKey)
	e.mu.Unlock()
	return platform.TurnResult{Text: "answer: " + r.Text}, nil
}

// gw is the real gateway core with the Matrix adapter, over a home in a
// temporary directory.
type gw struct {
	adapter *Adapter
	core    *gateway.Core
	pairing *pairing.Store
	agent   *echoAgent
	dir     string
	cancel  context.CancelFunc
	done    chan struct{}
}

func matrixConfig(srv *dendritetest.Server, bot dendritetest.User, encryption bool) *config.Config {
	cfg := &config.Config{}
	cfg.Platforms.Matrix.Enabled = true
	cfg.Platforms.Matrix.Homeserver = srv.URL
	cfg.Platforms.Matrix.UserID = bot.ID.String()
	cfg.Platforms.Matrix.Encryption = encryption
	return cfg
}

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// startGateway runs the core with the adapter until the test ends.
func startGateway(t *testing.T, cfg *config.Config, env map[string]string, dir string) *gw {
	t.Helper()
	state := filepath.Join(dir, "platforms", "matrix")
	if err := os.MkdirAll(state, 0o700); err != nil {
		t.Fatal(err)
	}
	var logMu sync.Mutex
	ad, err := New(platform.Deps{Config: cfg, Env: envOf(env), StateDir: state, Logf: func(f string, a ...any) {
		logMu.Lock()
		defer logMu.Unlock()
		t.Logf("adapter: "+f, a...)
	}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(dir, "state.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	p := pairing.Open(filepath.Join(dir, "platforms", "pairing"))
	auth := &gateway.Auth{Env: envOf(env), Pairing: p}
	ag := &echoAgent{}
	core := gateway.New(gateway.Options{Store: st, Agent: ag, Adapters: []platform.Adapter{ad}, Authorize: auth.Decide,
		Retries: 3, Commands: nil, Logf: func(f string, a ...any) { t.Logf("core: "+f, a...) }})
	ctx, cancel := context.WithCancel(context.Background())
	g := &gw{adapter: ad.(*Adapter), core: core, pairing: p, agent: ag, dir: dir, cancel: cancel, done: make(chan struct{})}
	go func() { defer close(g.done); _ = core.Run(ctx) }()
	t.Cleanup(func() { g.stop(); _ = st.Close() })
	waitFor(t, "the adapter to connect", func() bool { return core.Status()[Name].Connected })
	return g
}

func (g *gw) stop() {
	g.cancel()
	<-g.done
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// person is a test user with a syncing mautrix client that records the
// messages it receives (decrypted when it has crypto).
type person struct {
	cli  *mautrix.Client
	mu   sync.Mutex
	msgs []*event.Event
}

func newPerson(t *testing.T, cli *mautrix.Client) *person {
	t.Helper()
	p := &person{cli: cli}
	if cli.StateStore == nil {
		cli.StateStore = mautrix.NewMemoryStateStore()
	}
	syncer := cli.Syncer.(*mautrix.DefaultSyncer)
	syncer.OnEventType(event.EventMessage, func(_ context.Context, evt *event.Event) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.msgs = append(p.msgs, evt)
	})
	return p
}

// run syncs until the test ends.
func (p *person) run(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = p.cli.SyncWithContext(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

// from returns the bodies of the messages sender sent in room.
func (p *person) from(sender id.UserID, room id.RoomID) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, e := range p.msgs {
		if e.Sender == sender && e.RoomID == room {
			if c := e.Content.AsMessage(); c != nil {
				out = append(out, c.Body)
			}
		}
	}
	return out
}

// waitBody waits for a message from sender in room containing want and
// returns its body.
func (p *person) waitBody(t *testing.T, sender id.UserID, room id.RoomID, want string) string {
	t.Helper()
	var got string
	waitFor(t, "a message containing "+want, func() bool {
		for _, b := range p.from(sender, room) {
			if strings.Contains(b, want) {
				got = b
				return true
			}
		}
		return false
	})
	return got
}

// dm creates a direct chat with bot and waits until bot joined it.
func (p *person) room(t *testing.T, bot id.UserID, encrypted bool) id.RoomID {
	t.Helper()
	ctx := context.Background()
	req := &mautrix.ReqCreateRoom{Invite: []id.UserID{bot}, IsDirect: true, Preset: "trusted_private_chat"}
	if encrypted {
		req.InitialState = []*event.Event{{Type: event.StateEncryption, Content: event.Content{
			Parsed: &event.EncryptionEventContent{Algorithm: id.AlgorithmMegolmV1}}}}
	}
	resp, err := p.cli.CreateRoom(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the bot to join", func() bool {
		m, err := p.cli.JoinedMembers(ctx, resp.RoomID)
		if err != nil {
			return false
		}
		_, ok := m.Joined[bot]
		return ok
	})
	return resp.RoomID
}

func (p *person) say(t *testing.T, room id.RoomID, text string) id.EventID {
	t.Helper()
	resp, err := p.cli.SendText(context.Background(), room, text)
	if err != nil {
		t.Fatalf("send %q: %v", text, err)
	}
	return resp.EventID
}

// pairingCode extracts the code from the gateway's pairing reply.
func pairingCode(t *testing.T, body string) string {
	t.Helper()
	_, rest, ok := strings.Cut(body, "pairing code is ")
	if !ok || len(rest) < 8 {
		t.Fatalf("no pairing code in %q", body)
	}
	return rest[:8]
}
