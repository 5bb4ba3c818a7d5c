package discord

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/hermes-go/hermes/internal/gateway/platform"
)

// Discord's limits on message components.
const (
	maxRows       = 5   // action rows per message
	maxPerRow     = 5   // buttons per row
	maxCustomID   = 100 // bytes of a button's custom_id
	maxLabel      = 80  // characters of a button's label
	labelEllipsis = "…"
)

// Send posts o to its channel, or to the thread o.ThreadID (in Discord a
// thread is a channel of its own): a reply to o.ReplyTo when set, with
// o.Buttons as rows of buttons. Nobody is pinged by the text (no
// @everyone, roles or users). discordgo waits out 429 answers itself;
// other failures are returned for the core's ledger to retry.
func (a *Adapter) Send(ctx context.Context, o platform.Outbound) (platform.Sent, error) {
	channel := o.ChatID
	if o.ThreadID != "" {
		channel = o.ThreadID
	}
	if channel == "" {
		return platform.Sent{}, errors.New("discord: no channel to send to")
	}
	if !validSnowflake(channel) {
		return platform.Sent{}, fmt.Errorf("discord: %q is not a channel id (a number such as 1234567890123456789; enable Developer Mode and Copy Channel ID)", channel)
	}
	if strings.TrimSpace(o.Text) == "" {
		return platform.Sent{}, errors.New("discord: message text is empty")
	}
	if n := utf8.RuneCountInString(o.Text); n > MaxLen {
		return platform.Sent{}, fmt.Errorf("discord: message text is %d characters, over the limit of %d: split it first", n, MaxLen)
	}
	comps, err := components(o.Buttons)
	if err != nil {
		return platform.Sent{}, err
	}
	msg := &discordgo.MessageSend{
		Content:         o.Text,
		Components:      comps,
		AllowedMentions: &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}, RepliedUser: true},
	}
	if o.ReplyTo != "" {
		no := false
		msg.Reference = &discordgo.MessageReference{MessageID: o.ReplyTo, ChannelID: channel, FailIfNotExists: &no}
	}
	sent, err := a.api.ChannelMessageSendComplex(channel, msg, discordgo.WithContext(ctx))
	if err != nil {
		return platform.Sent{}, a.scrub(fmt.Errorf("discord: sending to channel %s: %w", channel, err))
	}
	return platform.Sent{ID: sent.ID}, nil
}

// components renders rows of buttons as action rows; a deny-like button
// is red (Danger), the others Primary.
func components(rows [][]platform.Button) ([]discordgo.MessageComponent, error) {
	var out []discordgo.MessageComponent
	for _, row := range rows {
		if len(row) == 0 {
			continue
		}
		if len(out) == maxRows {
			return nil, fmt.Errorf("discord: more than %d rows of buttons", maxRows)
		}
		if len(row) > maxPerRow {
			return nil, fmt.Errorf("discord: a row of %d buttons, over Discord's %d", len(row), maxPerRow)
		}
		var btns []discordgo.MessageComponent
		for _, b := range row {
			if b.Data == "" || len(b.Data) > maxCustomID {
				return nil, fmt.Errorf("discord: button %q carries %d bytes of data; Discord takes 1 to %d", b.Text, len(b.Data), maxCustomID)
			}
			style := discordgo.PrimaryButton
			if denyLike(b) {
				style = discordgo.DangerButton
			}
			btns = append(btns, discordgo.Button{Label: label(b.Text), Style: style, CustomID: b.Data})
		}
		out = append(out, discordgo.ActionsRow{Components: btns})
	}
	return out, nil
}

// denyLike reports a button that refuses (its label or data says deny).
func denyLike(b platform.Button) bool {
	t := strings.ToLower(b.Text + " " + b.Data)
	for _, w := range []string{"deny", "reject", "cancel", "refuse"} {
		if strings.Contains(t, w) {
			return true
		}
	}
	return false
}

func label(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return "?"
	}
	if utf8.RuneCountInString(s) > maxLabel {
		return string([]rune(s)[:maxLabel-1]) + labelEllipsis
	}
	return s
}

// Edit replaces the text of a message the bot sent and drops its
// buttons.
func (a *Adapter) Edit(ctx context.Context, chatID, messageID, text string) error {
	if utf8.RuneCountInString(text) > MaxLen {
		text = string([]rune(text)[:MaxLen-1]) + "…"
	}
	none := []discordgo.MessageComponent{}
	e := &discordgo.MessageEdit{ID: messageID, Channel: chatID, Content: &text, Components: &none}
	if _, err := a.api.ChannelMessageEditComplex(e, discordgo.WithContext(ctx)); err != nil {
		return a.scrub(fmt.Errorf("discord: editing message %s in channel %s: %w", messageID, chatID, err))
	}
	return nil
}

// Typing shows "typing…" in the channel (or thread) for about ten
// seconds.
func (a *Adapter) Typing(ctx context.Context, chatID, threadID string) error {
	channel := chatID
	if threadID != "" {
		channel = threadID
	}
	if err := a.api.ChannelTyping(channel, discordgo.WithContext(ctx)); err != nil {
		return a.scrub(fmt.Errorf("discord: typing in channel %s: %w", channel, err))
	}
	return nil
}

var (
	_ platform.Adapter     = (*Adapter)(nil)
	_ platform.Editor      = (*Adapter)(nil)
	_ platform.Typer       = (*Adapter)(nil)
	_ platform.HomeChannel = (*Adapter)(nil)
)
