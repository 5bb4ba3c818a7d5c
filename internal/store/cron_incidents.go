package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// CronIncident is a job's failure, keyed by job and error signature: a
// repeat of the same error counts on the open incident, a different error
// opens a new one, a success resolves them.
type CronIncident struct {
	ID         string    `json:"id"`
	JobID      string    `json:"job_id"`
	JobName    string    `json:"job_name"`
	Signature  string    `json:"signature"`
	Error      string    `json:"error"`
	OpenedAt   time.Time `json:"opened_at"`
	LastAt     time.Time `json:"last_at"`
	Count      int       `json:"count"`
	AckedAt    time.Time `json:"acked_at,omitzero"`
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
}

// RecordCronFailure counts a failure on the job's open incident with the
// same signature, or opens a new one (closing the job's other open
// incidents: the error changed). isNew reports which.
func (s *Store) RecordCronFailure(ctx context.Context, jobID, jobName, sig, errText string, at time.Time) (id string, isNew bool, err error) {
	err = s.tx(ctx, func(tx *sql.Tx) error {
		e := tx.QueryRowContext(ctx, `SELECT id FROM cron_incidents WHERE job_id = ? AND signature = ? AND resolved_at IS NULL`,
			jobID, s.red.String(sig)).Scan(&id)
		switch {
		case e == nil:
			_, e = tx.ExecContext(ctx, `UPDATE cron_incidents SET count = count + 1, last_at = ?, error = ? WHERE id = ?`,
				millis(at), s.red.String(errText), id)
			return e
		case !errors.Is(e, sql.ErrNoRows):
			return e
		}
		if _, e := tx.ExecContext(ctx, `UPDATE cron_incidents SET resolved_at = ? WHERE job_id = ? AND resolved_at IS NULL`, millis(at), jobID); e != nil {
			return e
		}
		var b [6]byte
		rand.Read(b[:])
		id, isNew = hex.EncodeToString(b[:]), true
		_, e = tx.ExecContext(ctx, `INSERT INTO cron_incidents (id, job_id, job_name, signature, error, opened_at, last_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			id, jobID, s.red.String(jobName), s.red.String(sig), s.red.String(errText), millis(at), millis(at))
		return e
	})
	if err != nil {
		return "", false, fmt.Errorf("record cron incident: %w", err)
	}
	return id, isNew, nil
}

// ResolveCronIncidents closes the job's open incidents (a run succeeded).
func (s *Store) ResolveCronIncidents(ctx context.Context, jobID string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE cron_incidents SET resolved_at = ? WHERE job_id = ? AND resolved_at IS NULL`, millis(at), jobID)
	return err
}

// AckCronIncident marks an incident (id or unique prefix) acknowledged.
func (s *Store) AckCronIncident(ctx context.Context, id string, at time.Time) (CronIncident, error) {
	list, err := s.cronIncidents(ctx, `WHERE id LIKE ? || '%' ORDER BY opened_at`, id)
	if err != nil {
		return CronIncident{}, err
	}
	switch {
	case id == "" || len(list) == 0:
		return CronIncident{}, fmt.Errorf("incident %q: %w (hermes cron incidents --all lists them)", id, ErrNotFound)
	case len(list) > 1:
		return CronIncident{}, fmt.Errorf("incident %q is ambiguous (%d match): give more of the id", id, len(list))
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE cron_incidents SET acked_at = ? WHERE id = ?`, millis(at), list[0].ID); err != nil {
		return CronIncident{}, err
	}
	list[0].AckedAt = fromMillis(millis(at))
	return list[0], nil
}

// CronIncidents lists the open incidents (all when all), newest first.
func (s *Store) CronIncidents(ctx context.Context, all bool) ([]CronIncident, error) {
	if all {
		return s.cronIncidents(ctx, `ORDER BY last_at DESC LIMIT 500`)
	}
	return s.cronIncidents(ctx, `WHERE resolved_at IS NULL ORDER BY last_at DESC`)
}

func (s *Store) cronIncidents(ctx context.Context, where string, args ...any) ([]CronIncident, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, job_id, job_name, signature, error, opened_at, last_at, count, acked_at, resolved_at
		FROM cron_incidents `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("read cron incidents: %w", err)
	}
	defer rows.Close()
	var out []CronIncident
	for rows.Next() {
		var c CronIncident
		var opened, last int64
		var acked, resolved sql.NullInt64
		if err := rows.Scan(&c.ID, &c.JobID, &c.JobName, &c.Signature, &c.Error, &opened, &last, &c.Count, &acked, &resolved); err != nil {
			return nil, err
		}
		c.OpenedAt, c.LastAt, c.AckedAt, c.ResolvedAt = fromMillis(opened), fromMillis(last), optMillis(acked), optMillis(resolved)
		out = append(out, c)
	}
	return out, rows.Err()
}
