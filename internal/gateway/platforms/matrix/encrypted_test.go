//go:build goolm

package matrix

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.mau.fi/util/dbutil"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/crypto/cryptohelper"

	"github.com/hermes-go/hermes/internal/gateway/platform"
	"github.com/hermes-go/hermes/internal/gateway/platforms/matrix/dendritetest"
)

// withCrypto gives the test user's client end-to-end encryption of its
// own (goolm, its store in SQLite in a temporary directory).
func withCrypto(t *testing.T, cli *mautrix.Client) {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "c.db")+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	db, err := dbutil.NewWithDB(raw, "sqlite3")
	if err != nil {
		t.Fatal(err)
	}
	h, err := cryptohelper.NewCryptoHelper(cli, []byte("0123456789abcdef0123456789abcdef"), db)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Init(context.Background()); err != nil {
		t.Fatal(err)
	}
	cli.Crypto = h
	t.Cleanup(func() { _ = h.Close() })
}

// TestEncryptedRoom: a user with encryption of their own talks to the bot
// in an encrypted room: the bot decrypts, answers encrypted, and its
// device and keys live in the state directory, private.
func TestEncryptedRoom(t *testing.T) {
	srv := dendritetest.Start(t)
	bot := srv.Register(t, "hermes")
	alice := srv.Register(t, "alice")
	dir := t.TempDir()
	env := map[string]string{"MATRIX_PASSWORD": bot.Password, "MATRIX_ALLOWED_USERS": alice.ID.String()}
	g := startGateway(t, matrixConfig(srv, bot, true), env, dir)

	cli := srv.Client(t, srv.Login(t, alice))
	a := newPerson(t, cli)
	withCrypto(t, cli)
	a.run(t)
	room := a.room(t, bot.ID, true)
	waitFor(t, "alice to see the bot joined", func() bool {
		return cli.StateStore.IsMembership(context.Background(), room, bot.ID, "join")
	})
	a.say(t, room, "secret question")
	a.waitBody(t, bot.ID, room, "answer: secret question")

	// What went over the wire was encrypted: the homeserver's copy of the
	// bot's answer is an m.room.encrypted event.
	msgs, err := srv.Client(t, srv.Login(t, alice)).Messages(context.Background(), room, "", "", mautrix.DirectionBackward, nil, 50)
	if err != nil {
		t.Fatal(err)
	}
	plain := 0
	for _, e := range msgs.Chunk {
		if e.Sender == bot.ID && e.Type.Type == "m.room.message" {
			plain++
		}
		if e.Sender == bot.ID && e.Type.Type == "m.room.encrypted" && strings.Contains(string(e.Content.VeryRaw), "secret question") {
			t.Fatal("the encrypted answer holds the plaintext")
		}
	}
	if plain != 0 {
		t.Fatalf("the bot sent %d plaintext messages into an encrypted room", plain)
	}
	g.stop()
	state := filepath.Join(dir, "platforms", "matrix")
	for name, mode := range map[string]os.FileMode{sessionFile: 0o600, pickleFile: 0o600, cryptoDB: 0o600} {
		fi, err := os.Stat(filepath.Join(state, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("%s has mode %v, want %v", name, fi.Mode().Perm(), mode)
		}
	}
	s, err := loadSession(state)
	if err != nil || s.DeviceID == "" || s.UserID != bot.ID || s.AccessToken == "" {
		t.Fatalf("session.json: %+v %v", s, err)
	}
}

// TestSendBesideRunningGateway: a second adapter on the same state
// directory (what `hermes send` is) sends into an unencrypted room while
// the gateway runs, and refuses an encrypted one: the running gateway
// holds the device's keys.
func TestSendBesideRunningGateway(t *testing.T) {
	srv := dendritetest.Start(t)
	bot, alice := srv.Register(t, "hermes"), srv.Register(t, "alice")
	dir := t.TempDir()
	cfg := matrixConfig(srv, bot, true)
	env := map[string]string{"MATRIX_ACCESS_TOKEN": bot.Token}
	startGateway(t, cfg, env, dir)
	cli := srv.Client(t, alice)
	a := newPerson(t, cli)
	withCrypto(t, cli)
	a.run(t)
	plain, secret := a.room(t, bot.ID, false), a.room(t, bot.ID, true)

	second, err := New(platform.Deps{Config: cfg, Env: envOf(env), StateDir: filepath.Join(dir, "platforms", "matrix")})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := second.Send(ctx, platform.Outbound{ChatID: plain.String(), Text: "plain from send", Key: "send:1"}); err != nil {
		t.Fatalf("send into the unencrypted room: %v", err)
	}
	a.waitBody(t, bot.ID, plain, "plain from send")
	_, err = second.Send(ctx, platform.Outbound{ChatID: secret.String(), Text: "secret from send", Key: "send:2"})
	if err == nil || !strings.Contains(err.Error(), "in use by another hermes process") {
		t.Fatalf("send into the encrypted room beside the gateway: %v", err)
	}
}
