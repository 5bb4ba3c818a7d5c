package gateway

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hermes-go/hermes/internal/gateway/platform"
	"github.com/hermes-go/hermes/internal/guard"
	"github.com/hermes-go/hermes/internal/store"
)

// Sessions is what the in-chat commands need of the agent beyond turns;
// the runtime Agent implements it.
type Sessions interface {
	// Reset starts a fresh session under key (/new).
	Reset(ctx context.Context, key string) error
	// Yolo toggles skipping approvals in key's session; it returns the
	// new state.
	Yolo(ctx context.Context, key string) (bool, error)
	// Model names the model key's session uses, or switches it when
	// name is not "".
	Model(ctx context.Context, key, name string) (string, error)
	// Usage is the token use and cost of key's session.
	Usage(ctx context.Context, key string) (Usage, error)
}

// Usage is one session's consumption.
type Usage struct {
	SessionID    string
	InputTokens  int
	OutputTokens int
	CostUSD      float64
}

// Commands answers the in-chat slash commands.
type Commands struct {
	Sessions Sessions // nil: /new, /yolo, /model and /usage say they are unavailable
}

const helpText = `Commands:
/new – start a fresh conversation
/stop – stop the running turn
/status – what is running
/yolo – toggle skipping approvals in this conversation
/approve, /approve all – allow the pending command (once, or for the session)
/deny REASON – refuse the pending command
/model [NAME] – show or switch the model
/usage – tokens and cost of this conversation
/help – this list`

// Run answers one command written in session's chat.
func (cm *Commands) Run(ctx context.Context, c *Core, session string, m platform.Message) string {
	fields := strings.Fields(strings.TrimSpace(m.Text))
	name := strings.ToLower(fields[0])
	if i := strings.IndexByte(name, '@'); i > 0 { // /new@botname in groups
		name = name[:i]
	}
	rest := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(m.Text), fields[0]))
	switch name {
	case "/help", "/start":
		return helpText
	case "/stop":
		if c.Stop(session) {
			return "Stopping."
		}
		return "Nothing is running."
	case "/status":
		return c.statusLine(session)
	case "/approve":
		choice := guard.ChoiceOnce
		if strings.EqualFold(rest, "all") {
			choice = guard.ChoiceSession
		}
		if c.answerApproval(session, guard.Answer{Choice: choice}) {
			return "Approved."
		}
		return "Nothing is waiting for approval."
	case "/deny":
		if c.answerApproval(session, guard.Answer{Choice: guard.ChoiceDeny, Reason: rest}) {
			return "Denied."
		}
		return "Nothing is waiting for approval."
	}
	if cm.Sessions == nil {
		return name + " is not available here."
	}
	switch name {
	case "/new", "/reset":
		c.Stop(session)
		if err := cm.Sessions.Reset(ctx, session); err != nil {
			return "Could not start a new conversation: " + err.Error()
		}
		return "Started a new conversation."
	case "/yolo":
		on, err := cm.Sessions.Yolo(ctx, session)
		if err != nil {
			return "/yolo failed: " + err.Error()
		}
		if on {
			return "YOLO on: commands run without approval in this conversation (the hardline blocklist still applies)."
		}
		return "YOLO off: dangerous commands ask for approval again."
	case "/model":
		model, err := cm.Sessions.Model(ctx, session, rest)
		if err != nil {
			return "/model failed: " + err.Error()
		}
		return "Model: " + model
	case "/usage":
		u, err := cm.Sessions.Usage(ctx, session)
		if err != nil {
			return "/usage failed: " + err.Error()
		}
		return fmt.Sprintf("This conversation: %d input and %d output tokens, $%.4f.", u.InputTokens, u.OutputTokens, u.CostUSD)
	}
	return "Unknown command " + name + ". /help lists them."
}

func (c *Core) statusLine(session string) string {
	c.mu.Lock()
	l := c.lanes[session]
	_, waiting := c.pending[session]
	c.mu.Unlock()
	var b strings.Builder
	switch {
	case waiting:
		b.WriteString("Waiting for your approval (/approve or /deny).")
	case l != nil && l.running:
		fmt.Fprintf(&b, "Working; %d message(s) queued.", len(l.queue))
	default:
		b.WriteString("Idle.")
	}
	for name, st := range c.Status() {
		state := "connected"
		if !st.Connected {
			state = "disconnected"
		}
		fmt.Fprintf(&b, "\n%s: %s", name, state)
	}
	return b.String()
}

