package migrate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hermes-go/hermes/internal/llm"
	"github.com/hermes-go/hermes/internal/store"
)

// srcSession is a conversation of the source, in our message format.
// Messages is filled lazily by load (a big history is read one session at
// a time).
type srcSession struct {
	ID, Source, Title, Model, Parent, Where string
	Started, Ended                          time.Time
	InputTokens, OutputTokens               int
	load                                    func() ([]llm.Message, error)
}

// sessionID is our id for a source session: the start time, so ours sort
// by it, and a digest of the source's id, so a second run finds it.
func sessionID(from string, s srcSession) string {
	sum := sha256.Sum256([]byte(from + "\x00" + s.ID))
	return s.Started.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(sum[:3])
}

func (p *planner) planSessions(ctx context.Context, b *bundle) error {
	if len(b.sessions) == 0 {
		return nil
	}
	st, err := p.dest.store(p.o.DryRun)
	if err != nil {
		return fmt.Errorf("our session store: %w", err)
	}
	exists := func(id string) (bool, error) {
		if st == nil {
			return false, nil
		}
		_, err := st.Session(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		return err == nil, err
	}
	ids := map[string]string{} // source id -> ours
	for _, s := range b.sessions {
		ids[s.ID] = sessionID(p.rep.From, s)
	}
	for _, s := range b.sessions {
		id := ids[s.ID]
		it := Item{Kind: "session", Name: s.ID, Where: s.Where, Target: "session " + id}
		have, err := exists(id)
		switch {
		case err != nil:
			it.Status, it.Reason = Failed, err.Error()
			p.add(it, nil, nil)
			continue
		case have:
			it.Status, it.Reason = Skipped, "already imported"
			p.add(it, nil, nil)
			continue
		}
		it.Status = Imported
		s := s
		parent := ids[s.Parent]
		p.add(it, nil, func() error { return importSession(ctx, st, id, parent, s) })
	}
	return nil
}

// importSession writes one session and its messages. A parent that was
// not imported is dropped (the link is lineage only).
func importSession(ctx context.Context, st *store.Store, id, parent string, s srcSession) error {
	msgs, err := s.load()
	if err != nil {
		return err
	}
	if parent != "" {
		if _, err := st.Session(ctx, parent); err != nil {
			parent = ""
		}
	}
	source := s.Source
	if source == "" {
		source = "cli"
	}
	sess := store.Session{ID: id, Source: source, Title: s.Title, Model: s.Model, ParentID: parent,
		InputTokens: s.InputTokens, OutputTokens: s.OutputTokens, StartedAt: s.Started, EndedAt: s.Ended}
	if sess.EndedAt.IsZero() {
		sess.EndedAt = s.Started
	}
	if _, err := st.CreateSession(ctx, sess); err != nil {
		return err
	}
	if err := st.AppendMessages(ctx, id, msgs...); err != nil {
		st.Delete(ctx, id) // all or nothing: a second run tries again
		return err
	}
	return nil
}

// cleanMessages drops what our store does not keep (system messages,
// empty turns) and keeps the order.
func cleanMessages(in []llm.Message) []llm.Message {
	out := in[:0]
	for _, m := range in {
		switch m.Role {
		case llm.RoleUser, llm.RoleAssistant, llm.RoleTool:
		default:
			continue
		}
		if strings.TrimSpace(m.Content) == "" && len(m.ToolCalls) == 0 && m.Role != llm.RoleTool {
			continue
		}
		out = append(out, m)
	}
	return out
}
