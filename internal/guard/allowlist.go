package guard

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/fileutil"
)

// allowlistLockTimeout bounds the wait for another writer of the allowlist.
const allowlistLockTimeout = 10 * time.Second

// ConfigAllowlist returns the AllowlistStore that appends to
// command_allowlist in the config file at configPath, keeping its comments.
// Each call reads the file fresh under an advisory lock (configPath +
// ".lock"), so entries other processes or the user added meanwhile are
// kept, and a pattern already present is not added twice.
func ConfigAllowlist(configPath string) AllowlistStore { return configAllowlist{path: configPath} }

type configAllowlist struct{ path string }

var _ AllowlistStore = configAllowlist{}

// AddAllowlist appends pattern unless the file already lists it.
func (c configAllowlist) AddAllowlist(pattern string) error {
	if pattern == "" {
		return fmt.Errorf("allowlist: empty pattern")
	}
	return fileutil.WithLock(context.Background(), c.path+".lock", allowlistLockTimeout, func() error {
		l, err := config.Load(c.path)
		if err != nil {
			return fmt.Errorf("allowlist: %w", err)
		}
		if slices.Contains(l.Config.CommandAllowlist, pattern) {
			return nil
		}
		if err := config.Append(c.path, "command_allowlist", pattern); err != nil {
			return fmt.Errorf("allowlist: add to command_allowlist: %w", err)
		}
		return c.verify(len(l.Config.CommandAllowlist), pattern)
	})
}

// verify checks that entry i reads back as pattern and rewrites it in
// place when it does not: config.Append re-marshals a new entry of a block
// list, and a string that needs quotes (`a: b`, `yes`, `x | y`) comes back
// with its quotes inside the value.
func (c configAllowlist) verify(i int, pattern string) error {
	l, err := config.Load(c.path)
	if err != nil {
		return fmt.Errorf("allowlist: read back: %w", err)
	}
	list := l.Config.CommandAllowlist
	if i < len(list) && list[i] == pattern {
		return nil
	}
	if i >= len(list) {
		return fmt.Errorf("allowlist: %q was not added to command_allowlist", pattern)
	}
	if err := config.Set(c.path, fmt.Sprintf("command_allowlist.%d", i), pattern); err != nil {
		return fmt.Errorf("allowlist: add to command_allowlist: %w", err)
	}
	return nil
}
