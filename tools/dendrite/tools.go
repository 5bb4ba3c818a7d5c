//go:build tools

// Package dendrite pins the Matrix homeserver (github.com/element-hq/dendrite)
// that the Matrix platform's integration tests start on 127.0.0.1.
// `go install github.com/element-hq/dendrite/cmd/dendrite@v0.15.2` fails
// here because the module proxy refuses the module's version list; building
// from this module, which requires dendrite at a pinned version, works.
// scripts/testdeps.sh builds it once into .cache/testdeps/bin.
package dendrite

import _ "github.com/element-hq/dendrite/cmd/dendrite"
