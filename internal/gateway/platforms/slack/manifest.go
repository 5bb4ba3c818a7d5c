package slack

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
)

// ManifestOptions shape the app manifest.
type ManifestOptions struct {
	Name string // the app's and bot's display name
	Mode string // socket or events
	// URL is the public https base the Events API mode posts to (the
	// reverse proxy in front of platforms.slack.events_listen); events
	// mode only.
	URL string
}

// BotScopes are the OAuth scopes the adapter needs: read the messages
// it is given (DMs, mentions, channels it is in) and write replies.
var BotScopes = []string{
	"app_mentions:read",
	"channels:history",
	"chat:write",
	"groups:history",
	"im:history",
	"im:read",
	"mpim:history",
}

// BotEvents are the events the adapter subscribes to.
var BotEvents = []string{"app_mention", "message.channels", "message.groups", "message.im", "message.mpim"}

// Manifest returns a Slack app manifest (JSON) to paste at
// api.slack.com/apps > Create New App > From a manifest.
func Manifest(o ManifestOptions) ([]byte, error) {
	if o.Name == "" {
		o.Name = "Hermes"
	}
	if len(o.Name) > 35 {
		return nil, errors.New("the app name is over Slack's 35 characters")
	}
	if o.Mode == "" {
		o.Mode = ModeSocket
	}
	events := map[string]any{"bot_events": BotEvents}
	interactivity := map[string]any{"is_enabled": true}
	switch o.Mode {
	case ModeSocket:
		if o.URL != "" {
			return nil, errors.New("--url is for events mode; Socket Mode needs no public URL")
		}
	case ModeEvents:
		u, err := url.Parse(o.URL)
		if o.URL == "" || err != nil || u.Scheme != "https" || u.Host == "" {
			return nil, errors.New("events mode needs --url https://HOST (the public address that forwards to platforms.slack.events_listen)")
		}
		base := strings.TrimRight(o.URL, "/")
		events["request_url"] = base + "/slack/events"
		interactivity["request_url"] = base + "/slack/interactive"
	default:
		return nil, errors.New("mode is socket or events")
	}
	m := map[string]any{
		"display_information": map[string]any{"name": o.Name, "description": "A self-hosted hermes agent"},
		"features": map[string]any{
			"bot_user": map[string]any{"display_name": strings.ToLower(strings.ReplaceAll(o.Name, " ", "-")), "always_online": true},
			"app_home": map[string]any{"home_tab_enabled": false, "messages_tab_enabled": true, "messages_tab_read_only_enabled": false},
		},
		"oauth_config": map[string]any{"scopes": map[string]any{"bot": BotScopes}},
		"settings": map[string]any{
			"event_subscriptions":    events,
			"interactivity":          interactivity,
			"org_deploy_enabled":     false,
			"socket_mode_enabled":    o.Mode == ModeSocket,
			"token_rotation_enabled": false,
		},
	}
	return json.MarshalIndent(m, "", "  ")
}
