//go:build goolm

package matrix

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"go.mau.fi/util/dbutil"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/crypto"
	"maunium.net/go/mautrix/crypto/cryptohelper"
	"maunium.net/go/mautrix/event"
	_ "modernc.org/sqlite" // the "sqlite" driver: pure Go, as the rest of hermes
)

// cryptoBuilt says this binary has end-to-end encryption (mautrix's pure
// Go Olm, build tag goolm).
const cryptoBuilt = true

// helperEngine is end-to-end encryption over mautrix's cryptohelper, its
// stores in one SQLite database (modernc.org/sqlite: mautrix would open
// it with mattn/go-sqlite3, which needs cgo).
type helperEngine struct {
	helper *cryptohelper.CryptoHelper
	mach   *crypto.OlmMachine
}

func newCrypto(ctx context.Context, cli *mautrix.Client, path string, pickleKey []byte) (cryptoEngine, error) {
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	db, err := dbutil.NewWithDB(raw, "sqlite3")
	if err != nil {
		_ = raw.Close()
		return nil, err
	}
	// The managed stores replace the client's state store with one in
	// this database, so what the sync loop learns of rooms (members,
	// encryption) survives restarts and `hermes send` sees it.
	cli.StateStore = nil
	helper, err := cryptohelper.NewCryptoHelper(cli, pickleKey, db)
	if err != nil {
		_ = raw.Close()
		return nil, err
	}
	if err := helper.Init(ctx); err != nil {
		_ = raw.Close()
		if errors.Is(err, ctx.Err()) {
			return nil, err
		}
		return nil, fmt.Errorf("%w (the device or the keys in %s do not match the account: after changing MATRIX_ACCESS_TOKEN to another device, move %s away)", err, path, path)
	}
	cli.Crypto = helper
	return &helperEngine{helper: helper, mach: helper.Machine()}, nil
}

func (e *helperEngine) processSync(ctx context.Context, resp *mautrix.RespSync, since string) {
	e.mach.ProcessSyncResponse(ctx, resp, since)
}

func (e *helperEngine) handleMember(ctx context.Context, evt *event.Event) {
	e.mach.HandleMemberEvent(ctx, evt)
}

func (e *helperEngine) decrypt(ctx context.Context, evt *event.Event) (*event.Event, error) {
	out, err := e.helper.Decrypt(ctx, evt)
	if errors.Is(err, crypto.ErrNoSessionFound) {
		return nil, errNoKey
	}
	return out, err
}

func (e *helperEngine) close() error { return e.helper.Close() }
