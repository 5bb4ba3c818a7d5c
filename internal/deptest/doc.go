// Package deptest holds no code: its test enforces the layers of
// docs/ARCHITECTURE.md on the module's import graph (in the style of
// tailscale's deptest). A package that imports against the layers fails
// `go test ./internal/deptest`.
package deptest
