package cron

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/hermes-go/hermes/internal/clock"
)

// Webhook posts messages as JSON {job_id, name, status, text, error,
// run_id, at} and retries with backoff. When Secret is set each attempt
// is signed the way a hermes webhook route (scheme hmac) verifies it:
// X-Hermes-Timestamp (unix seconds) and X-Hermes-Signature-256
// ("sha256=" + hex HMAC-SHA256 of "<timestamp>.<body>"), so a captured
// request cannot be replayed outside the receiver's window.
// X-Hermes-Delivery (the run id and status) is the same on every retry,
// for receivers that deduplicate.
type Webhook struct {
	Client   *http.Client
	Secret   []byte
	Attempts int // tries before giving up; 0 means 5
	Clock    clock.Clock
	// MissingSecret is set when cron.webhook_secret_env names a variable
	// that is not set: every webhook delivery is blocked_config then.
	MissingSecret string
}

// Check fails when the configured secret is missing.
func (w *Webhook) Check() error {
	if w.MissingSecret != "" {
		return fmt.Errorf("cron.webhook_secret_env names %s, which is not set: add it to .env", w.MissingSecret)
	}
	return nil
}

// Send posts m to url, retrying a failed attempt after 1s, 2s, 4s...
func (w *Webhook) Send(ctx context.Context, url string, m Message) error {
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	attempts := w.Attempts
	if attempts <= 0 {
		attempts = 5
	}
	clk := w.Clock
	if clk == nil {
		clk = clock.Real{}
	}
	var last error
	for i := range attempts {
		if i > 0 {
			if err := clk.Sleep(ctx, time.Second<<(i-1)); err != nil {
				return fmt.Errorf("%w (last attempt: %v)", err, last)
			}
		}
		if last = w.post(ctx, url, body, m.RunID+"."+string(m.Status), clk.Now()); last == nil {
			return nil
		}
	}
	return fmt.Errorf("%d attempts failed, last: %w", attempts, last)
}

func (w *Webhook) post(ctx context.Context, url string, body []byte, delivery string, now time.Time) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "hermes-cron")
	req.Header.Set("X-Hermes-Event", "cron")
	req.Header.Set("X-Hermes-Delivery", delivery)
	if len(w.Secret) > 0 {
		ts := strconv.FormatInt(now.Unix(), 10)
		mac := hmac.New(sha256.New, w.Secret)
		mac.Write([]byte(ts + "."))
		mac.Write(body)
		req.Header.Set("X-Hermes-Timestamp", ts)
		req.Header.Set("X-Hermes-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	}
	c := w.Client
	if c == nil {
		c = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("HTTP %s", resp.Status)
	}
	return nil
}
