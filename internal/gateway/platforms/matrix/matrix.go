// Package matrix is the gateway's Matrix adapter over
// maunium.net/go/mautrix: rooms and direct messages, end-to-end
// encryption (pure Go, build tag goolm), typing notifications, approvals
// by reaction or reply, and replies that Matrix itself deduplicates.
//
// # Why our own sync loop
//
// A Matrix client acknowledges what it has seen by the sync token it
// sends next (and by the one it keeps for its next start). mautrix's
// Client.Sync hands events to handlers and saves the token itself, so a
// crash between the two could skip a message. This package calls
// SyncRequest and keeps two tokens: the one of the next request, and the
// saved one (platforms/matrix/sync.json), which moves past a sync only
// once every message in it was journaled (platform.Handler.Inbound
// returned nil). After kill -9 the next start syncs from the saved token,
// the homeserver sends those events again, and the core's ledger
// recognises the ones it already has by Message.Key.
//
// An encrypted message whose room key has not arrived yet holds the
// saved token back until the key comes (it travels as a to-device event
// in a later sync) or until keyWait passes, after which it is logged as
// undecryptable and let go.
//
// # Replies
//
// Every reply is sent with a transaction id derived from its ledger key
// (and so from the event id it answers): when the gateway resends after
// a crash, the homeserver answers with the event it already has instead
// of posting a second one.
//
// # State
//
// Under the home's platforms/matrix/ (0700): session.json (device id and,
// after a password login, the access token; 0600), sync.json (the saved
// token), crypto.db (SQLite: the Olm account, Megolm sessions, device
// lists and room state, encrypted with pickle.key, 0600), crypto.lock
// (held by the process that uses the crypto store). `hermes backup`
// includes the folder.
package matrix

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/id"

	"github.com/hermes-go/hermes/internal/clock"
	"github.com/hermes-go/hermes/internal/fileutil"
	"github.com/hermes-go/hermes/internal/gateway/platform"
	"github.com/hermes-go/hermes/internal/redact"
)

// Name is the adapter's platform name.
const Name = "matrix"

// MaxLen is the longest text Send takes, in bytes. Matrix limits a whole
// event to 65536 bytes of JSON; a reply goes as plain body and HTML, so
// 16000 bytes leave room for both and for JSON escaping (Send drops the
// HTML when the event would still be too big).
const MaxLen = 16000

const (
	syncTimeout = 30 * time.Second
	keyWait     = 60 * time.Second // how long an undecryptable message waits for its key
)

func init() { platform.RegisterAdapter(Name, New) }

// Adapter is the Matrix adapter; safe for concurrent use.
type Adapter struct {
	homeserver string
	userID     id.UserID
	token      string // MATRIX_ACCESS_TOKEN
	password   string // MATRIX_PASSWORD
	encryption bool
	home       string
	dir        string
	logf       func(string, ...any)

	wait func(ctx context.Context, d time.Duration) error

	// use is held for reading by Send, Typing and Edit while they use
	// the client, and for writing while the crypto store is set up
	// (which replaces the client's state store) or the client logs in
	// again; loginMu makes one login at a time.
	use     sync.RWMutex
	loginMu sync.Mutex

	mu      sync.Mutex
	cli     *mautrix.Client
	crypto  cryptoEngine
	lock    *fileutil.Lock            // crypto.lock, held once crypto is up
	members map[id.RoomID]int         // joined members per room, for DM or group
	prompts map[id.EventID]prompt     // approval prompts this process sent
	encRoom map[id.RoomID]bool        // rooms known encrypted or not (without crypto)
	fetched map[id.RoomID]bool        // encrypted rooms whose members were loaded into the state store
	pending map[id.EventID]*heldEvent // encrypted events waiting for their key
	link    platform.Link             // the connection as last reported to the core
}

