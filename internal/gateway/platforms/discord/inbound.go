package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/bwmarrin/discordgo"

	"github.com/hermes-go/hermes/internal/fileutil"
	"github.com/hermes-go/hermes/internal/gateway/platform"
)

// historyPage is the most messages GET /channels/{id}/messages returns.
const historyPage = 100

// catchUpPages bounds one channel's catch-up (100 messages a page).
const catchUpPages = 50

// item is one queued gateway event: a message, or a catch-up request.
type item struct {
	msg     *discordgo.Message
	dm      bool
	catchUp bool
}

// queue holds gateway events in order between discordgo's reader (which
// must not block: it also reads heartbeat acks) and the worker.
type queue struct {
	mu    sync.Mutex
	items []item
	ready chan struct{}
}

func newQueue() *queue { return &queue{ready: make(chan struct{}, 1)} }

func (q *queue) push(it item) {
	q.mu.Lock()
	q.items = append(q.items, it)
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// pop waits for the next item; false when ctx ended.
func (q *queue) pop(ctx context.Context) (item, bool) {
	for {
		q.mu.Lock()
		if len(q.items) > 0 {
			it := q.items[0]
			q.items[0] = item{}
			q.items = q.items[1:]
			q.mu.Unlock()
			return it, true
		}
		q.mu.Unlock()
		select {
		case <-ctx.Done():
			return item{}, false
		case <-q.ready:
		}
	}
}

// work handles queued events one at a time until ctx ends.
func (a *Adapter) work(ctx context.Context, h platform.Handler, q *queue) {
	for {
		it, ok := q.pop(ctx)
		if !ok {
			return
		}
		if it.catchUp {
			a.catchUp(ctx, h)
			continue
		}
		a.handle(ctx, h, it.msg, it.dm)
	}
}

// handle gives one Discord message to the core (retrying a failed
// Inbound in place) and records it as the channel's last.
func (a *Adapter) handle(ctx context.Context, h platform.Handler, dm *discordgo.Message, isDM bool) {
	if dm == nil || dm.ID == "" || dm.ChannelID == "" {
		return
	}
	a.mu.Lock()
	chans := a.chans
	a.mu.Unlock()
	if chans.seen(dm.ChannelID, dm.ID) {
		return // read in a catch-up already
	}
	m, ok := a.toMessage(dm, isDM)
	if ok {
		if !a.inbound(ctx, h, m) {
			return // ctx ended before the core took it: the next run catches up
		}
	}
	if err := chans.record(dm.ChannelID, dm.ID, isDM, ok); err != nil {
		a.logf("discord: %s", a.scrubText(err.Error()))
	}
}

// inbound calls h.Inbound until it succeeds; false when ctx ended first.
func (a *Adapter) inbound(ctx context.Context, h platform.Handler, m platform.Message) bool {
	for failures := 1; ; failures++ {
		err := h.Inbound(ctx, m)
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		d := platform.RetryBackoff.After(failures)
		a.logf("discord: message %s not journaled, retrying in %s: %s", m.Key(), d, a.scrubText(err.Error()))
		if a.wait(ctx, d) != nil {
			return false
		}
	}
}

// toMessage maps a Discord message; false for what the agent must not
// see: bots (itself included), webhooks, system messages, empty text,
// unaddressed server messages when require_mention is on.
func (a *Adapter) toMessage(dm *discordgo.Message, isDM bool) (platform.Message, bool) {
	me := a.bot()
	if dm.Author == nil || dm.Author.ID == "" || dm.Author.Bot || dm.Author.ID == me || dm.WebhookID != "" {
		return platform.Message{}, false
	}
	if dm.Type != discordgo.MessageTypeDefault && dm.Type != discordgo.MessageTypeReply {
		return platform.Message{}, false
	}
	text, mentioned := addressed(dm.Content, me)
	for _, u := range dm.Mentions {
		if u != nil && me != "" && u.ID == me {
			mentioned = true
		}
	}
	if r := dm.ReferencedMessage; r != nil && r.Author != nil && me != "" && r.Author.ID == me {
		mentioned = true // a reply to the bot
	}
	if strings.TrimSpace(text) == "" {
		return platform.Message{}, false
	}
	ct := platform.Group
	if isDM {
		ct, mentioned = platform.DM, true
	}
	if !isDM && a.requireMention && !mentioned {
		return platform.Message{}, false
	}
	return platform.Message{
		Platform: Name, ID: dm.ID, ChatID: dm.ChannelID, ChatType: ct,
		UserID: dm.Author.ID, UserName: dm.Author.Username, Text: text, Mentioned: mentioned, At: dm.Timestamp.UTC(),
	}, true
}

var mentionRE = regexp.MustCompile(`<@!?([0-9]+)>`)

// addressed strips mentions of the bot (<@ID>, <@!ID>) from text and
// reports whether there was one.
func addressed(text, me string) (string, bool) {
	found := false
	for {
		removed := false
		text = mentionRE.ReplaceAllStringFunc(text, func(s string) string {
			if me != "" && mentionRE.FindStringSubmatch(s)[1] == me {
				removed = true
				return ""
			}
			return s
		})
		if !removed { // each pass shortens text: a mention rebuilt from the pieces around a removed one goes too
			return strings.TrimSpace(text), found
		}
		found = true
	}
}

// catchUp reads, for every channel the adapter has journaled from, the
// history after the last message it handled, oldest first.
func (a *Adapter) catchUp(ctx context.Context, h platform.Handler) {
	a.mu.Lock()
	chans := a.chans
	a.mu.Unlock()
	for _, c := range chans.list() {
		if ctx.Err() != nil {
			return
		}
		if err := a.catchUpChannel(ctx, h, c); err != nil && ctx.Err() == nil {
			a.logf("discord: catching up channel %s: %s", c.ID, a.scrubText(err.Error()))
		}
	}
}

func (a *Adapter) catchUpChannel(ctx context.Context, h platform.Handler, c channelState) error {
	after := c.Last
	for page := 0; page < catchUpPages; page++ {
		msgs, err := a.api.ChannelMessages(c.ID, historyPage, "", after, "", discordgo.WithContext(ctx))
		if err != nil {
			var re *discordgo.RESTError
			if errors.As(err, &re) && re.Response != nil && (re.Response.StatusCode == http.StatusNotFound || re.Response.StatusCode == http.StatusForbidden) {
				a.mu.Lock()
				chans := a.chans
				a.mu.Unlock()
				a.logf("discord: channel %s is gone or closed to the bot (%d); no longer caught up", c.ID, re.Response.StatusCode)
				return chans.forget(c.ID)
			}
			return err
		}
		sort.Slice(msgs, func(i, j int) bool { return snowflakeLess(msgs[i].ID, msgs[j].ID) })
		for _, m := range msgs {
			if m.ChannelID == "" {
				m.ChannelID = c.ID
			}
			a.handle(ctx, h, m, c.DM)
			if ctx.Err() != nil {
				return nil
			}
		}
		if len(msgs) < historyPage {
			return nil
		}
		after = msgs[len(msgs)-1].ID
	}
	return fmt.Errorf("more than %d messages since the last one handled; the rest comes live", catchUpPages*historyPage)
}

// snowflakeLess compares two snowflakes (decimal, no leading zeros).
func snowflakeLess(x, y string) bool {
	if len(x) != len(y) {
		return len(x) < len(y)
	}
	return x < y
}

// channelState is what channels.json keeps for one channel.
type channelState struct {
	ID   string `json:"id"`
	Last string `json:"last"` // the last message id handled
	DM   bool   `json:"dm,omitempty"`
}

// channels is the catch-up state, written atomically after each change.
type channels struct {
	path string // "" keeps it in memory (no StateDir)

	mu sync.Mutex
	m  map[string]channelState
}

const channelsFile = "channels.json"

// loadChannels reads dir/channels.json; a missing file is empty.
func loadChannels(dir string) (*channels, error) {
	c := &channels{m: map[string]channelState{}}
	if dir == "" {
		return c, nil
	}
	c.path = filepath.Join(dir, channelsFile)
	data, err := os.ReadFile(c.path)
	if errors.Is(err, os.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("discord: reading %s: %w", c.path, err)
	}
	var list []channelState
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("discord: %s is not valid JSON (%v): delete it to start over (messages sent while the gateway was down are then not caught up)", c.path, err)
	}
	for _, s := range list {
		if !validSnowflake(s.ID) || !validSnowflake(s.Last) {
			return nil, fmt.Errorf("discord: %s holds a channel %q with last message %q, which are not Discord ids: delete the file to start over", c.path, s.ID, s.Last)
		}
		c.m[s.ID] = s
	}
	return c, nil
}

