package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Inbound states of the gateway ledger.
const (
	InboundReceived   = "received"
	InboundProcessing = "processing"
	InboundAnswered   = "answered"
	InboundFailed     = "failed"
)

// Outbound states of the gateway ledger.
const (
	OutboundPending = "pending"
	OutboundSent    = "sent"
	OutboundFailed  = "failed"
)

// Inbound is one journaled chat message.
type Inbound struct {
	Key        string // platform:chat:message id
	Platform   string
	ChatID     string
	ThreadID   string
	ChatType   string
	MsgID      string
	UserID     string
	UserName   string
	Text       string
	Mentioned  bool
	SentAt     time.Time
	Status     string
	Attempts   int // how many times its turn was started
	ReceivedAt time.Time
	UpdatedAt  time.Time
	Error      string
}

// Delivery is one outbound message of the gateway ledger.
type Delivery struct {
	Key        string // the idempotency key
	Platform   string
	ChatID     string
	ThreadID   string
	ReplyTo    string
	InboundKey string // the message it answers; "" for cron results and sends
	Text       string
	Status     string
	Attempts   int
	CreatedAt  time.Time
	UpdatedAt  time.Time
	SentID     string // the platform's id once sent
	Error      string
}

// JournalInbound records m as received. false: a message with the same
// key was journaled before (whatever its state) and nothing changed.
func (s *Store) JournalInbound(ctx context.Context, m Inbound, at time.Time) (bool, error) {
	if m.Key == "" {
		return false, errors.New("journal inbound: empty key")
	}
	res, err := s.db.ExecContext(ctx, `INSERT OR IGNORE INTO gateway_inbound
		(key, platform, chat_id, thread_id, chat_type, msg_id, user_id, user_name, text, mentioned, sent_at,
		 status, received_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'received', ?, ?)`,
		m.Key, m.Platform, m.ChatID, m.ThreadID, m.ChatType, m.MsgID, m.UserID, s.red.String(m.UserName),
		s.red.String(m.Text), m.Mentioned, millis(m.SentAt), millis(at), millis(at))
	if err != nil {
		return false, fmt.Errorf("journal inbound %s: %w", m.Key, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// StartInbound moves a received or processing message to processing and
// counts the attempt. false: it is already answered or failed.
func (s *Store) StartInbound(ctx context.Context, key string, at time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE gateway_inbound SET status = 'processing', attempts = attempts + 1,
		updated_at = ? WHERE key = ? AND status IN ('received', 'processing')`, millis(at), key)
	if err != nil {
		return false, fmt.Errorf("start inbound %s: %w", key, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// FinishInbound records the final state (answered or failed) of a
// message still open. false: it had already been finished.
func (s *Store) FinishInbound(ctx context.Context, key, status, errText string, at time.Time) (bool, error) {
	if status != InboundAnswered && status != InboundFailed {
		return false, fmt.Errorf("finish inbound %s: bad status %q", key, status)
	}
	res, err := s.db.ExecContext(ctx, `UPDATE gateway_inbound SET status = ?, error = ?, updated_at = ?
		WHERE key = ? AND status IN ('received', 'processing')`, status, s.red.String(errText), millis(at), key)
	if err != nil {
		return false, fmt.Errorf("finish inbound %s: %w", key, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// OpenInbound returns the messages not yet answered or failed, oldest
// first: after a restart they are processed again.
func (s *Store) OpenInbound(ctx context.Context) ([]Inbound, error) {
	return s.inbound(ctx, `WHERE status IN ('received', 'processing') ORDER BY received_at, rowid`)
}

// InboundMessage returns one journaled message.
func (s *Store) InboundMessage(ctx context.Context, key string) (Inbound, error) {
	rows, err := s.inbound(ctx, `WHERE key = ?`, key)
	if err != nil {
		return Inbound{}, err
	}
	if len(rows) == 0 {
		return Inbound{}, fmt.Errorf("inbound %s: %w", key, ErrNotFound)
	}
	return rows[0], nil
}

func (s *Store) inbound(ctx context.Context, where string, args ...any) ([]Inbound, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT key, platform, chat_id, thread_id, chat_type, msg_id, user_id,
		user_name, text, mentioned, sent_at, status, attempts, received_at, updated_at, error FROM gateway_inbound `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("read inbound: %w", err)
	}
	defer rows.Close()
	var out []Inbound
	for rows.Next() {
		var m Inbound
		var sent, recv, upd int64
		if err := rows.Scan(&m.Key, &m.Platform, &m.ChatID, &m.ThreadID, &m.ChatType, &m.MsgID, &m.UserID,
			&m.UserName, &m.Text, &m.Mentioned, &sent, &m.Status, &m.Attempts, &recv, &upd, &m.Error); err != nil {
			return nil, fmt.Errorf("read inbound: %w", err)
		}
		m.SentAt, m.ReceivedAt, m.UpdatedAt = fromMillis(sent), fromMillis(recv), fromMillis(upd)
		out = append(out, m)
	}
	return out, rows.Err()
}

// QueueDelivery records d as pending unless a delivery with the same key
// exists; it returns the row as stored (the existing one when there was
// one, so a caller sees whether it was already sent).
func (s *Store) QueueDelivery(ctx context.Context, d Delivery, at time.Time) (Delivery, error) {
	if d.Key == "" {
		return Delivery{}, errors.New("queue delivery: empty key")
	}
	_, err := s.db.ExecContext(ctx, `INSERT OR IGNORE INTO gateway_outbound
		(key, platform, chat_id, thread_id, reply_to, inbound_key, text, status, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
		d.Key, d.Platform, d.ChatID, d.ThreadID, d.ReplyTo, d.InboundKey, s.red.String(d.Text), millis(at), millis(at))
	if err != nil {
		return Delivery{}, fmt.Errorf("queue delivery %s: %w", d.Key, err)
	}
	return s.Delivery(ctx, d.Key)
}

// QueueDeliveries queues every delivery of ds in one transaction (the
// parts of one reply: all are recorded, or none); rows that exist are
// kept as they are.
func (s *Store) QueueDeliveries(ctx context.Context, ds []Delivery, at time.Time) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		for _, d := range ds {
			if d.Key == "" {
				return errors.New("empty key")
			}
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO gateway_outbound
				(key, platform, chat_id, thread_id, reply_to, inbound_key, text, status, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
				d.Key, d.Platform, d.ChatID, d.ThreadID, d.ReplyTo, d.InboundKey, s.red.String(d.Text), millis(at), millis(at)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("queue deliveries: %w", err)
	}
	return nil
}

// AttemptDelivery counts one more attempt of a pending delivery and
// returns how many there were before it. An attempt is counted before
// the platform is asked, so after a crash a count > 0 means the message
// may have gone out already.
func (s *Store) AttemptDelivery(ctx context.Context, key string, at time.Time) (int, error) {
	var before int
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT attempts FROM gateway_outbound WHERE key = ?`, key).Scan(&before); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("delivery %s: %w", key, ErrNotFound)
			}
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE gateway_outbound SET attempts = attempts + 1, updated_at = ? WHERE key = ?`,
			millis(at), key)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("attempt delivery %s: %w", key, err)
	}
	return before, nil
}

// FinishDelivery records a pending delivery as sent (with the platform's
// id) or failed (with the error). false: it was not pending.
func (s *Store) FinishDelivery(ctx context.Context, key, status, sentID, errText string, at time.Time) (bool, error) {
	if status != OutboundSent && status != OutboundFailed {
		return false, fmt.Errorf("finish delivery %s: bad status %q", key, status)
	}
	res, err := s.db.ExecContext(ctx, `UPDATE gateway_outbound SET status = ?, sent_id = ?, error = ?, updated_at = ?
		WHERE key = ? AND status = 'pending'`, status, sentID, s.red.String(errText), millis(at), key)
	if err != nil {
		return false, fmt.Errorf("finish delivery %s: %w", key, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// NoteDeliveryError records the last error of a pending delivery that
// will be retried.
func (s *Store) NoteDeliveryError(ctx context.Context, key, errText string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE gateway_outbound SET error = ?, updated_at = ? WHERE key = ? AND status = 'pending'`,
		s.red.String(errText), millis(at), key)
	if err != nil {
		return fmt.Errorf("note delivery error %s: %w", key, err)
	}
	return nil
}

