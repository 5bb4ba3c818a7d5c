package matrix

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/hermes-go/hermes/internal/gateway/platform"
)

// syncer is one Run's sync loop.
type syncer struct {
	a     *Adapter
	h     platform.Handler
	next  string // since of the next request
	saved string // what sync.json holds
	first bool   // no saved token: the first sync's history is not answered
	held  string // since of the first sync that left an event waiting for its key
}

// heldEvent is an encrypted event waiting for its room key.
type heldEvent struct {
	evt   *event.Event
	since time.Time
}

func (s *syncer) loop(ctx context.Context) error {
	a := s.a
	var failures, stuck int
	relogged := false // one password login per Run after a refused token
	for {
		if ctx.Err() != nil {
			return nil
		}
		resp, err := a.cli.SyncRequest(ctx, int(syncTimeout/time.Millisecond), s.next, "", false, event.PresenceOnline)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			err = a.scrubErr(err)
			if fatal(err) && a.token == "" && a.password != "" && !relogged {
				relogged = true
				a.logf("matrix: the access token was refused; logging in again with MATRIX_PASSWORD as device %s", a.cli.DeviceID)
				a.use.Lock()
				lerr := a.passwordLogin(ctx, a.cli, a.cli.DeviceID)
				a.use.Unlock()
				if lerr == nil {
					continue
				}
				err = lerr
			}
			if fatal(err) {
				err = fmt.Errorf("matrix: the homeserver refused the bot's login: %w", err)
				a.down(s.h, err)
				return err
			}
			failures++
			a.down(s.h, err)
			d := platform.RetryBackoff.After(failures)
			a.logf("matrix: sync: %s; retrying in %s", err, d)
			if a.wait(ctx, d) != nil {
				return nil
			}
			continue
		}
		failures = 0
		a.up(s.h)
		if err := s.handle(ctx, resp); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			stuck++
			d := platform.RetryBackoff.After(stuck)
			a.logf("matrix: a message was not journaled; syncing it again in %s: %s", d, a.scrub(err.Error()))
			if a.wait(ctx, d) != nil {
				return nil
			}
			continue // s.next unchanged: the same events come again
		}
		stuck = 0
		s.next, s.first = resp.NextBatch, false
		if err := s.commit(); err != nil {
			a.logf("matrix: saving the sync token: %s (events since the last saved one come again after a restart)", err)
		}
	}
}

// commit saves the newest token all of whose messages are journaled.
func (s *syncer) commit() error {
	s.a.mu.Lock()
	waiting := len(s.a.pending)
	s.a.mu.Unlock()
	tok := s.next
	if waiting > 0 {
		tok = s.held
	} else {
		s.held = ""
	}
	if tok == s.saved || tok == "" {
		return nil
	}
	if err := saveSyncToken(s.a.dir, tok); err != nil {
		return err
	}
	s.saved = tok
	return nil
}

// handle processes one sync response; an error means a message was not
// journaled and the response must come again.
func (s *syncer) handle(ctx context.Context, resp *mautrix.RespSync) error {
	a := s.a
	eng := a.engine()
	if eng != nil {
		eng.processSync(ctx, resp, s.next)
	}
	for room, inv := range resp.Rooms.Invite {
		s.invited(ctx, room, inv)
	}
	for room := range resp.Rooms.Leave {
		a.forget(room)
	}
	rooms := make([]id.RoomID, 0, len(resp.Rooms.Join))
	for room := range resp.Rooms.Join {
		rooms = append(rooms, room)
	}
	sort.Slice(rooms, func(i, j int) bool { return rooms[i] < rooms[j] })
	for _, room := range rooms {
		jr := resp.Rooms.Join[room]
		for _, evt := range jr.State.Events {
			s.state(ctx, room, evt)
		}
		for _, evt := range jr.Timeline.Events {
			evt.RoomID = room
			if evt.StateKey != nil {
				s.state(ctx, room, evt)
				continue
			}
			if s.first {
				continue // history from before the bot's first start
			}
			if err := s.event(ctx, evt); err != nil {
				return err
			}
		}
	}
	return s.retryHeld(ctx)
}

// state applies a state event to the state store and the crypto machine.
func (s *syncer) state(ctx context.Context, room id.RoomID, evt *event.Event) {
	evt.RoomID = room
	if err := evt.Content.ParseRaw(evt.Type); err != nil && !errors.Is(err, event.ErrContentAlreadyParsed) {
		return
	}
	mautrix.UpdateStateStore(ctx, s.a.cli.StateStore, evt)
	switch evt.Type {
	case event.StateMember:
		s.a.forget(room)
		if eng := s.a.engine(); eng != nil {
			eng.handleMember(ctx, evt)
		}
	case event.StateEncryption:
		s.a.mu.Lock()
		s.a.encRoom[room] = true
		s.a.mu.Unlock()
	}
}

// invited joins a room the bot was invited to. Anyone may invite it:
// who may talk to the agent is the gateway's authorization, per message
// (an unknown user's DM gets a pairing code).
func (s *syncer) invited(ctx context.Context, room id.RoomID, inv *mautrix.SyncInvitedRoom) {
	inviter := id.UserID("")
	for _, evt := range inv.State.Events {
		if evt.Type == event.StateMember && evt.StateKey != nil && *evt.StateKey == s.a.userID.String() {
			inviter = evt.Sender
		}
	}
	if _, err := s.a.cli.JoinRoomByID(ctx, room); err != nil {
		s.a.logf("matrix: joining %s (invited by %s): %s", room, inviter, s.a.scrub(err.Error()))
		return
	}
	s.a.logf("matrix: joined %s (invited by %s)", room, inviter)
}

