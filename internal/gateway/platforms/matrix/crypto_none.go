//go:build !goolm

package matrix

import (
	"context"
	"errors"

	"maunium.net/go/mautrix"
)

// cryptoBuilt is false: mautrix's crypto package needs either cgo and
// libolm or the pure Go Olm of the goolm build tag, and hermes builds
// without cgo. `make build` passes -tags goolm; a plain `go build` makes a
// binary whose Matrix adapter refuses platforms.matrix.encryption.
const cryptoBuilt = false

func newCrypto(context.Context, *mautrix.Client, string, []byte) (cryptoEngine, error) {
	return nil, errors.New("this hermes was built without end-to-end encryption (build with -tags goolm)")
}
