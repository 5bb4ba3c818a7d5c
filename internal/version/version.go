// Package version reports the version of the hermes binary: the value the
// build stamped in with -ldflags, else the module version Go recorded,
// else "dev"; and, for `hermes update`, the commit and the git checkout
// the binary was built from.
package version

import "runtime/debug"

// Version, Commit and Source are set at build time (the Makefile and
// `hermes update` pass the same flags):
//
//	go build -ldflags "-X github.com/hermes-go/hermes/internal/version.Version=v1.2.3
//	  -X github.com/hermes-go/hermes/internal/version.Commit=<full sha>
//	  -X github.com/hermes-go/hermes/internal/version.Source=/path/to/checkout"
//
// Source is empty for a released binary: `hermes update` then downloads
// releases instead of building from a checkout.
var (
	Version = ""
	Commit  = ""
	Source  = ""
)

// Package is the import path the -X flags name.
const Package = "github.com/hermes-go/hermes/internal/version"

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

// CommitHash returns the commit the binary was built from: the stamped
// one, else the revision Go recorded from the checkout (go build's
// -buildvcs), else "".
func CommitHash() string {
	if Commit != "" {
		return Commit
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return ""
}
