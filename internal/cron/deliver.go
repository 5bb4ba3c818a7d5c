package cron

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Message is what a delivery carries: a run's result or failure.
type Message struct {
	JobID      string    `json:"job_id"`
	Name       string    `json:"name"`
	Status     Status    `json:"status"`
	Text       string    `json:"text"`
	Error      string    `json:"error"`
	RunID      string    `json:"run_id"`
	At         time.Time `json:"at"`
	OutputPath string    `json:"-"`
	Recovered  bool      `json:"recovered,omitempty"` // the first success after a delivered failure
}

// Deliverer sends messages to targets. The scheduler calls Check before a
// run (a target that cannot be reached is blocked_config, before any
// model call) and Deliver after it. The gateway implements it for its
// platforms; Targets here knows local and webhook:URL.
type Deliverer interface {
	Check(target string) error
	Deliver(ctx context.Context, target string, m Message) error
}

// Targets delivers to local (the output file is the delivery; failures
// are also written to Log) and webhook:URL, and refuses the targets that
// need the gateway.
type Targets struct {
	Log     io.Writer // failures delivered to local are also written here
	Webhook *Webhook  // nil: webhook targets are refused
	mu      sync.Mutex
}

// Check reports whether every entry of target can be delivered here.
func (d *Targets) Check(target string) error {
	if err := ValidTarget(target); err != nil {
		return err
	}
	for _, t := range strings.Split(target, ",") {
		t = strings.TrimSpace(t)
		switch {
		case t == "local":
		case strings.HasPrefix(t, "webhook:"):
			if d.Webhook == nil {
				return fmt.Errorf("%s: webhook delivery is not set up in this process", t)
			}
			if err := d.Webhook.Check(); err != nil {
				return err
			}
		default:
			return fmt.Errorf("target %q is delivered by the gateway, which is not running this scheduler: start the gateway, or use --deliver local or webhook:URL", t)
		}
	}
	return nil
}

// Deliver sends m to every entry of target; the first error is returned
// after all were tried.
func (d *Targets) Deliver(ctx context.Context, target string, m Message) error {
	if err := d.Check(target); err != nil {
		return err
	}
	var first error
	for _, t := range strings.Split(target, ",") {
		t = strings.TrimSpace(t)
		var err error
		switch {
		case t == "local":
			err = d.local(m)
		case strings.HasPrefix(t, "webhook:"):
			err = d.Webhook.Send(ctx, strings.TrimPrefix(t, "webhook:"), m)
		}
		if err != nil && first == nil {
			first = fmt.Errorf("%s: %w", t, err)
		}
	}
	return first
}

// local keeps the result on disk (already written); a failure is also
// written to the log so someone watching sees it.
func (d *Targets) local(m Message) error {
	if !m.Status.Failed() || d.Log == nil {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	_, err := fmt.Fprintf(d.Log, "hermes cron: job %s (%s) %s: %s (output %s)\n", m.Name, m.JobID, m.Status, m.Error, m.OutputPath)
	return err
}
