// Package gateway is the messaging gateway's core: it journals every
// inbound message in the state.db ledger before the platform is told it
// arrived, authorizes its sender, runs one agent turn at a time per
// session, and sends replies through the outbound ledger with retries.
// After a crash the unfinished messages are processed again and each
// reply goes out once (a resend whose first attempt may have reached the
// chat is labelled). Adapters and services live under platforms/ and
// speak to the core only through package platform.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hermes-go/hermes/internal/gateway/platform"
	"github.com/hermes-go/hermes/internal/guard"
	"github.com/hermes-go/hermes/internal/store"
)

// Decision is what authorization says about a message.
type Decision struct {
	Allow bool
	Reply string // for a denied message: what to answer ("" answers nothing)
}

// Authorizer decides whether the sender of m may talk to the agent.
type Authorizer func(ctx context.Context, m platform.Message) Decision

// Options configure a Core.
type Options struct {
	Store    *store.Store
	Agent    platform.Agent
	Adapters []platform.Adapter
	// Authorize decides per message; nil denies everything (deny by
	// default).
	Authorize Authorizer
	// Retries is gateway.delivery_retries: attempts per delivery.
	Retries int
	// Backoff is the pause after a failed attempt; nil doubles from 1s.
	Backoff func(attempt int) time.Duration
	// BusyMode is gateway.busy_mode: queue or interrupt.
	BusyMode string
	// RestartDelay is gateway.restart_delay.
	RestartDelay time.Duration
	// DrainTimeout is gateway.drain_timeout: on shutdown, how long running
	// turns may finish before they are cut off (marked interrupted by
	// restart and resumed at the next start); 0 cuts them off at once.
	DrainTimeout time.Duration
	// GroupPerUser says, per platform, whether groups have one session
	// per participant (platforms.<name>.group_sessions_per_user).
	GroupPerUser func(platform string) bool
	// Commands handles in-chat commands; nil treats them as text.
	Commands *Commands
	Logf     func(string, ...any)
	Now      func() time.Time
}

// InterruptedByRestart is the ledger's note on a message whose turn a
// shutdown cut off.
const InterruptedByRestart = "interrupted by restart"

// resumeNote goes with a message whose earlier turn was started and cut
// off (by a drain that timed out, or a crash).
const resumeNote = "The gateway stopped while you were answering this message, so your earlier attempt was cut off " +
	"(tool calls it made may or may not have taken effect). Answer it now."

// Core is the gateway's message loop; it implements platform.Handler.
type Core struct {
	o        Options
	out      *outbox
	adapters map[string]platform.Adapter

	alive   chan chan struct{} // Alive's requests, answered by Run's loop
	changed chan struct{}      // an adapter's connection changed (for the status file)

	mu       sync.Mutex
	draining bool             // shutting down: no new turns start
	lanes    map[string]*lane // by session key
	status   map[string]AdapterStatus
	wg       sync.WaitGroup
	baseCtx  context.Context
	pending  map[string]chan guard.Answer // approvals waiting, by session key
	origin   map[string]platform.Message  // the last message of each session, where approvals are asked
}

// AdapterStatus is the connection state of one adapter.
type AdapterStatus struct {
	Connected bool   `json:"connected"`
	Error     string `json:"error,omitempty"`
	Restarts  int    `json:"restarts"`
}

// lane runs the turns of one session in order.
type lane struct {
	queue   []string // inbound keys
	running bool
	cancel  context.CancelFunc
}

var _ platform.Handler = (*Core)(nil)

