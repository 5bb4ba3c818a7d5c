package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// CronRun is one row of the cron run ledger.
type CronRun struct {
	ID            string
	JobID         string
	JobName       string
	Slot          time.Time // the scheduled time (for a manual run, when it was asked for)
	Trigger       string    // schedule, catchup, manual, tool, missed
	Status        string    // claimed, running, ok, error, timeout, skipped, unknown, blocked_config
	Owner         string    // the process that claimed it (pid, boot and start time)
	ClaimedAt     time.Time
	StartedAt     time.Time // zero until running
	EndedAt       time.Time // zero until final
	Error         string
	OutputPath    string
	SessionID     string
	DeliveredAt   time.Time // zero until a delivery succeeded
	DeliveryError string
}

// Active reports whether the run has not ended: claimed or running.
func (r CronRun) Active() bool { return r.Status == "claimed" || r.Status == "running" }

// ErrCronSlotTaken means another process claimed the same job and slot.
var ErrCronSlotTaken = errors.New("cron run slot already claimed")

// ClaimCronRun inserts r as claimed. A slot already claimed (by any
// process) is ErrCronSlotTaken: that run belongs to someone else.
func (s *Store) ClaimCronRun(ctx context.Context, r CronRun) error {
	res, err := s.db.ExecContext(ctx, `INSERT OR IGNORE INTO cron_runs
		(id, job_id, job_name, slot, trigger, status, owner, claimed_at) VALUES (?, ?, ?, ?, ?, 'claimed', ?, ?)`,
		r.ID, r.JobID, s.red.String(r.JobName), millis(r.Slot), r.Trigger, r.Owner, millis(r.ClaimedAt))
	if err != nil {
		return fmt.Errorf("claim cron run: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrCronSlotTaken
	}
	return nil
}

// StartCronRun moves a claimed run to running. false: it is no longer
// claimed (recovered as stale meanwhile) and must not start.
func (s *Store) StartCronRun(ctx context.Context, id, sessionID string, at time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE cron_runs SET status = 'running', started_at = ?, session_id = ?
		WHERE id = ? AND status = 'claimed'`, millis(at), sessionID, id)
	if err != nil {
		return false, fmt.Errorf("start cron run %s: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// FinishCronRun records the final status of a run that is still active.
// false: it had already ended (another process recorded it).
func (s *Store) FinishCronRun(ctx context.Context, id, status, errText, outputPath string, at time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE cron_runs SET status = ?, error = ?, output_path = ?, ended_at = ?
		WHERE id = ? AND status IN ('claimed', 'running')`, status, s.red.String(errText), outputPath, millis(at), id)
	if err != nil {
		return false, fmt.Errorf("finish cron run %s: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// RecordCronDelivery records how delivering a run's result went: at is
// set only when it succeeded, errText only when it did not.
func (s *Store) RecordCronDelivery(ctx context.Context, id string, at time.Time, errText string) error {
	var when any
	if errText == "" {
		when = millis(at)
	}
	_, err := s.db.ExecContext(ctx, `UPDATE cron_runs SET delivered_at = ?, delivery_error = ? WHERE id = ?`,
		when, s.red.String(errText), id)
	if err != nil {
		return fmt.Errorf("record cron delivery %s: %w", id, err)
	}
	return nil
}

// ActiveCronRuns returns the runs claimed or running, oldest first.
func (s *Store) ActiveCronRuns(ctx context.Context) ([]CronRun, error) {
	return s.cronRuns(ctx, `WHERE status IN ('claimed', 'running') ORDER BY claimed_at`)
}

// CronRun returns one run.
func (s *Store) CronRun(ctx context.Context, id string) (CronRun, error) {
	runs, err := s.cronRuns(ctx, `WHERE id = ?`, id)
	if err != nil {
		return CronRun{}, err
	}
	if len(runs) == 0 {
		return CronRun{}, fmt.Errorf("cron run %s: %w", id, ErrNotFound)
	}
	return runs[0], nil
}

// CronRuns returns the newest runs of a job (all jobs when jobID is
// empty), newest first; limit <= 0 means 50.
func (s *Store) CronRuns(ctx context.Context, jobID string, limit int) ([]CronRun, error) {
	if limit <= 0 {
		limit = 50
	}
	if jobID == "" {
		return s.cronRuns(ctx, `ORDER BY claimed_at DESC, rowid DESC LIMIT ?`, limit)
	}
	return s.cronRuns(ctx, `WHERE job_id = ? ORDER BY claimed_at DESC, rowid DESC LIMIT ?`, jobID, limit)
}

func (s *Store) cronRuns(ctx context.Context, where string, args ...any) ([]CronRun, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, job_id, job_name, slot, trigger, status, owner, claimed_at,
		started_at, ended_at, error, output_path, session_id, delivered_at, delivery_error FROM cron_runs `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("read cron runs: %w", err)
	}
	defer rows.Close()
	var out []CronRun
	for rows.Next() {
		var r CronRun
		var slot, claimed int64
		var started, ended, delivered sql.NullInt64
		if err := rows.Scan(&r.ID, &r.JobID, &r.JobName, &slot, &r.Trigger, &r.Status, &r.Owner, &claimed,
			&started, &ended, &r.Error, &r.OutputPath, &r.SessionID, &delivered, &r.DeliveryError); err != nil {
			return nil, fmt.Errorf("read cron runs: %w", err)
		}
		r.Slot, r.ClaimedAt = fromMillis(slot), fromMillis(claimed)
		r.StartedAt, r.EndedAt, r.DeliveredAt = optMillis(started), optMillis(ended), optMillis(delivered)
		out = append(out, r)
	}
	return out, rows.Err()
}

func optMillis(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMillis(v.Int64)
}