func validSnowflake(s string) bool {
	if s == "" || len(s) > 20 || (len(s) > 1 && s[0] == '0') {
		return false
	}
	_, err := strconv.ParseUint(s, 10, 64)
	return err == nil
}

// seen reports whether id is at or before the channel's last handled one.
func (c *channels) seen(channel, id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.m[channel]
	return ok && !snowflakeLess(s.Last, id)
}

// record moves the channel's last id to id; a channel not tracked yet is
// added only when journaled (a message given to the core).
func (c *channels) record(channel, id string, dm, journaled bool) error {
	if !validSnowflake(channel) || !validSnowflake(id) {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.m[channel]
	if !ok && !journaled {
		return nil
	}
	if ok && !snowflakeLess(s.Last, id) {
		return nil
	}
	c.m[channel] = channelState{ID: channel, Last: id, DM: dm || s.DM}
	return c.saveLocked()
}

func (c *channels) forget(channel string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, channel)
	return c.saveLocked()
}

func (c *channels) list() []channelState {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]channelState, 0, len(c.m))
	for _, s := range c.m {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return snowflakeLess(out[i].ID, out[j].ID) })
	return out
}

func (c *channels) saveLocked() error {
	if c.path == "" {
		return nil
	}
	list := make([]channelState, 0, len(c.m))
	for _, s := range c.m {
		list = append(list, s)
	}
	sort.Slice(list, func(i, j int) bool { return snowflakeLess(list[i].ID, list[j].ID) })
	data, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return err
	}
	if err := fileutil.WriteFile(c.path, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("saving %s: %w", c.path, err)
	}
	return nil
}