// Approval data carried by the buttons: "appr:<choice>:<nonce>".
const approvalPrefix = "appr:"

// Approve asks the chat of session whether req may run, with buttons
// where the platform has them and /approve or /deny always; no answer
// within timeout is a deny.
func (c *Core) Approve(ctx context.Context, session string, req guard.Request, timeout time.Duration) guard.Answer {
	c.mu.Lock()
	origin, ok := c.origin[session]
	ch := make(chan guard.Answer, 1)
	if ok {
		c.pending[session] = ch
	}
	c.mu.Unlock()
	if !ok {
		return guard.Answer{Choice: guard.ChoiceDeny, Reason: "no chat to ask"}
	}
	defer func() {
		c.mu.Lock()
		if c.pending[session] == ch {
			delete(c.pending, session)
		}
		c.mu.Unlock()
	}()
	a := c.adapters[origin.Platform]
	text := "Approval needed: " + req.Reason + "\n" + req.Command + "\n\n/approve, /approve all or /deny REASON"
	buttons := [][]platform.Button{{
		{Text: "Approve", Data: approvalPrefix + string(guard.ChoiceOnce)},
		{Text: "Approve all", Data: approvalPrefix + string(guard.ChoiceSession)},
		{Text: "Deny", Data: approvalPrefix + string(guard.ChoiceDeny)},
	}}
	key := fmt.Sprintf("approval:%s:%d", origin.Key(), c.o.Now().UnixNano())
	if err := c.o.Store.QueueDeliveries(ctx, []store.Delivery{{Key: key, Platform: origin.Platform, ChatID: origin.ChatID,
		ThreadID: origin.ThreadID, Text: text}}, c.o.Now()); err == nil {
		if err := c.out.send(ctx, a, key, buttons); err != nil {
			return guard.Answer{Choice: guard.ChoiceDeny, Reason: "the approval request could not be sent"}
		}
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case ans := <-ch:
		return ans
	case <-t.C:
		return guard.Answer{Choice: guard.ChoiceDeny, Reason: "nobody approved within " + timeout.String()}
	case <-ctx.Done():
		return guard.Answer{Choice: guard.ChoiceDeny, Reason: "the turn was stopped"}
	}
}

// answerApproval hands ans to the approval waiting in session.
func (c *Core) answerApproval(session string, ans guard.Answer) bool {
	c.mu.Lock()
	ch, ok := c.pending[session]
	if ok {
		delete(c.pending, session)
	}
	c.mu.Unlock()
	if ok {
		ch <- ans
	}
	return ok
}

// Pressed answers an approval from its buttons; only an authorized user
// of the chat may press them.
func (c *Core) Pressed(ctx context.Context, cb platform.Callback) error {
	choice, ok := strings.CutPrefix(cb.Data, approvalPrefix)
	if !ok {
		return nil
	}
	m := platform.Message{Platform: cb.Platform, ChatID: cb.ChatID, ThreadID: cb.ThreadID, UserID: cb.UserID, ChatType: platform.DM}
	c.mu.Lock()
	for session, o := range c.origin {
		if o.Platform == cb.Platform && o.ChatID == cb.ChatID && o.ThreadID == cb.ThreadID &&
			(o.ChatType == platform.DM || o.UserID == cb.UserID || !c.o.GroupPerUser(cb.Platform)) {
			m.ChatType = o.ChatType
			c.mu.Unlock()
			if c.o.Authorize == nil || !c.o.Authorize(ctx, m).Allow {
				return nil
			}
			ans := guard.Answer{Choice: guard.Choice(choice)}
			switch ans.Choice {
			case guard.ChoiceOnce, guard.ChoiceSession:
			case guard.ChoiceDeny:
				ans.Reason = "denied from the chat"
			default:
				return nil // not a choice a button offers
			}
			c.answerApproval(session, ans)
			return nil
		}
	}
	c.mu.Unlock()
	return nil
}