// event handles one timeline event: decrypted when encrypted, then a
// message for the core, an approval answer, or nothing.
func (s *syncer) event(ctx context.Context, evt *event.Event) error {
	a := s.a
	if evt.Sender == a.userID {
		return nil
	}
	if err := evt.Content.ParseRaw(evt.Type); err != nil && !errors.Is(err, event.ErrContentAlreadyParsed) {
		a.logf("matrix: event %s in %s has content that does not parse: %s", evt.ID, evt.RoomID, err)
		return nil
	}
	if evt.Type == event.EventEncrypted {
		plain, ok := s.decrypt(ctx, evt)
		if !ok {
			return nil
		}
		evt = plain
	}
	switch evt.Type {
	case event.EventReaction:
		s.reaction(ctx, evt)
		return nil
	case event.EventMessage:
		m, ok := a.message(ctx, evt)
		if !ok {
			return nil
		}
		if s.approvalReply(ctx, evt, m) {
			return nil
		}
		return s.h.Inbound(ctx, m)
	}
	return nil
}

// decrypt returns evt's plaintext; an event whose key has not arrived is
// held (and the saved token with it) until it does or keyWait passes.
func (s *syncer) decrypt(ctx context.Context, evt *event.Event) (*event.Event, bool) {
	a := s.a
	eng := a.engine()
	if eng == nil {
		a.logf("matrix: an encrypted message in %s was ignored: platforms.matrix.encryption is false", evt.RoomID)
		return nil, false
	}
	plain, err := eng.decrypt(ctx, evt)
	if errors.Is(err, errNoKey) {
		a.mu.Lock()
		if len(a.pending) == 0 {
			s.held = s.next
		}
		if _, ok := a.pending[evt.ID]; !ok {
			a.pending[evt.ID] = &heldEvent{evt: evt, since: time.Now()}
		}
		a.mu.Unlock()
		return nil, false
	}
	if err != nil {
		a.logf("matrix: cannot decrypt %s from %s in %s: %s", evt.ID, evt.Sender, evt.RoomID, err)
		return nil, false
	}
	plain.RoomID = evt.RoomID
	return plain, true
}

// retryHeld tries the held events again after a sync brought keys.
func (s *syncer) retryHeld(ctx context.Context) error {
	a := s.a
	a.mu.Lock()
	held := make([]*heldEvent, 0, len(a.pending))
	for _, h := range a.pending {
		held = append(held, h)
	}
	a.mu.Unlock()
	sort.Slice(held, func(i, j int) bool { return held[i].evt.Timestamp < held[j].evt.Timestamp })
	eng := a.engine()
	for _, h := range held {
		plain, err := eng.decrypt(ctx, h.evt)
		if errors.Is(err, errNoKey) && time.Since(h.since) < keyWait {
			continue
		}
		if err == nil {
			plain.RoomID = h.evt.RoomID
			if err := s.event(ctx, plain); err != nil {
				return err
			}
		} else {
			a.logf("matrix: giving up on %s from %s in %s: %s", h.evt.ID, h.evt.Sender, h.evt.RoomID, err)
		}
		a.mu.Lock()
		delete(a.pending, h.evt.ID)
		a.mu.Unlock()
	}
	return nil
}

// message maps a text message; ok is false for what the agent does not
// answer: notices (other bots), edits, media without a caption.
func (a *Adapter) message(ctx context.Context, evt *event.Event) (platform.Message, bool) {
	c := evt.Content.AsMessage()
	if c == nil || c.NewContent != nil || c.RelatesTo.GetReplaceID() != "" {
		return platform.Message{}, false
	}
	switch c.MsgType {
	case event.MsgText, event.MsgEmote:
	default:
		return platform.Message{}, false
	}
	c.RemoveReplyFallback()
	text := strings.TrimSpace(c.Body)
	if text == "" {
		return platform.Message{}, false
	}
	m := platform.Message{
		Platform: Name,
		ID:       evt.ID.String(),
		ChatID:   evt.RoomID.String(),
		ThreadID: c.RelatesTo.GetThreadParent().String(),
		ChatType: a.chatType(ctx, evt.RoomID),
		UserID:   evt.Sender.String(),
		UserName: a.displayName(ctx, evt.RoomID, evt.Sender),
		Text:     text,
		At:       time.UnixMilli(evt.Timestamp).UTC(),
	}
	m.Mentioned = a.mentioned(c, text)
	return m, true
}

func (a *Adapter) mentioned(c *event.MessageEventContent, text string) bool {
	if c.Mentions != nil && c.Mentions.Has(a.userID) {
		return true
	}
	return strings.Contains(text, a.userID.String())
}

// chatType is DM for a room of two (the bot and one person), else group.
func (a *Adapter) chatType(ctx context.Context, room id.RoomID) platform.ChatType {
	a.mu.Lock()
	n, ok := a.members[room]
	a.mu.Unlock()
	if !ok {
		resp, err := a.cli.JoinedMembers(ctx, room)
		if err != nil {
			a.logf("matrix: members of %s: %s (treated as a group)", room, a.scrub(err.Error()))
			return platform.Group
		}
		n = len(resp.Joined)
		a.mu.Lock()
		a.members[room] = n
		a.mu.Unlock()
	}
	if n <= 2 {
		return platform.DM
	}
	return platform.Group
}

func (a *Adapter) displayName(ctx context.Context, room id.RoomID, user id.UserID) string {
	if mem, err := a.cli.StateStore.GetMember(ctx, room, user); err == nil && mem != nil && mem.Displayname != "" {
		return mem.Displayname
	}
	return user.Localpart()
}

// forget drops what is cached about a room's members.
func (a *Adapter) forget(room id.RoomID) {
	a.mu.Lock()
	delete(a.members, room)
	a.mu.Unlock()
}