// New builds a core; Run starts it.
func New(o Options) *Core {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	if o.Backoff == nil {
		o.Backoff = defaultBackoff
	}
	if o.GroupPerUser == nil {
		o.GroupPerUser = func(string) bool { return true }
	}
	c := &Core{o: o, adapters: map[string]platform.Adapter{}, lanes: map[string]*lane{}, alive: make(chan chan struct{}), changed: make(chan struct{}, 1),
		status: map[string]AdapterStatus{}, pending: map[string]chan guard.Answer{}, origin: map[string]platform.Message{}}
	c.out = &outbox{st: o.Store, retries: o.Retries, backoff: o.Backoff, now: o.Now, logf: o.Logf}
	for _, a := range o.Adapters {
		c.adapters[a.Name()] = a
		c.status[a.Name()] = AdapterStatus{}
	}
	return c
}

// SetSettings applies reloaded gateway settings: delivery retries, busy
// mode, restart delay and drain timeout take effect for what happens next.
func (c *Core) SetSettings(retries int, busyMode string, restartDelay, drainTimeout time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.o.BusyMode, c.o.RestartDelay, c.o.DrainTimeout = busyMode, restartDelay, drainTimeout
	c.out.setRetries(retries)
}

// DrainTimeout is how long a shutdown waits for running turns.
func (c *Core) DrainTimeout() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.o.DrainTimeout
}

func (c *Core) restartDelay() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.o.RestartDelay
}

// SessionKey is the session of m: agent:main:<platform>:<chat_type>:<chat>[:<thread>],
// with the sender appended in groups when sessions are per participant.
func SessionKey(m platform.Message, perUser bool) string {
	k := "agent:main:" + m.Platform + ":" + string(m.ChatType) + ":" + m.ChatID
	if m.ThreadID != "" {
		k += ":" + m.ThreadID
	}
	if perUser && m.ChatType != platform.DM && m.UserID != "" {
		k += ":" + m.UserID
	}
	return k
}

// OriginOf is m's chat as a delivery target, PLATFORM:CHAT[:THREAD]: the
// origin the cronjob tool records on a job, which Deliverer resolves.
func OriginOf(m platform.Message) string {
	o := m.Platform + ":" + m.ChatID
	if m.ThreadID != "" {
		o += ":" + m.ThreadID
	}
	return o
}

// Run processes the messages left open by an earlier process, then runs
// every adapter (restarting one that fails after RestartDelay) until ctx
// ends. Then it drains: no new turn starts, the running ones have
// DrainTimeout to finish and send their replies, and those still running
// are cut off, marked interrupted by restart, and left open in the ledger
// for the next start.
func (c *Core) Run(ctx context.Context) error {
	turns, cutOff := context.WithCancel(context.WithoutCancel(ctx))
	defer cutOff()
	c.mu.Lock()
	c.baseCtx = turns
	c.draining = false
	c.mu.Unlock()
	if err := c.recover(ctx); err != nil {
		if ctx.Err() != nil {
			return nil // stopped while starting
		}
		return err
	}
	var wg sync.WaitGroup
	for _, a := range c.o.Adapters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.runAdapter(ctx, a)
		}()
	}
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case reply := <-c.alive:
			c.answerAlive(ctx, reply)
		}
	}
	c.mu.Lock()
	c.draining = true
	c.mu.Unlock()
	wg.Wait()
	c.drainTurns(cutOff)
	return nil
}

// drainTurns waits up to DrainTimeout for the running turns, then cuts
// the rest off and waits for them to record it.
func (c *Core) drainTurns(cutOff context.CancelFunc) {
	done := make(chan struct{})
	go func() { c.wg.Wait(); close(done) }()
	timeout := c.DrainTimeout()
	if n := c.running(); n > 0 && timeout > 0 {
		c.o.Logf("draining: waiting up to %s for %d running turn(s)", timeout, n)
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case reply := <-c.alive:
			c.answerAlive(context.Background(), reply)
			continue
		case <-t.C:
		}
		break
	}
	if n := c.running(); n > 0 {
		c.o.Logf("drain timeout (%s): interrupting %d turn(s); they are answered after the restart", timeout, n)
	}
	cutOff()
	<-done
}

// running counts the lanes with a turn in progress.
func (c *Core) running() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, l := range c.lanes {
		if l.running {
			n++
		}
	}
	return n
}