// Delivery returns one outbound delivery.
func (s *Store) Delivery(ctx context.Context, key string) (Delivery, error) {
	rows, err := s.deliveries(ctx, `WHERE key = ?`, key)
	if err != nil {
		return Delivery{}, err
	}
	if len(rows) == 0 {
		return Delivery{}, fmt.Errorf("delivery %s: %w", key, ErrNotFound)
	}
	return rows[0], nil
}

// DeliveriesFor returns the deliveries answering an inbound message, in
// the order they were queued.
func (s *Store) DeliveriesFor(ctx context.Context, inboundKey string) ([]Delivery, error) {
	return s.deliveries(ctx, `WHERE inbound_key = ? ORDER BY created_at, rowid`, inboundKey)
}

// PendingDeliveries returns the deliveries neither sent nor failed.
func (s *Store) PendingDeliveries(ctx context.Context) ([]Delivery, error) {
	return s.deliveries(ctx, `WHERE status = 'pending' ORDER BY created_at, rowid`)
}

func (s *Store) deliveries(ctx context.Context, where string, args ...any) ([]Delivery, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT key, platform, chat_id, thread_id, reply_to, inbound_key, text,
		status, attempts, created_at, updated_at, sent_id, error FROM gateway_outbound `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("read deliveries: %w", err)
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		var d Delivery
		var created, upd int64
		if err := rows.Scan(&d.Key, &d.Platform, &d.ChatID, &d.ThreadID, &d.ReplyTo, &d.InboundKey, &d.Text,
			&d.Status, &d.Attempts, &created, &upd, &d.SentID, &d.Error); err != nil {
			return nil, fmt.Errorf("read deliveries: %w", err)
		}
		d.CreatedAt, d.UpdatedAt = fromMillis(created), fromMillis(upd)
		out = append(out, d)
	}
	return out, rows.Err()
}

// SessionByKey returns the newest session of source with the gateway's
// chat key, not ended; ErrNotFound when there is none.
func (s *Store) SessionByKey(ctx context.Context, source, key string) (Session, error) {
	row := s.db.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM sessions
		WHERE source = ? AND key = ? AND ended_at IS NULL ORDER BY started_at DESC, rowid DESC LIMIT 1`, source, key)
	sess, err := scanSession(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, fmt.Errorf("session %s: %w", key, ErrNotFound)
	}
	return sess, err
}

// SetSessionKey records the gateway's chat key of a session.
func (s *Store) SetSessionKey(ctx context.Context, id, key string) error {
	return s.update(ctx, id, "key", `UPDATE sessions SET key = ? WHERE id = ?`, key, id)
}

// InterruptInbound notes on a message still processing why its turn was
// cut off (a restart's drain timed out); it stays open, so the next start
// processes it again. false: it is not processing.
func (s *Store) InterruptInbound(ctx context.Context, key, reason string, at time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE gateway_inbound SET error = ?, updated_at = ?
		WHERE key = ? AND status = 'processing'`, s.red.String(reason), millis(at), key)
	if err != nil {
		return false, fmt.Errorf("interrupt inbound %s: %w", key, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}
