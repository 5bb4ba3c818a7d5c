package matrix

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/id"

	"github.com/hermes-go/hermes/internal/fileutil"
)

// Files under the platform's state directory.
const (
	sessionFile = "session.json"
	syncFile    = "sync.json"
	cryptoDB    = "crypto.db"
	pickleFile  = "pickle.key"
	cryptoLock  = "crypto.lock"
)

// session is what a password login gave, kept for the next start so the
// bot stays one device (its encryption keys belong to it).
type session struct {
	UserID      id.UserID   `json:"user_id"`
	DeviceID    id.DeviceID `json:"device_id"`
	AccessToken string      `json:"access_token,omitempty"`
}

func (a *Adapter) sessionToken() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cli == nil {
		return ""
	}
	return a.cli.AccessToken
}

// client returns the logged-in client, logging in on first use: with
// MATRIX_ACCESS_TOKEN (whoami names the device), else with the token a
// password login saved in session.json, else with MATRIX_PASSWORD, which
// keeps the device id of session.json.
func (a *Adapter) client(ctx context.Context) (*mautrix.Client, error) {
	a.loginMu.Lock()
	defer a.loginMu.Unlock()
	a.mu.Lock()
	if a.cli != nil {
		defer a.mu.Unlock()
		return a.cli, nil
	}
	a.mu.Unlock()
	cli, err := mautrix.NewClient(a.homeserver, a.userID, "")
	if err != nil {
		return nil, fmt.Errorf("matrix: %w", err)
	}
	cli.Client = &http.Client{Timeout: syncTimeout + 30*time.Second}
	cli.Log = zerolog.New(logWriter{a}).Level(zerolog.WarnLevel)
	cli.UserAgent = "hermes"
	cli.StateStore = mautrix.NewMemoryStateStore()
	if err := a.login(ctx, cli); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cli == nil {
		a.cli = cli
	}
	return a.cli, nil
}

func (a *Adapter) login(ctx context.Context, cli *mautrix.Client) error {
	if a.token != "" {
		cli.AccessToken = a.token
		return a.whoami(ctx, cli, "MATRIX_ACCESS_TOKEN")
	}
	saved, err := loadSession(a.dir)
	if err != nil {
		return err
	}
	if saved.UserID != a.userID {
		saved = session{} // another account's: start over
	}
	if saved.AccessToken != "" {
		cli.AccessToken, cli.DeviceID = saved.AccessToken, saved.DeviceID
		err := a.whoami(ctx, cli, "the token saved in "+sessionFile)
		if err == nil || !errors.Is(err, mautrix.MUnknownToken) {
			return err
		}
		a.logf("matrix: the saved access token was refused; logging in again with MATRIX_PASSWORD as device %s", saved.DeviceID)
		cli.AccessToken = ""
	}
	return a.passwordLogin(ctx, cli, saved.DeviceID)
}

// passwordLogin logs in with MATRIX_PASSWORD as device (a new one when
// empty) and saves the session.
func (a *Adapter) passwordLogin(ctx context.Context, cli *mautrix.Client, device id.DeviceID) error {
	cli.AccessToken = ""
	_, err := cli.Login(ctx, &mautrix.ReqLogin{
		Type:                     mautrix.AuthTypePassword,
		Identifier:               mautrix.UserIdentifier{Type: mautrix.IdentifierTypeUser, User: a.userID.String()},
		Password:                 a.password,
		DeviceID:                 device,
		InitialDeviceDisplayName: "hermes",
		StoreCredentials:         true,
	})
	if err != nil {
		return fmt.Errorf("matrix: logging in as %s with MATRIX_PASSWORD: %w", a.userID, a.scrubErr(err))
	}
	if cli.UserID != a.userID {
		return fmt.Errorf("matrix: logged in as %s, but platforms.matrix.user_id is %s", cli.UserID, a.userID)
	}
	return saveSession(a.dir, session{UserID: cli.UserID, DeviceID: cli.DeviceID, AccessToken: cli.AccessToken})
}

// whoami checks the token and learns its device.
func (a *Adapter) whoami(ctx context.Context, cli *mautrix.Client, what string) error {
	who, err := cli.Whoami(ctx)
	if err != nil {
		return fmt.Errorf("matrix: checking %s with %s: %w", what, a.homeserver, a.scrubErr(err))
	}
	if who.UserID != a.userID {
		return fmt.Errorf("matrix: %s belongs to %s, but platforms.matrix.user_id is %s", what, who.UserID, a.userID)
	}
	if who.DeviceID == "" {
		return fmt.Errorf("matrix: %s has no device (an appservice token?): log in as a user, or use MATRIX_PASSWORD", what)
	}
	cli.DeviceID = who.DeviceID
	return nil
}

