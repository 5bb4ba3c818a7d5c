package slack

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestManifest(t *testing.T) {
	t.Parallel()
	b, err := Manifest(ManifestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		OAuth struct {
			Scopes struct{ Bot []string } `json:"scopes"`
		} `json:"oauth_config"`
		Settings struct {
			Events struct {
				BotEvents  []string `json:"bot_events"`
				RequestURL string   `json:"request_url"`
			} `json:"event_subscriptions"`
			Socket bool `json:"socket_mode_enabled"`
		} `json:"settings"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if !m.Settings.Socket || m.Settings.Events.RequestURL != "" || len(m.OAuth.Scopes.Bot) != len(BotScopes) || len(m.Settings.Events.BotEvents) != len(BotEvents) {
		t.Fatalf("socket manifest: %s", b)
	}
	b, err = Manifest(ManifestOptions{Mode: ModeEvents, URL: "https://hermes.example.org/"})
	if err != nil || !strings.Contains(string(b), `"request_url": "https://hermes.example.org/slack/events"`) ||
		!strings.Contains(string(b), `"https://hermes.example.org/slack/interactive"`) || strings.Contains(string(b), `"socket_mode_enabled": true`) {
		t.Fatalf("events manifest: %s, %v", b, err)
	}
	for _, bad := range []ManifestOptions{
		{Mode: ModeEvents},
		{Mode: ModeEvents, URL: "http://plain.example.org"},
		{Mode: ModeSocket, URL: "https://x.example.org"},
		{Mode: "rtm"},
		{Name: strings.Repeat("n", 36)},
	} {
		if _, err := Manifest(bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
