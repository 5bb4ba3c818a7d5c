package cron

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// State is where a job stands.
type State string

// The job states.
const (
	StateScheduled State = "scheduled"
	StatePaused    State = "paused"
	StateCompleted State = "completed" // a one-shot that ran, or repeat.times reached
	StateError     State = "error"     // the job cannot be scheduled (its schedule is broken)
)

// Status is how one run ended (and a job's last_status).
type Status string

// The run statuses. A run is claimed, then running, then one of the
// final ones; unknown is a run whose process died.
const (
	StatusClaimed        Status = "claimed"
	StatusRunning        Status = "running"
	StatusOK             Status = "ok"
	StatusError          Status = "error"
	StatusTimeout        Status = "timeout"
	StatusSkipped        Status = "skipped"
	StatusUnknown        Status = "unknown"
	StatusBlockedConfig  Status = "blocked_config"
	StatusDeliveryFailed Status = "delivery_failed"
)

// Failed reports whether a final status is a failure the user must hear of.
func (s Status) Failed() bool {
	switch s {
	case StatusError, StatusTimeout, StatusUnknown, StatusBlockedConfig, StatusDeliveryFailed:
		return true
	}
	return false
}

// Concurrency policies: a run due while the last is still running.
const (
	Forbid  = "forbid"  // skip it, recorded as skipped
	Allow   = "allow"   // run both
	Replace = "replace" // stop the running one
)

// Repeat limits how many times a job runs; Times 0 is forever.
type Repeat struct {
	Times     int `json:"times"`
	Completed int `json:"completed"`
}

// Job is one entry of cron/jobs.json.
type Job struct {
	ID           string     `json:"id"`
	Name         string     `json:"name"`
	Prompt       string     `json:"prompt,omitempty"`
	Script       string     `json:"script,omitempty"` // a file under <home>/scripts, run without the model
	Skills       []string   `json:"skills,omitempty"`
	Model        string     `json:"model,omitempty"`
	Provider     string     `json:"provider,omitempty"`
	Schedule     Schedule   `json:"schedule"`
	Repeat       Repeat     `json:"repeat"`
	Enabled      bool       `json:"enabled"`
	State        State      `json:"state"`
	PausedAt     *time.Time `json:"paused_at,omitempty"`
	PausedReason string     `json:"paused_reason,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	NextRunAt    *time.Time `json:"next_run_at"`
	LastRunAt    *time.Time `json:"last_run_at,omitempty"`
	// last_status, last_error, last_delivery_error, failure_streak and
	// next_run_at are always written (hermes cron status --json promises
	// them): empty until the first run.
	LastStatus        Status   `json:"last_status"`
	LastError         string   `json:"last_error"`
	LastDeliveryError string   `json:"last_delivery_error"`
	FailureStreak     int      `json:"failure_streak"`
	Retries           int      `json:"retries,omitempty"` // network retries in a row (RetryDelays)
	Deliver           string   `json:"deliver"`
	FailureDeliver    string   `json:"failure_deliver,omitempty"` // empty: Deliver
	Origin            string   `json:"origin,omitempty"`
	Toolsets          []string `json:"toolsets,omitempty"`
	Workdir           string   `json:"workdir,omitempty"`
	Concurrency       string   `json:"concurrency,omitempty"` // empty: cron.concurrency
	// AlertedSignature is the failure last delivered, so a repeat of the
	// same error is not sent again; cleared by a success.
	AlertedSignature string `json:"alerted_signature,omitempty"`
}

// FailureTarget is where failures go: failure_deliver, else deliver.
func (j *Job) FailureTarget() string {
	if j.FailureDeliver != "" {
		return j.FailureDeliver
	}
	return j.Deliver
}

// NewID returns 12 random hex digits.
func NewID() string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}

// Check validates a job as it is about to be stored: the fields a run
// relies on are present and well formed.
func (j *Job) Check() error {
	if len(j.ID) != 12 || strings.Trim(j.ID, "0123456789abcdef") != "" {
		return fmt.Errorf("id %q: want 12 hex digits", j.ID)
	}
	if strings.TrimSpace(j.Name) == "" {
		return fmt.Errorf("job %s has no name", j.ID)
	}
	if (j.Prompt == "") == (j.Script == "") {
		return fmt.Errorf("job %s: give a prompt or a script (exactly one)", j.Name)
	}
	if j.Script != "" {
		if filepath.IsAbs(j.Script) || strings.Contains(j.Script, "..") || strings.ContainsRune(j.Script, '/') {
			return fmt.Errorf("job %s: script %q must be a file name under <home>/scripts", j.Name, j.Script)
		}
	}
	if err := j.Schedule.Validate(); err != nil {
		return fmt.Errorf("job %s: %w", j.Name, err)
	}
	if err := ValidTarget(j.Deliver); err != nil {
		return fmt.Errorf("job %s: deliver: %w", j.Name, err)
	}
	if j.FailureDeliver != "" {
		if err := ValidTarget(j.FailureDeliver); err != nil {
			return fmt.Errorf("job %s: failure_deliver: %w", j.Name, err)
		}
	}
	switch j.Concurrency {
	case "", Forbid, Allow, Replace:
	default:
		return fmt.Errorf("job %s: concurrency %q: want forbid, allow or replace", j.Name, j.Concurrency)
	}
	if j.Workdir != "" && !filepath.IsAbs(j.Workdir) {
		return fmt.Errorf("job %s: workdir %q must be absolute", j.Name, j.Workdir)
	}
	return nil
}

// ValidTarget checks a delivery target: local, origin, all, webhook:URL,
// a platform name or platform:chat_id[:thread], or a comma list of them.
func ValidTarget(t string) error {
	if strings.TrimSpace(t) == "" {
		return fmt.Errorf("empty target: want local, origin, all, webhook:URL, a platform or platform:chat_id")
	}
	for _, part := range strings.Split(t, ",") {
		part = strings.TrimSpace(part)
		name, rest, _ := strings.Cut(part, ":")
		switch {
		case part == "":
			return fmt.Errorf("%q has an empty entry", t)
		case strings.ContainsAny(part, " \t\n"):
			return fmt.Errorf("%q: a target has no spaces", part)
		case name == "webhook":
			if !strings.HasPrefix(rest, "http://") && !strings.HasPrefix(rest, "https://") {
				return fmt.Errorf("%q: want webhook:http://HOST/PATH or webhook:https://HOST/PATH", part)
			}
		case strings.Trim(name, "abcdefghijklmnopqrstuvwxyz_0123456789") != "":
			return fmt.Errorf("%q: a target is local, origin, all, webhook:URL, a platform name or platform:chat_id", part)
		}
	}
	return nil
}