// Alive reports whether Run's loop answers and the ledger can be read
// within ctx: what the systemd watchdog is fed on. A wedged loop or store
// stops the pings, so systemd restarts the gateway.
func (c *Core) Alive(ctx context.Context) bool {
	reply := make(chan struct{})
	select {
	case c.alive <- reply:
	case <-ctx.Done():
		return false
	}
	select {
	case <-reply:
		return true
	case <-ctx.Done():
		return false
	}
}

func (c *Core) answerAlive(ctx context.Context, reply chan struct{}) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if _, err := c.o.Store.InboundMessage(ctx, "\x00alive"); errors.Is(err, store.ErrNotFound) {
		close(reply)
	}
}

func (c *Core) runAdapter(ctx context.Context, a platform.Adapter) {
	for {
		err := a.Run(ctx, c)
		if ctx.Err() != nil {
			return
		}
		c.Connected(a.Name(), false, err)
		c.mu.Lock()
		st := c.status[a.Name()]
		st.Restarts++
		c.status[a.Name()] = st
		c.mu.Unlock()
		delay := c.restartDelay()
		c.o.Logf("platform %s stopped: %v; restarting in %s", a.Name(), err, delay)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// recover enqueues the journaled messages not yet answered or failed.
func (c *Core) recover(ctx context.Context) error {
	open, err := c.o.Store.OpenInbound(ctx)
	if err != nil {
		return fmt.Errorf("read the gateway ledger: %w", err)
	}
	for _, r := range open {
		if _, ok := c.adapters[r.Platform]; !ok {
			c.o.Logf("message %s waits for platform %s, which is not running", r.Key, r.Platform)
			continue
		}
		c.enqueue(fromRow(r))
	}
	return nil
}

// Inbound journals m and queues its turn; a message journaled before is
// not queued again.
func (c *Core) Inbound(ctx context.Context, m platform.Message) error {
	if m.Platform == "" || m.ChatID == "" || m.ID == "" {
		return errors.New("inbound message without platform, chat or id")
	}
	fresh, err := ledgerWrite(&c.out.wmu, func() (bool, error) { return c.o.Store.JournalInbound(ctx, toRow(m), c.o.Now()) })
	if err != nil {
		return err
	}
	if fresh {
		metricInbound.WithLabelValues(m.Platform).Inc()
		c.enqueue(m)
	}
	return nil
}

// Connected records an adapter's connection state.
func (c *Core) Connected(name string, up bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.status[name]
	st.Connected = up
	st.Error = ""
	if err != nil {
		st.Error = err.Error()
	}
	c.status[name] = st
	select {
	case c.changed <- struct{}{}:
	default:
	}
	v := 0.0
	if up {
		v = 1
	}
	metricConnected.WithLabelValues(name).Set(v)
}

// Status returns each adapter's connection state.
func (c *Core) Status() map[string]AdapterStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]AdapterStatus, len(c.status))
	for k, v := range c.status {
		out[k] = v
	}
	return out
}

// Ready reports whether every adapter is connected.
func (c *Core) Ready() bool {
	for _, s := range c.Status() {
		if !s.Connected {
			return false
		}
	}
	return true
}

