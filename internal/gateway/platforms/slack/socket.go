package slack

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/hermes-go/hermes/internal/gateway/platform"
)

// runSocket runs Socket Mode until ctx ends: the library opens the
// WebSocket (apps.connections.open with the app token) and reconnects
// when Slack asks; every envelope is acknowledged only after the core
// took it.
func (a *Adapter) runSocket(ctx context.Context, h platform.Handler) error {
	client := socketmode.New(a.api, socketmode.OptionLog(libLogger{a}))
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- client.RunContext(runCtx) }()
	for {
		select {
		case <-ctx.Done():
			cancel()
			<-errc
			return nil
		case err := <-errc:
			if ctx.Err() != nil || errors.Is(err, context.Canceled) {
				return nil
			}
			err = a.scrub(fmt.Errorf("slack: socket mode: %w", err))
			a.down(h, err)
			return err
		case evt := <-client.Events:
			a.socketEvent(ctx, h, client, evt)
		}
	}
}

// socketEvent handles one event of the socket-mode client.
func (a *Adapter) socketEvent(ctx context.Context, h platform.Handler, client *socketmode.Client, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeHello, socketmode.EventTypeConnected:
		a.up(h)
	case socketmode.EventTypeConnectionError:
		if ce, ok := evt.Data.(*slack.ConnectionErrorEvent); ok {
			a.down(h, a.scrub(fmt.Errorf("slack: connecting: %w", ce.ErrorObj)))
		}
	case socketmode.EventTypeInvalidAuth:
		a.down(h, errors.New("slack: SLACK_APP_TOKEN was refused (invalid_auth): create a new app-level token with connections:write"))
	case socketmode.EventTypeDisconnect:
		a.logf("slack: Slack asked to reconnect")
	case socketmode.EventTypeEventsAPI:
		ev, ok := evt.Data.(slackevents.EventsAPIEvent)
		if !ok || evt.Request == nil {
			return
		}
		if err := a.inner(ctx, h, ev); err != nil {
			// Not journaled: no ack, so Slack delivers it again.
			a.logf("slack: event %s not journaled, leaving it to Slack's redelivery: %s", evt.Request.EnvelopeID, a.scrubText(err.Error()))
			return
		}
		a.ack(ctx, client, evt.Request.EnvelopeID)
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slack.InteractionCallback)
		if !ok || evt.Request == nil {
			return
		}
		a.interaction(ctx, h, cb)
		a.ack(ctx, client, evt.Request.EnvelopeID)
	case socketmode.EventTypeSlashCommand:
		if evt.Request != nil {
			a.ack(ctx, client, evt.Request.EnvelopeID) // commands are written as messages ("/new" in a DM)
		}
	}
}

func (a *Adapter) ack(ctx context.Context, client *socketmode.Client, envelope string) {
	if err := client.AckCtx(ctx, envelope, nil); err != nil && ctx.Err() == nil {
		a.logf("slack: ack of %s: %s (Slack redelivers it; the ledger skips it)", envelope, a.scrubText(err.Error()))
	}
}

// interaction hands a pressed Block Kit button to the core.
func (a *Adapter) interaction(ctx context.Context, h platform.Handler, cb slack.InteractionCallback) {
	if cb.Type != slack.InteractionTypeBlockActions {
		return
	}
	channel := cb.Channel.ID
	if channel == "" {
		channel = cb.Container.ChannelID
	}
	thread := cb.Container.ThreadTs
	if thread == "" {
		thread = cb.Message.ThreadTimestamp
	}
	if thread == cb.Container.MessageTs {
		thread = ""
	}
	for _, act := range cb.ActionCallback.BlockActions {
		if act == nil || !strings.HasPrefix(act.ActionID, actionPrefix) {
			continue
		}
		c := platform.Callback{Platform: Name, ID: cb.TriggerID, ChatID: channel, ThreadID: thread, UserID: cb.User.ID, Data: act.Value}
		if err := h.Pressed(ctx, c); err != nil {
			a.logf("slack: button %q: %s", act.ActionID, a.scrubText(err.Error()))
		}
	}
}

// libLogger routes the library's log lines through scrub.
type libLogger struct{ a *Adapter }

func (l libLogger) Output(_ int, s string) error {
	l.a.logf("slack: %s", l.a.scrubText(strings.TrimSpace(s)))
	return nil
}