// New is the adapter factory: platform.ErrDisabled unless
// platforms.matrix.enabled; an error naming what is missing otherwise.
func New(d platform.Deps) (platform.Adapter, error) {
	if d.Config == nil || !d.Config.Platforms.Matrix.Enabled {
		return nil, platform.ErrDisabled
	}
	mc := d.Config.Platforms.Matrix
	env := func(k string) string {
		if d.Env == nil {
			return ""
		}
		v, _ := d.Env(k)
		return strings.TrimSpace(v)
	}
	hs := strings.TrimRight(mc.BaseURL, "/")
	if hs == "" {
		hs = strings.TrimRight(mc.Homeserver, "/")
	}
	if u, err := url.Parse(hs); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("matrix: platforms.matrix.homeserver %q is not an http(s) URL (e.g. https://matrix.example.org)", hs)
	}
	uid := id.UserID(strings.TrimSpace(mc.UserID))
	if _, _, err := uid.Parse(); err != nil {
		return nil, fmt.Errorf("matrix: platforms.matrix.user_id %q is not a Matrix user id (@name:server)", mc.UserID)
	}
	a := &Adapter{
		homeserver: hs, userID: uid, token: env("MATRIX_ACCESS_TOKEN"), password: env("MATRIX_PASSWORD"),
		encryption: mc.Encryption, home: mc.HomeChannel, dir: d.StateDir, logf: d.Logf,
		wait:    clock.Real{}.Sleep,
		members: map[id.RoomID]int{}, prompts: map[id.EventID]prompt{}, encRoom: map[id.RoomID]bool{},
		fetched: map[id.RoomID]bool{},
		pending: map[id.EventID]*heldEvent{},
	}
	if a.logf == nil {
		a.logf = func(string, ...any) {}
	}
	if a.token == "" && a.password == "" {
		return nil, errors.New("matrix: platforms.matrix.enabled is true but neither MATRIX_ACCESS_TOKEN nor MATRIX_PASSWORD is set: add one of them to the home's .env")
	}
	if a.dir == "" {
		return nil, errors.New("matrix: no state directory for the device and crypto state")
	}
	if a.encryption && !cryptoBuilt {
		return nil, errors.New("matrix: platforms.matrix.encryption is true but this hermes was built without end-to-end encryption: build it with `make build` (which passes -tags goolm) or `go build -tags goolm ./cmd/hermes`, or set encryption: false")
	}
	return a, nil
}

// Name returns "matrix".
func (a *Adapter) Name() string { return Name }

// MaxLen returns MaxLen.
func (a *Adapter) MaxLen() int { return MaxLen }

// Home returns platforms.matrix.home_channel.
func (a *Adapter) Home() string { return a.home }

// Run syncs until ctx ends, feeding messages to h.Inbound and approval
// reactions to h.Pressed. It returns an error when the homeserver refuses
// the credentials or the crypto store cannot be used; the core restarts
// it after gateway.restart_delay.
func (a *Adapter) Run(ctx context.Context, h platform.Handler) error {
	a.link.Reset() // a restarted Run reports its connection afresh
	cli, err := a.client(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		a.down(h, err)
		return err
	}
	if a.encryption {
		if err := a.startCrypto(ctx, true); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			a.down(h, err)
			return err
		}
	}
	saved, err := loadSyncToken(a.dir)
	if err != nil {
		a.down(h, err)
		return err
	}
	a.logf("matrix: connected as %s (device %s)%s", cli.UserID, cli.DeviceID, a.encryptionNote())
	s := &syncer{a: a, h: h, next: saved, saved: saved, first: saved == ""}
	return s.loop(ctx)
}

func (a *Adapter) encryptionNote() string {
	if a.encryption {
		return ", end-to-end encryption on"
	}
	return ""
}

func (a *Adapter) up(h platform.Handler) { a.link.Up(h, Name) }

func (a *Adapter) down(h platform.Handler, err error) { a.link.Down(h, Name, err) }

// scrub masks the credentials and any other secret in s.
func (a *Adapter) scrub(s string) string {
	for _, secret := range []string{a.token, a.password, a.sessionToken()} {
		if len(secret) >= 6 {
			s = strings.ReplaceAll(s, secret, "***")
		}
	}
	return redact.Default().String(s)
}

func (a *Adapter) scrubErr(err error) error {
	if err == nil {
		return nil
	}
	return &scrubbed{msg: a.scrub(err.Error()), err: err}
}

// scrubbed is an error whose text is masked; errors.Is and As still see
// the original (mautrix's HTTPError and RespError).
type scrubbed struct {
	msg string
	err error
}

func (e *scrubbed) Error() string { return e.msg }
func (e *scrubbed) Unwrap() error { return e.err }

// fatal reports an answer no retry changes: the credentials are refused.
func fatal(err error) bool {
	return errors.Is(err, mautrix.MUnknownToken)
}
