package gateway

import (
	"context"
	"fmt"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/hermes-go/hermes/internal/gateway/platform"
	"github.com/hermes-go/hermes/internal/store"
)

// ResentPrefix labels a delivery that may already have reached the chat:
// an attempt was started before a crash and its outcome is unknown.
const ResentPrefix = "(resent) "

// outbox sends deliveries through the ledger: each is recorded before it
// is sent, every attempt is counted before the platform is asked, and a
// failed attempt is retried with backoff up to retries attempts in all.
type outbox struct {
	st      *store.Store
	mu      sync.Mutex
	wmu     sync.Mutex // ledger writes take turns (ledgerWrite)
	retries int
	backoff func(attempt int) time.Duration
	now     func() time.Time
	logf    func(string, ...any)
}

// defaultBackoff doubles from one second up to thirty.
func defaultBackoff(attempt int) time.Duration {
	d := time.Second << min(attempt, 5)
	return min(d, 30*time.Second)
}

// send delivers the queued delivery key with adapter a. A delivery
// already sent returns nil without sending; one recorded failed returns
// its error.
func (o *outbox) send(ctx context.Context, a platform.Adapter, key string, buttons [][]platform.Button) error {
	d, err := o.st.Delivery(ctx, key)
	if err != nil {
		return err
	}
	switch d.Status {
	case store.OutboundSent:
		return nil
	case store.OutboundFailed:
		return fmt.Errorf("delivery %s failed earlier: %s", key, d.Error)
	}
	o.mu.Lock()
	retries := max(o.retries, 1)
	o.mu.Unlock()
	for mine := 0; ; mine++ {
		before, err := ledgerWrite(&o.wmu, func() (int, error) { return o.st.AttemptDelivery(ctx, key, o.now()) })
		if err != nil {
			return err
		}
		text := d.Text
		// Attempts counted but not made by this call: a process stopped
		// between asking the platform and recording the answer.
		if before > mine {
			text = ResentPrefix + text
		}
		sent, serr := a.Send(ctx, platform.Outbound{ChatID: d.ChatID, ThreadID: d.ThreadID, Text: text,
			ReplyTo: d.ReplyTo, Buttons: buttons, Key: key})
		if serr == nil {
			_, err := ledgerWrite(&o.wmu, func() (bool, error) {
				return o.st.FinishDelivery(context.WithoutCancel(ctx), key, store.OutboundSent, sent.ID, "", o.now())
			})
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if before+1 >= retries {
			_, _ = ledgerWrite(&o.wmu, func() (bool, error) {
				return o.st.FinishDelivery(ctx, key, store.OutboundFailed, "", serr.Error(), o.now())
			})
			o.logf("delivery %s to %s failed after %d attempts: %v", key, d.Platform, before+1, serr)
			return fmt.Errorf("send to %s: %w", d.Platform, serr)
		}
		_, _ = ledgerWrite(&o.wmu, func() (bool, error) { return true, o.st.NoteDeliveryError(ctx, key, serr.Error(), o.now()) })
		t := time.NewTimer(o.backoff(before))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

func (o *outbox) setRetries(n int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.retries = n
}

// split cuts text into parts of at most n bytes, at a newline or a
// space when one is in the second half of the part, never inside a
// UTF-8 sequence.
func split(text string, n int) []string {
	if n <= 0 || len(text) <= n {
		return []string{text}
	}
	var out []string
	for len(text) > n {
		cut := n
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		if cut == 0 { // n smaller than one rune: take the rune whole
			_, size := utf8.DecodeRuneInString(text)
			cut = size
		}
		best := -1
		for i := cut - 1; i >= cut/2 && i > 0; i-- {
			if text[i] == '\n' {
				best = i
				break
			}
			if best < 0 && text[i] == ' ' {
				best = i
			}
		}
		if best > 0 {
			out = append(out, text[:best])
			text = text[best+1:]
			continue
		}
		out = append(out, text[:cut])
		text = text[cut:]
	}
	if text != "" {
		out = append(out, text)
	}
	return out
}

// ledgerWrite runs one ledger write with the gateway's writers taking
// turns: SQLite has one writer at a time, and hundreds of lanes polling
// its busy handler at once starve some past the busy timeout (a 500-chat
// burst lost replies that way); a Go mutex queues them instead.
func ledgerWrite[T any](mu *sync.Mutex, f func() (T, error)) (T, error) {
	mu.Lock()
	defer mu.Unlock()
	return f()
}