func loadSession(dir string) (session, error) {
	var s session
	b, err := os.ReadFile(filepath.Join(dir, sessionFile))
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("matrix: %w", err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("matrix: %s: %v (delete it to log in afresh)", filepath.Join(dir, sessionFile), err)
	}
	return s, nil
}

func saveSession(dir string, s session) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return fileutil.WriteFile(filepath.Join(dir, sessionFile), append(b, '\n'), 0o600)
}

// syncState is sync.json: the token of the last sync whose messages are
// all journaled.
type syncState struct {
	NextBatch string `json:"next_batch"`
}

func loadSyncToken(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, syncFile))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("matrix: %w", err)
	}
	var s syncState
	if err := json.Unmarshal(b, &s); err != nil {
		return "", fmt.Errorf("matrix: %s: %v (delete it: the bot then skips what was sent while it was away)", filepath.Join(dir, syncFile), err)
	}
	return s.NextBatch, nil
}

func saveSyncToken(dir, token string) error {
	b, _ := json.Marshal(syncState{NextBatch: token})
	return fileutil.WriteFile(filepath.Join(dir, syncFile), append(b, '\n'), 0o600)
}

// pickleKey returns the key that encrypts the Olm and Megolm state in
// crypto.db, made on first use.
func pickleKey(dir string) ([]byte, error) {
	p := filepath.Join(dir, pickleFile)
	b, err := os.ReadFile(p)
	if err == nil {
		if len(b) < 32 {
			return nil, fmt.Errorf("matrix: %s is shorter than 32 bytes: restore it from a backup (without it %s cannot be read)", p, cryptoDB)
		}
		return b, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("matrix: %w", err)
	}
	if _, err := os.Stat(filepath.Join(dir, cryptoDB)); err == nil {
		return nil, fmt.Errorf("matrix: %s exists but %s is missing: restore it from a backup, or delete %s to start a new device", cryptoDB, p, cryptoDB)
	}
	b = make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	if err := fileutil.WriteFile(p, b, 0o600); err != nil {
		return nil, err
	}
	return b, nil
}

// startCrypto opens the crypto store under its lock, once per adapter. A
// gateway waits for the lock (a `hermes send` holds it briefly); `hermes
// send` does not wait for a running gateway, which holds it throughout.
func (a *Adapter) startCrypto(ctx context.Context, wait bool) error {
	a.use.Lock()
	defer a.use.Unlock()
	a.mu.Lock()
	if a.crypto != nil {
		a.mu.Unlock()
		return nil
	}
	cli := a.cli
	a.mu.Unlock()
	timeout := 2 * time.Second
	if wait {
		timeout = time.Minute
	}
	lock, err := fileutil.LockFile(ctx, filepath.Join(a.dir, cryptoLock), fileutil.LockOptions{Timeout: timeout})
	if err != nil {
		return fmt.Errorf("matrix: the encryption keys in %s are in use by another hermes process (a running gateway?): %w", a.dir, err)
	}
	key, err := pickleKey(a.dir)
	if err != nil {
		lock.Unlock()
		return err
	}
	// SQLite makes its -wal and -shm files with the database's mode.
	db := filepath.Join(a.dir, cryptoDB)
	if f, err := os.OpenFile(db, os.O_RDWR|os.O_CREATE, 0o600); err == nil {
		_ = f.Chmod(0o600)
		_ = f.Close()
	}
	eng, err := newCrypto(ctx, cli, db, key)
	if err != nil {
		lock.Unlock()
		return fmt.Errorf("matrix: end-to-end encryption: %w", a.scrubErr(err))
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.crypto = eng
	// The lock stays held while the process lives: the Olm sessions and
	// the Megolm ratchets in crypto.db must not be used by two processes.
	a.lock = lock
	return nil
}

func (a *Adapter) engine() cryptoEngine {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.crypto
}

// logWriter passes mautrix's warnings to the gateway log, scrubbed.
type logWriter struct{ a *Adapter }

// Only the level, the request and the message are kept: mautrix's lines
// also hold request bodies (message text). A request cancelled because
// the gateway stops or a typing indicator ended is not worth a line.
func (w logWriter) Write(p []byte) (int, error) {
	var l struct {
		Level   string `json:"level"`
		Method  string `json:"method"`
		URL     string `json:"url"`
		Message string `json:"message"`
		Error   string `json:"error"`
	}
	if json.Unmarshal(p, &l) != nil {
		return len(p), nil
	}
	if l.Message == "Request canceled" {
		return len(p), nil
	}
	if u, err := url.Parse(l.URL); err == nil {
		l.URL = u.Path
	}
	line := strings.TrimSpace(strings.Join([]string{l.Level + ":", l.Method, l.URL, l.Message, l.Error}, " "))
	w.a.logf("matrix: library: %s", w.a.scrub(line))
	return len(p), nil
}
