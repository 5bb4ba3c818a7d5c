package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"slices"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/hermes-go/hermes/internal/gateway/platform"
)

// mailbox is the folder read.
const mailbox = "INBOX"

// errLogin is a refused login: Run returns it and the gateway restarts
// the adapter after gateway.restart_delay.
var errLogin = errors.New("email: the IMAP server refused the login: check platforms.email.username (or address) and EMAIL_PASSWORD in .env")

// Run reads the inbox until ctx ends: every unseen mail is handed to
// h.Inbound, then marked \Seen. It waits for new mail with IDLE when the
// server has it and polls every poll_interval when not. A dropped
// connection is retried with backoff; a refused login ends Run.
func (a *Adapter) Run(ctx context.Context, h platform.Handler) error {
	a.link.Reset() // a restarted Run reports its connection afresh
	failures := 0
	for {
		if ctx.Err() != nil {
			return nil
		}
		start := a.now()
		err := a.session(ctx, h)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, errLogin) {
			a.down(h, err)
			return err
		}
		if a.now().Sub(start) > 5*time.Minute {
			failures = 0
		}
		failures++
		err = a.scrubErr(err)
		a.down(h, err)
		d := platform.RetryBackoff.After(failures)
		a.logf("email: IMAP %s: %v; reconnecting in %s", a.imapAddr, err, d)
		if a.wait(ctx, d) != nil {
			return nil
		}
	}
}

// session is one IMAP connection: log in, select the inbox, then drain
// and wait until the connection fails or ctx ends.
func (a *Adapter) session(ctx context.Context, h platform.Handler) error {
	news := make(chan struct{}, 1)
	c, err := a.dialIMAP(news)
	if err != nil {
		return err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if err := c.Login(a.username, a.password).Wait(); err != nil {
		var ie *imap.Error
		if errors.As(err, &ie) && ie.Type == imap.StatusResponseTypeNo {
			return errLogin
		}
		return fmt.Errorf("login: %w", err)
	}
	if _, err := c.Select(mailbox, nil).Wait(); err != nil {
		return fmt.Errorf("select %s: %w", mailbox, err)
	}
	a.up(h)
	idle := c.Caps().Has(imap.CapIdle) || c.Caps().Has(imap.CapIMAP4rev2)
	if idle {
		a.logf("email: connected to %s as %s; waiting for mail with IDLE", a.imapAddr, a.username)
	} else {
		a.logf("email: connected to %s as %s; the server has no IDLE, polling every %s", a.imapAddr, a.username, a.poll)
	}
	stuck := 0
	for {
		retry, err := a.drain(ctx, c, h)
		if err != nil {
			return err
		}
		if retry {
			stuck++
			if a.wait(ctx, platform.RetryBackoff.After(stuck)) != nil {
				return nil
			}
			continue
		}
		stuck = 0
		if err := a.waitNew(ctx, c, news, idle); err != nil {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

func (a *Adapter) dialIMAP(news chan struct{}) (*imapclient.Client, error) {
	host, _, _ := net.SplitHostPort(a.imapAddr)
	opts := &imapclient.Options{
		TLSConfig: &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12},
		Dialer:    &net.Dialer{Timeout: 30 * time.Second},
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil {
					select {
					case news <- struct{}{}:
					default:
					}
				}
			},
		},
	}
	switch a.imapTLS {
	case "implicit":
		return imapclient.DialTLS(a.imapAddr, opts)
	case "starttls":
		return imapclient.DialStartTLS(a.imapAddr, opts)
	default:
		return imapclient.DialInsecure(a.imapAddr, opts)
	}
}

// waitNew returns when new mail may have arrived: an IDLE update, or
// poll_interval passed (IDLE is restarted then too, which also keeps
// NAT and servers from dropping a silent connection).
func (a *Adapter) waitNew(ctx context.Context, c *imapclient.Client, news chan struct{}, idle bool) error {
	t := time.NewTimer(a.poll)
	defer t.Stop()
	if !idle {
		select {
		case <-ctx.Done():
		case <-t.C:
		case <-c.Closed():
			return errors.New("connection closed")
		}
		return nil
	}
	cmd, err := c.Idle()
	if err != nil {
		return fmt.Errorf("idle: %w", err)
	}
	select {
	case <-ctx.Done():
		_ = cmd.Close()
		return nil
	case <-news:
	case <-t.C:
	case <-c.Closed():
		return errors.New("connection closed")
	}
	if err := cmd.Close(); err != nil {
		return fmt.Errorf("idle: %w", err)
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("idle: %w", err)
	}
	return nil
}

// drain hands every unseen mail to h, oldest first, and marks each seen
// after it was journaled (or skipped). retry is true when Inbound failed:
// the mail stays unseen and is fetched again after a pause.
func (a *Adapter) drain(ctx context.Context, c *imapclient.Client, h platform.Handler) (retry bool, err error) {
	data, err := c.UIDSearch(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen}}, nil).Wait()
	if err != nil {
		return false, fmt.Errorf("search: %w", err)
	}
	uids := data.AllUIDs()
	slices.Sort(uids)
	for _, uid := range uids {
		if ctx.Err() != nil {
			return false, nil
		}
		raw, size, err := fetch(c, uid)
		if err != nil {
			return false, err
		}
		if raw == nil {
			a.logf("email: mail uid %d is %d MB, over the %d MB limit: marked seen, not answered", uid, size>>20, maxMessage>>20)
		} else {
			m, ok, err := a.inbound(raw)
			if err != nil {
				a.logf("email: mail uid %d not recorded, fetching it again: %s", uid, a.scrub(err.Error()))
				return true, nil
			}
			if ok {
				if err := h.Inbound(ctx, m); err != nil {
					if ctx.Err() != nil {
						return false, nil
					}
					a.logf("email: mail %s not journaled, fetching it again: %s", m.ID, a.scrub(err.Error()))
					return true, nil
				}
			}
		}
		seen := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}
		if err := c.Store(imap.UIDSetNum(uid), seen, nil).Close(); err != nil {
			return false, fmt.Errorf("mark uid %d seen: %w", uid, err)
		}
	}
	return false, nil
}

// fetch reads one mail whole without marking it seen; raw is nil (and
// size set) when it is over maxMessage.
func fetch(c *imapclient.Client, uid imap.UID) (raw []byte, size int64, err error) {
	bufs, err := c.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{UID: true, RFC822Size: true}).Collect()
	if err != nil {
		return nil, 0, fmt.Errorf("fetch uid %d: %w", uid, err)
	}
	if len(bufs) == 0 {
		return nil, 0, fmt.Errorf("fetch uid %d: the server returned nothing", uid)
	}
	if size = bufs[0].RFC822Size; size > maxMessage {
		return nil, size, nil
	}
	section := &imap.FetchItemBodySection{Peek: true}
	bufs, err = c.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
	if err != nil {
		return nil, 0, fmt.Errorf("fetch uid %d: %w", uid, err)
	}
	if len(bufs) == 0 {
		return nil, 0, fmt.Errorf("fetch uid %d: the server returned no body", uid)
	}
	raw = bufs[0].FindBodySection(section)
	if raw == nil {
		raw = []byte{}
	}
	return raw, size, nil
}