// interaction hands a pressed button to the core, then answers Discord
// with a deferred update (type 6) so the button stops spinning.
func (a *Adapter) interaction(ctx context.Context, h platform.Handler, i *discordgo.Interaction) {
	if i == nil || i.Type != discordgo.InteractionMessageComponent {
		return
	}
	data, ok := i.Data.(discordgo.MessageComponentInteractionData)
	if !ok || data.CustomID == "" {
		return
	}
	user := ""
	if i.Member != nil && i.Member.User != nil {
		user = i.Member.User.ID
	} else if i.User != nil {
		user = i.User.ID
	}
	if user == "" {
		return
	}
	a.presses.Add(1)
	go func() {
		defer a.presses.Done()
		c := platform.Callback{Platform: Name, ID: i.ID, ChatID: i.ChannelID, UserID: user, Data: data.CustomID}
		if err := h.Pressed(ctx, c); err != nil {
			a.logf("discord: button %q: %s", data.CustomID, a.scrubText(err.Error()))
		}
		resp := &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredMessageUpdate}
		if err := a.api.InteractionRespond(i, resp, discordgo.WithContext(ctx)); err != nil && ctx.Err() == nil {
			a.logf("discord: answering interaction %s: %s", i.ID, a.scrubText(err.Error()))
		}
	}()
}
