//go:build tools

// Package tools pins the developer tools the Makefile builds (staticcheck),
// so they come from the module proxy at a version known to download here.
package tools

import _ "honnef.co/go/tools/cmd/staticcheck"
