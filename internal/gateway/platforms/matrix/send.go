package matrix

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/format"
	"maunium.net/go/mautrix/id"

	"github.com/hermes-go/hermes/internal/gateway/platform"
)

// maxEvent is what Send lets an event's content be, under Matrix's
// 65536-byte limit for a whole event.
const maxEvent = 60000

var (
	_ platform.Typer        = (*Adapter)(nil)
	_ platform.Editor       = (*Adapter)(nil)
	_ platform.HomeChannel  = (*Adapter)(nil)
	_ platform.TargetParser = (*Adapter)(nil)
)

// Send posts o as an m.text message rendered from Markdown: in the thread
// o.ThreadID, as a reply to o.ReplyTo, with o.Buttons listed as numbered
// choices. The transaction id comes from o.Key, so a resend of the same
// delivery (after a crash) is not posted twice by the homeserver. In an
// encrypted room the message is encrypted; without encryption Send
// refuses rather than post plaintext there.
func (a *Adapter) Send(ctx context.Context, o platform.Outbound) (platform.Sent, error) {
	room, err := a.room(ctx, o.ChatID)
	if err != nil {
		return platform.Sent{}, err
	}
	if strings.TrimSpace(o.Text) == "" {
		return platform.Sent{}, errors.New("matrix: message text is empty")
	}
	if len(o.Text) > MaxLen {
		return platform.Sent{}, fmt.Errorf("matrix: message text is %d bytes, over the limit of %d: split it first", len(o.Text), MaxLen)
	}
	if err := a.readyFor(ctx, room); err != nil {
		return platform.Sent{}, err
	}
	text := o.Text
	choices := flatten(o.Buttons)
	if len(choices) > 0 {
		text += "\n\n" + choicesText(choices)
	}
	content := format.RenderMarkdown(text, true, false)
	content.MsgType = event.MsgText
	content.Mentions = &event.Mentions{}
	switch {
	case o.ThreadID != "":
		reply := id.EventID(o.ReplyTo)
		if reply == "" {
			reply = id.EventID(o.ThreadID)
		}
		content.RelatesTo = (&event.RelatesTo{}).SetThread(id.EventID(o.ThreadID), reply)
	case o.ReplyTo != "":
		content.RelatesTo = (&event.RelatesTo{}).SetReplyTo(id.EventID(o.ReplyTo))
	}
	if b, _ := json.Marshal(&content); len(b) > maxEvent {
		content.Format, content.FormattedBody = "", ""
	}
	a.use.RLock()
	resp, err := a.cli.SendMessageEvent(ctx, room, event.EventMessage, &content, mautrix.ReqSendEvent{TransactionID: txnID(o.Key)})
	a.use.RUnlock()
	if err != nil {
		return platform.Sent{}, fmt.Errorf("matrix: sending to %s: %w", room, a.scrubErr(err))
	}
	if len(choices) > 0 {
		a.remember(resp.EventID, prompt{thread: o.ThreadID, choices: choices})
	}
	return platform.Sent{ID: resp.EventID.String()}, nil
}

// txnID is the transaction id of a delivery: the same ledger key gives
// the same id, which the homeserver deduplicates (per access token).
func txnID(key string) string {
	if key == "" {
		return "" // mautrix makes a fresh one
	}
	h := sha256.Sum256([]byte(key))
	return "hermes." + hex.EncodeToString(h[:16])
}

// readyFor logs in and makes sure a message to room can be sent as the
// room requires: encrypted rooms need the crypto store, which a `hermes
// send` opens here (and a gateway opened in Run).
func (a *Adapter) readyFor(ctx context.Context, room id.RoomID) error {
	cli, err := a.client(ctx)
	if err != nil {
		return err
	}
	a.use.RLock()
	enc, err := a.encrypted(ctx, cli, room)
	a.use.RUnlock()
	if err != nil {
		return err
	}
	if !enc {
		return nil
	}
	if !a.encryption {
		return fmt.Errorf("matrix: room %s is encrypted and platforms.matrix.encryption is false: enable it to send there", room)
	}
	if err := a.startCrypto(ctx, false); err != nil {
		return err
	}
	a.use.RLock()
	defer a.use.RUnlock()
	// The crypto store's state store is what mautrix consults to encrypt
	// and to share the room key with the members.
	if ok, _ := cli.StateStore.IsEncrypted(ctx, room); !ok {
		var ev event.EncryptionEventContent
		if err := cli.StateEvent(ctx, room, event.StateEncryption, "", &ev); err != nil {
			return fmt.Errorf("matrix: reading the encryption of %s: %w", room, a.scrubErr(err))
		}
	}
	a.mu.Lock()
	fetched := a.fetched[room]
	a.mu.Unlock()
	if fetched {
		return nil // the sync loop keeps the members current from here
	}
	if _, err := cli.JoinedMembers(ctx, room); err != nil {
		return fmt.Errorf("matrix: members of %s (to share the room key): %w", room, a.scrubErr(err))
	}
	a.mu.Lock()
	a.fetched[room] = true
	a.mu.Unlock()
	return nil
}

