package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/hermes-go/hermes/internal/cron"
	"github.com/hermes-go/hermes/internal/gateway/platform"
	"github.com/hermes-go/hermes/internal/store"
)

// Deliverer delivers cron results and service outputs to platform
// targets through the outbound ledger: `telegram` (its home channel),
// `telegram:CHAT[:THREAD]`, `all` (every running platform's home
// channel), `origin` (the chat that made the job), comma lists; `local`
// and `webhook:URL` go to Fallback.
type Deliverer struct {
	Core     *Core
	Fallback cron.Deliverer               // local and webhook:URL
	Origin   func(jobID string) string    // a job's origin target; nil: none
	Home     func(platform string) string // a platform's home channel; nil: the adapter's platform.HomeChannel
}

var _ cron.Deliverer = (*Deliverer)(nil)

type dest struct{ platform, chat, thread string }

// WithFallback returns a copy of d that sends local and webhook:URL to
// local (a scheduler's own deliverer), for cron.Scheduler: the gateway's
// scheduler and the cronjob tool's run action each wrap theirs.
func (d *Deliverer) WithFallback(local cron.Deliverer) cron.Deliverer {
	c := *d
	c.Fallback = local
	return &c
}

// resolve turns one entry into destinations.
func (d *Deliverer) resolve(entry, jobID string) ([]dest, error) {
	if entry == "origin" {
		o := ""
		if d.Origin != nil && jobID != "" {
			o = d.Origin(jobID)
		}
		if o == "" || o == "origin" {
			return nil, errors.New("origin: this job has no origin chat; give --deliver PLATFORM:CHAT")
		}
		return d.resolve(o, "")
	}
	if entry == "all" {
		var names []string
		for n := range d.Core.adapters {
			names = append(names, n)
		}
		sort.Strings(names)
		var out []dest
		for _, n := range names {
			if h := d.home(n); h != "" {
				out = append(out, dest{platform: n, chat: h})
			}
		}
		if len(out) == 0 {
			return nil, errors.New("all: no running platform has a home_channel")
		}
		return out, nil
	}
	name, rest, hasChat := strings.Cut(entry, ":")
	if _, ok := d.Core.adapters[name]; !ok {
		return nil, fmt.Errorf("%s: platform %s is not running in this gateway (enable platforms.%s and its token)", entry, name, name)
	}
	if !hasChat {
		h := d.home(name)
		if h == "" {
			return nil, fmt.Errorf("%s: no platforms.%s.home_channel is set; give %s:CHAT_ID", entry, name, name)
		}
		rest = h
	}
	chat, thread, _ := strings.Cut(rest, ":")
	if tp, ok := d.Core.adapters[name].(platform.TargetParser); ok {
		var err error
		if chat, thread, err = tp.ParseTarget(rest); err != nil {
			return nil, fmt.Errorf("%s: %w", entry, err)
		}
	}
	if chat == "" {
		return nil, fmt.Errorf("%s: empty chat id", entry)
	}
	return []dest{{platform: name, chat: chat, thread: thread}}, nil
}

func (d *Deliverer) home(name string) string {
	if d.Home != nil {
		if h := d.Home(name); h != "" {
			return h
		}
	}
	if hc, ok := d.Core.adapters[name].(platform.HomeChannel); ok {
		return hc.Home()
	}
	return ""
}

func isFallback(entry string) bool { return entry == "local" || strings.HasPrefix(entry, "webhook:") }

// Check reports whether every entry of target can be delivered.
func (d *Deliverer) Check(target string) error {
	if err := cron.ValidTarget(target); err != nil {
		return err
	}
	for _, e := range strings.Split(target, ",") {
		e = strings.TrimSpace(e)
		switch {
		case isFallback(e):
			if d.Fallback == nil {
				return fmt.Errorf("%s: not deliverable here", e)
			}
			if err := d.Fallback.Check(e); err != nil {
				return err
			}
		case e == "origin":
			// resolved per job at delivery
		default:
			if _, err := d.resolve(e, ""); err != nil {
				return err
			}
		}
	}
	return nil
}

// Deliver sends m to every entry; the first error is returned after all
// were tried.
func (d *Deliverer) Deliver(ctx context.Context, target string, m cron.Message) error {
	text := m.Text
	if m.Status != cron.StatusOK && m.Error != "" {
		text = fmt.Sprintf("Cron job %s failed (%s): %s", m.Name, m.Status, m.Error)
	} else if m.Recovered {
		text = fmt.Sprintf("Cron job %s works again.\n\n%s", m.Name, m.Text)
	}
	var first error
	for _, e := range strings.Split(target, ",") {
		e = strings.TrimSpace(e)
		var err error
		if isFallback(e) {
			if d.Fallback == nil {
				err = fmt.Errorf("%s: not deliverable here", e)
			} else {
				err = d.Fallback.Deliver(ctx, e, m)
			}
		} else {
			err = d.send(ctx, e, m.JobID, "cron:"+m.RunID, text)
		}
		if err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Send delivers text to target (no local or webhook) with the ledger;
// id makes the idempotency key (a retry of the same id is not sent
// twice).
func (d *Deliverer) Send(ctx context.Context, target, id, text string) error {
	if err := cron.ValidTarget(target); err != nil {
		return err
	}
	var first error
	for _, e := range strings.Split(target, ",") {
		if err := d.send(ctx, strings.TrimSpace(e), "", id, text); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (d *Deliverer) send(ctx context.Context, entry, jobID, id, text string) error {
	dests, err := d.resolve(entry, jobID)
	if err != nil {
		return err
	}
	var first error
	for _, to := range dests {
		a := d.Core.adapters[to.platform]
		parts := split(text, a.MaxLen())
		ds := make([]store.Delivery, len(parts))
		for i, p := range parts {
			ds[i] = store.Delivery{Key: deliveryKey(id, to, i), Platform: to.platform, ChatID: to.chat, ThreadID: to.thread, Text: p}
		}
		if _, err := ledgerWrite(&d.Core.out.wmu, func() (bool, error) { return true, d.Core.o.Store.QueueDeliveries(ctx, ds, d.Core.o.Now()) }); err != nil {
			return err
		}
		for _, x := range ds {
			if err := d.Core.out.send(ctx, a, x.Key, nil); err != nil {
				if first == nil {
					first = fmt.Errorf("%s:%s: %w", to.platform, to.chat, err)
				}
				break
			}
		}
	}
	return first
}

func deliveryKey(id string, to dest, part int) string {
	h := sha256.Sum256([]byte(id))
	return "out:" + hex.EncodeToString(h[:8]) + ":" + to.platform + ":" + to.chat + ":" + to.thread + ":" + strconv.Itoa(part)
}
