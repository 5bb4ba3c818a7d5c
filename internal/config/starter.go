package config

import _ "embed"

//go:embed starter.yaml
var starter []byte

// Starter returns the commented config.yaml that `hermes config edit`
// opens when the file does not exist yet. It is valid as it stands.
func Starter() []byte { return append([]byte(nil), starter...) }
