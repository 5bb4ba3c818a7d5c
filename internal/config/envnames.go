package config

import "strings"

// messagingPrefixes start the names of variables that belong to a
// messaging platform: bot tokens, passwords, allowlists, home channels.
var messagingPrefixes = []string{
	"TELEGRAM_", "DISCORD_", "SLACK_", "MATRIX_", "EMAIL_", "WHATSAPP_", "SIGNAL_",
	"MATTERMOST_", "WEBHOOK_", "API_SERVER_", "GATEWAY_", "SMS_", "TWILIO_", "IMAP_", "SMTP_",
}

// IsMessagingVar reports whether a .env variable belongs to a messaging
// platform or the gateway's authorization (tokens, passwords, allowlists).
// A cloned profile leaves these out unless asked, so two profiles never
// answer the same bot or trust the same users by accident.
func IsMessagingVar(name string) bool {
	for _, p := range messagingPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}
