// Package version reports the version of the hermes binary: the value the
// build stamped in with -ldflags, else the module version Go recorded,
// else "dev".
package version

import "runtime/debug"

// Version is set at build time:
//
//	go build -ldflags "-X github.com/hermes-go/hermes/internal/version.Version=v1.2.3"
var Version = ""

// String returns the version without a leading "hermes".
func String() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
