package cli

// The gateway's platforms register themselves with internal/gateway/platform
// from init; importing them here links them into the binary.
import (
	_ "github.com/hermes-go/hermes/internal/gateway/platforms/apiserver"
	_ "github.com/hermes-go/hermes/internal/gateway/platforms/discord"
	_ "github.com/hermes-go/hermes/internal/gateway/platforms/email"
	_ "github.com/hermes-go/hermes/internal/gateway/platforms/matrix"
	_ "github.com/hermes-go/hermes/internal/gateway/platforms/slack"
	_ "github.com/hermes-go/hermes/internal/gateway/platforms/telegram"
	_ "github.com/hermes-go/hermes/internal/gateway/platforms/webhooks"
)