// enqueue queues m in its session's lane. Commands have a lane of their
// own so that /stop, /status and /approve answer while a turn runs.
func (c *Core) enqueue(m platform.Message) {
	key := SessionKey(m, c.o.GroupPerUser(m.Platform))
	if isCommand(m.Text) {
		key += "\x00cmd"
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.draining {
		return // journaled: the next start answers it
	}
	l := c.lanes[key]
	if l == nil {
		l = &lane{}
		c.lanes[key] = l
	}
	if l.running && c.o.BusyMode == "interrupt" && l.cancel != nil && !isCommand(m.Text) {
		l.cancel()
	}
	l.queue = append(l.queue, m.Key())
	if !l.running {
		l.running = true
		c.wg.Add(1)
		go c.drain(key, l)
	}
}

// drain runs the lane's messages one at a time until it is empty.
func (c *Core) drain(laneKey string, l *lane) {
	defer c.wg.Done()
	for {
		c.mu.Lock()
		base := c.baseCtx
		if len(l.queue) == 0 || base == nil || base.Err() != nil || c.draining {
			l.running = false
			if len(l.queue) == 0 {
				delete(c.lanes, laneKey)
			}
			c.mu.Unlock()
			return
		}
		key := l.queue[0]
		l.queue = l.queue[1:]
		ctx, cancel := context.WithCancel(base)
		l.cancel = cancel
		c.mu.Unlock()
		c.process(ctx, key)
		cancel()
	}
}

// process runs one journaled message to its end: answered or failed. A
// cancelled base context (shutdown) leaves it open for the next start.
func (c *Core) process(ctx context.Context, key string) {
	base := c.baseContext()
	row, err := c.o.Store.InboundMessage(base, key)
	if err != nil {
		c.o.Logf("ledger: %v", err)
		return
	}
	m := fromRow(row)
	a := c.adapters[m.Platform]
	if a == nil {
		return
	}
	session := SessionKey(m, c.o.GroupPerUser(m.Platform))
	// A turn finished before a crash left its reply queued: send that
	// rather than asking the agent again.
	if parts, err := c.o.Store.DeliveriesFor(base, key); err == nil && len(parts) > 0 {
		c.finish(base, key, c.flush(base, a, parts))
		return
	}
	if ok, err := ledgerWrite(&c.out.wmu, func() (bool, error) { return c.o.Store.StartInbound(base, key, c.o.Now()) }); err != nil || !ok {
		if err != nil {
			c.o.Logf("ledger: %v", err)
		}
		return
	}
	reply, buttons := c.answer(ctx, session, m, a, row.Status == store.InboundProcessing)
	if base.Err() != nil {
		// Cut off by a shutdown: stays open, processed again at the next
		// start with a note that it was interrupted.
		mark, cancel := context.WithTimeout(context.WithoutCancel(base), 5*time.Second)
		defer cancel()
		if _, err := ledgerWrite(&c.out.wmu, func() (bool, error) {
			return c.o.Store.InterruptInbound(mark, key, InterruptedByRestart, c.o.Now())
		}); err != nil {
			c.o.Logf("ledger: %v", err)
		}
		return
	}
	if reply == "" {
		c.finish(base, key, nil)
		return
	}
	c.finish(base, key, c.reply(base, a, m, reply, buttons))
}

// answer produces the reply to m: a denial, a command's answer or an
// agent turn.
func (c *Core) answer(ctx context.Context, session string, m platform.Message, a platform.Adapter, resumed bool) (string, [][]platform.Button) {
	d := Decision{}
	if c.o.Authorize != nil {
		d = c.o.Authorize(ctx, m)
	}
	if !d.Allow {
		metricDenied.WithLabelValues(m.Platform).Inc()
		return d.Reply, nil
	}
	if c.o.Commands != nil && isCommand(m.Text) {
		return c.o.Commands.Run(ctx, c, session, m), nil
	}
	c.mu.Lock()
	c.origin[session] = m
	c.mu.Unlock()
	stopTyping := c.typing(ctx, a, m)
	defer stopTyping()
	req := platform.TurnRequest{SessionKey: session, Text: m.Text, Source: m.Platform, Origin: OriginOf(m)}
	if resumed {
		req.System = resumeNote
	}
	res, err := c.o.Agent.Turn(ctx, req)
	metricTurns.WithLabelValues(m.Platform, outcome(err)).Inc()
	if err != nil {
		if c.baseContext().Err() != nil {
			return "", nil
		}
		if ctx.Err() != nil {
			return "(stopped)", nil
		}
		c.o.Logf("turn for %s failed: %v", m.Key(), err)
		return "Sorry, that failed: " + err.Error(), nil
	}
	return res.Text, nil
}

func outcome(err error) string {
	if err != nil {
		return "error"
	}
	return "ok"
}

// typing shows "typing…" every few seconds while the turn runs, when the
// adapter can.
func (c *Core) typing(ctx context.Context, a platform.Adapter, m platform.Message) func() {
	t, ok := a.(platform.Typer)
	if !ok {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(4 * time.Second)
		defer tick.Stop()
		for {
			_ = t.Typing(ctx, m.ChatID, m.ThreadID)
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return func() { cancel(); <-done }
}

// reply queues every part of text (all or none) and sends them in order.
func (c *Core) reply(ctx context.Context, a platform.Adapter, m platform.Message, text string, buttons [][]platform.Button) error {
	parts := split(text, a.MaxLen())
	ds := make([]store.Delivery, len(parts))
	for i, p := range parts {
		ds[i] = store.Delivery{Key: "reply:" + m.Key() + ":" + strconv.Itoa(i), Platform: m.Platform, ChatID: m.ChatID,
			ThreadID: m.ThreadID, ReplyTo: m.ID, InboundKey: m.Key(), Text: p}
	}
	if _, err := ledgerWrite(&c.out.wmu, func() (bool, error) { return true, c.o.Store.QueueDeliveries(ctx, ds, c.o.Now()) }); err != nil {
		return err
	}
	for i, d := range ds {
		var b [][]platform.Button
		if i == len(ds)-1 {
			b = buttons
		}
		if err := c.out.send(ctx, a, d.Key, b); err != nil {
			metricDeliveries.WithLabelValues(m.Platform, "failed").Inc()
			return err
		}
		metricDeliveries.WithLabelValues(m.Platform, "sent").Inc()
	}
	return nil
}

// flush sends the parts of a reply queued by an earlier process.
func (c *Core) flush(ctx context.Context, a platform.Adapter, parts []store.Delivery) error {
	for _, d := range parts {
		if err := c.out.send(ctx, a, d.Key, nil); err != nil {
			return err
		}
	}
	return nil
}

func (c *Core) finish(ctx context.Context, key string, err error) {
	if ctx.Err() != nil {
		return
	}
	status, text := store.InboundAnswered, ""
	if err != nil {
		status, text = store.InboundFailed, err.Error()
	}
	if _, ferr := ledgerWrite(&c.out.wmu, func() (bool, error) { return c.o.Store.FinishInbound(ctx, key, status, text, c.o.Now()) }); ferr != nil {
		c.o.Logf("ledger: %v", ferr)
	}
}

func (c *Core) baseContext() context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.baseCtx == nil {
		return context.Background()
	}
	return c.baseCtx
}

// Stop cancels the running turn of a session; false when none runs.
func (c *Core) Stop(session string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := c.lanes[session]
	if l == nil || !l.running || l.cancel == nil {
		return false
	}
	l.cancel()
	return true
}

func isCommand(text string) bool { return strings.HasPrefix(strings.TrimSpace(text), "/") }

func toRow(m platform.Message) store.Inbound {
	return store.Inbound{Key: m.Key(), Platform: m.Platform, ChatID: m.ChatID, ThreadID: m.ThreadID,
		ChatType: string(m.ChatType), MsgID: m.ID, UserID: m.UserID, UserName: m.UserName, Text: m.Text,
		Mentioned: m.Mentioned, SentAt: m.At}
}

func fromRow(r store.Inbound) platform.Message {
	return platform.Message{Platform: r.Platform, ID: r.MsgID, ChatID: r.ChatID, ThreadID: r.ThreadID,
		ChatType: platform.ChatType(r.ChatType), UserID: r.UserID, UserName: r.UserName, Text: r.Text,
		Mentioned: r.Mentioned, At: r.SentAt}
}
