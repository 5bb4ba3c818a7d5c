package matrix

import (
	"context"
	"errors"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
)

// cryptoEngine is end-to-end encryption as the sync loop uses it. The
// implementation is in crypto_goolm.go (build tag goolm); without the tag
// there is none and New refuses platforms.matrix.encryption.
type cryptoEngine interface {
	// processSync takes the to-device events (room keys), device list
	// changes and one-time key counts of a sync.
	processSync(ctx context.Context, resp *mautrix.RespSync, since string)
	// handleMember tracks a membership change for key sharing.
	handleMember(ctx context.Context, evt *event.Event)
	// decrypt returns the plaintext event, errNoKey while the room key
	// has not arrived.
	decrypt(ctx context.Context, evt *event.Event) (*event.Event, error)
	close() error
}

// errNoKey is a Megolm session (room key) not received yet.
var errNoKey = errors.New("the room key for this message has not arrived")
