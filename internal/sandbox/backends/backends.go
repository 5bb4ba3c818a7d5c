// Package backends links every terminal backend into the binary: each
// registers itself with internal/sandbox from its init, and importing this
// package is how a command makes all of them available to sandbox.New.
package backends

import (
	_ "github.com/hermes-go/hermes/internal/sandbox/bwrap"       // "bubblewrap"
	_ "github.com/hermes-go/hermes/internal/sandbox/docker"      // "docker"
	_ "github.com/hermes-go/hermes/internal/sandbox/local"       // "local"
	_ "github.com/hermes-go/hermes/internal/sandbox/modal"       // "modal"
	_ "github.com/hermes-go/hermes/internal/sandbox/singularity" // "singularity"
	_ "github.com/hermes-go/hermes/internal/sandbox/ssh"         // "ssh"
)
