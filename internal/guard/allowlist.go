package guard

import (
	"fmt"

	"github.com/hermes-go/hermes/internal/config"
)

// ConfigAllowlist returns the AllowlistStore that appends to
// command_allowlist in the config file at configPath, keeping its comments.
// Each call reads the file fresh under the config's advisory lock
// (config.LockPath), so entries other processes or the user added
// meanwhile are kept, and a pattern already present is not added twice.
func ConfigAllowlist(configPath string) AllowlistStore { return configAllowlist{path: configPath} }

type configAllowlist struct{ path string }

var _ AllowlistStore = configAllowlist{}

// AddAllowlist appends pattern unless the file already lists it.
func (c configAllowlist) AddAllowlist(pattern string) error {
	if pattern == "" {
		return fmt.Errorf("allowlist: empty pattern")
	}
	if err := config.AppendUnique(c.path, "command_allowlist", pattern); err != nil {
		return fmt.Errorf("allowlist: add to command_allowlist: %w", err)
	}
	return nil
}