// encrypted reports whether room has m.room.encryption, asking the
// homeserver once per room and process (the sync loop notes rooms that
// turn encryption on later).
func (a *Adapter) encrypted(ctx context.Context, cli *mautrix.Client, room id.RoomID) (bool, error) {
	a.mu.Lock()
	enc, known := a.encRoom[room]
	a.mu.Unlock()
	if known {
		return enc, nil
	}
	var ev event.EncryptionEventContent
	err := cli.StateEvent(ctx, room, event.StateEncryption, "", &ev)
	switch {
	case err == nil:
		enc = ev.Algorithm != ""
	case errors.Is(err, mautrix.MNotFound):
		enc = false
	default:
		return false, fmt.Errorf("matrix: reading the encryption of %s: %w", room, a.scrubErr(err))
	}
	a.mu.Lock()
	a.encRoom[room] = enc
	a.mu.Unlock()
	return enc, nil
}

// room parses a room id (!opaque:server) or resolves an alias
// (#name:server).
func (a *Adapter) room(ctx context.Context, s string) (id.RoomID, error) {
	s = strings.TrimSpace(s)
	switch {
	case strings.HasPrefix(s, "!") && strings.Contains(s, ":") && len(s) > 3:
		return id.RoomID(s), nil
	case strings.HasPrefix(s, "#") && strings.Contains(s, ":"):
		cli, err := a.client(ctx)
		if err != nil {
			return "", err
		}
		resp, err := cli.ResolveAlias(ctx, id.RoomAlias(s))
		if err != nil {
			return "", fmt.Errorf("matrix: resolving %s: %w", s, a.scrubErr(err))
		}
		return resp.RoomID, nil
	}
	return "", fmt.Errorf("matrix: %q is not a room id (!abc:server) or alias (#room:server)", s)
}

// ParseTarget splits the CHAT[:THREAD] of a delivery target: a room id
// or alias contains ':' (server, and perhaps port), so the thread, an
// event id, is told by its '$': matrix:!room:server or
// matrix:!room:server:$thread_event.
func (a *Adapter) ParseTarget(rest string) (string, string, error) {
	return parseTarget(rest)
}

func parseTarget(rest string) (string, string, error) {
	chat, thread := rest, ""
	if i := strings.Index(rest, ":$"); i >= 0 {
		chat, thread = rest[:i], rest[i+1:]
	}
	if (!strings.HasPrefix(chat, "!") && !strings.HasPrefix(chat, "#")) || !strings.Contains(chat, ":") ||
		strings.HasSuffix(chat, ":") || len(chat) < 4 {
		return "", "", fmt.Errorf("%q is not a Matrix room: want matrix:!ROOM_ID:SERVER (or #alias:server), optionally :$THREAD_EVENT_ID", rest)
	}
	if thread != "" && len(thread) < 2 {
		return "", "", fmt.Errorf("%q: empty thread event id after ':$'", rest)
	}
	return chat, thread, nil
}

// Typing shows the bot typing in the room for a few seconds (Matrix has
// no typing per thread).
func (a *Adapter) Typing(ctx context.Context, chatID, _ string) error {
	room, err := a.room(ctx, chatID)
	if err != nil {
		return err
	}
	cli, err := a.client(ctx)
	if err != nil {
		return err
	}
	a.use.RLock()
	defer a.use.RUnlock()
	if _, err := cli.UserTyping(ctx, room, true, 6*time.Second); err != nil {
		return fmt.Errorf("matrix: typing in %s: %w", room, a.scrubErr(err))
	}
	return nil
}

// Edit replaces a message the bot sent (an m.replace event).
func (a *Adapter) Edit(ctx context.Context, chatID, messageID, text string) error {
	room, err := a.room(ctx, chatID)
	if err != nil {
		return err
	}
	if strings.TrimSpace(text) == "" || len(text) > MaxLen {
		return fmt.Errorf("matrix: edit text must be 1 to %d bytes", MaxLen)
	}
	if !strings.HasPrefix(messageID, "$") {
		return fmt.Errorf("matrix: %q is not an event id", messageID)
	}
	if err := a.readyFor(ctx, room); err != nil {
		return err
	}
	nc := format.RenderMarkdown(text, true, false)
	nc.MsgType = event.MsgText
	content := format.RenderMarkdown("* "+text, true, false)
	content.MsgType = event.MsgText
	content.NewContent = &nc
	content.RelatesTo = (&event.RelatesTo{}).SetReplace(id.EventID(messageID))
	a.use.RLock()
	defer a.use.RUnlock()
	if _, err := a.cli.SendMessageEvent(ctx, room, event.EventMessage, &content); err != nil {
		return fmt.Errorf("matrix: editing %s in %s: %w", messageID, room, a.scrubErr(err))
	}
	return nil
}
